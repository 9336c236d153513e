// `ais archive ls ais://BUCKET/SHARD`: the members of an archive shard (TAR, TGZ, TAR.LZ4, ZIP),
// from the index its owner target keeps. Members are read with `ais get SHARD --archpath MEMBER`.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/ais/archive_bucket.h"
#include "tools/ais/archive_put.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

int listArchive(Cli& cli, const std::string& arg, const std::string& mime, bool json) {
  auto uri = parseObjectUri(arg);
  if (!uri.ok()) return fail(uri.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto listing = (*client)->listArchive(uri->bucket, uri->name, "", mime);
  if (!listing.ok()) return fail(listing.status());
  if (json) {
    auto doc = nlohmann::ordered_json::array();
    for (const auto& m : listing->members) {
      nlohmann::ordered_json e = {{"name", m.name},     {"size", m.size},
                                  {"offset", m.offset}, {"type", memberTypeName(m.type)},
                                  {"mode", m.mode},     {"mtime", m.mtimeSec}};
      if (!m.linkTarget.empty()) e["link"] = m.linkTarget;
      doc.push_back(std::move(e));
    }
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  Table t({"NAME", "SIZE", "TYPE"});
  for (const auto& m : listing->members) {
    std::string name = m.name + (m.type == ArchiveMember::Type::kDir ? "/" : "");
    if (!m.linkTarget.empty()) name += " -> " + m.linkTarget;
    t.addRow({name, humanSize(m.size), memberTypeName(m.type)});
  }
  std::printf("%s", t.render().c_str());
  std::printf("%zu members in %s (%s, %s)\n", listing->members.size(), uri->toString().c_str(),
              listing->format.c_str(), humanSize(listing->shard.size).c_str());
  return kExitOk;
}

}  // namespace

void addArchiveCommands(CLI::App& app, Cli& cli) {
  auto* archive = app.add_subcommand(
      "archive", "Archive shards (TAR, TGZ, TAR.LZ4, ZIP): make them, list members");
  archive->require_subcommand(1);
  auto arg = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto mime = std::make_shared<std::string>();
  auto* ls = archive->add_subcommand("ls", "List the members of a shard (name, size, type)");
  ls->add_option("SHARD", *arg, "ais://BUCKET/SHARD (.tar, .tgz, .tar.gz, .tar.lz4, .zip)")
      ->required();
  ls->add_option("--archive-mime,--archmime", *mime,
                 "The shard's format when its name does not say: tar, tgz, tar.gz, tar.lz4, zip "
                 "(default: by extension, else by its first bytes)");
  ls->add_flag("--json,-j", *json, "JSON output (offsets, modes, times too)");
  ls->callback([&cli, arg, mime, json] {
    cli.action = [&cli, arg, mime, json] { return listArchive(cli, *arg, *mime, *json); };
  });

  auto put = std::make_shared<ArchivePutArgs>();
  auto* p = archive->add_subcommand(
      "put", "Make a shard from a file or a directory tree (format by the shard's extension)");
  p->add_option("SRC", put->src, "FILE or DIR")->required();
  p->add_option("SHARD", put->dst, "ais://BUCKET/SHARD (.tar, .tgz, .tar.gz, .tar.lz4, .zip)")
      ->required();
  p->add_option("--archpath", put->archpath,
                "The member's name for a FILE; the directory the tree goes under for a DIR");
  p->add_option("--archive-mime,--archmime", put->mime,
                "The format when the shard's name does not say: tar, tgz, tar.gz, tar.lz4, zip");
  p->add_flag("--append", put->append,
              "Add the files to an existing TAR shard (its other members stay; same names are "
              "added again and read as the newest)");
  p->add_flag("--quiet,-q", put->quiet, "No progress bar or summary");
  p->callback([&cli, put] { cli.action = [&cli, put] { return putArchive(cli, *put); }; });

  auto job = std::make_shared<ArchiveBucketArgs>();
  auto* b = archive->add_subcommand(
      "bucket",
      "Archive job: objects of a bucket into shards of a bucket (built by the targets that own "
      "them)");
  b->add_option("SRC", job->src, "ais://BUCKET whose objects go into the shards")->required();
  b->add_option("DST", job->dst,
                "ais://BUCKET/SHARD: a name with a brace range (shard-{0000..0999}.tar) for many "
                "shards, a plain name for one")
      ->required();
  b->add_option("--prefix", job->prefix, "Only objects whose names start with this");
  b->add_option("--list", job->list, "Only these objects (comma-separated names)");
  b->add_option("--template", job->templ,
                "Only the objects this brace-range template names (obj-{000..999}.jpg)");
  b->add_option("--shard-size", job->shardSize,
                "Shards up to this size (e.g. 64MiB; default 1GiB with a range, unbounded "
                "without)");
  b->add_option("--archive-mime,--archmime", job->mime,
                "The shards' format when DST's name does not say: tar, tgz, tar.gz, tar.lz4, zip");
  b->add_flag("--wait", job->wait, "Wait until the job ends (exit 0 if it finished)");
  b->add_flag("--quiet,-q", job->quiet, "No summary line");
  b->callback([&cli, job] { cli.action = [&cli, job] { return archiveBucket(cli, *job); }; });
}

}  // namespace ais::cli
