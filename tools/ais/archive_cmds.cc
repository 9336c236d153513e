// `ais archive ls ais://BUCKET/SHARD`: the members of an archive shard (TAR), from the index
// its owner target keeps. Members are read with `ais get SHARD --archpath MEMBER`.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

const char* typeName(ArchiveMember::Type t) {
  switch (t) {
    case ArchiveMember::Type::kFile:
      return "file";
    case ArchiveMember::Type::kDir:
      return "dir";
    case ArchiveMember::Type::kSymlink:
      return "symlink";
    case ArchiveMember::Type::kHardlink:
      return "hardlink";
    default:
      return "other";
  }
}

int listArchive(Cli& cli, const std::string& arg, bool json) {
  auto uri = parseObjectUri(arg);
  if (!uri.ok()) return fail(uri.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto listing = (*client)->listArchive(uri->bucket, uri->name);
  if (!listing.ok()) return fail(listing.status());
  if (json) {
    auto doc = nlohmann::ordered_json::array();
    for (const auto& m : listing->members) {
      nlohmann::ordered_json e = {{"name", m.name},     {"size", m.size},
                                  {"offset", m.offset}, {"type", typeName(m.type)},
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
    t.addRow({name, humanSize(m.size), typeName(m.type)});
  }
  std::printf("%s", t.render().c_str());
  std::printf("%zu members in %s (%s)\n", listing->members.size(), uri->toString().c_str(),
              humanSize(listing->shard.size).c_str());
  return kExitOk;
}

}  // namespace

void addArchiveCommands(CLI::App& app, Cli& cli) {
  auto* archive = app.add_subcommand("archive", "Archive shards (TAR): list members");
  archive->require_subcommand(1);
  auto arg = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* ls = archive->add_subcommand("ls", "List the members of a shard (name, size, type)");
  ls->add_option("SHARD", *arg, "ais://BUCKET/SHARD.tar")->required();
  ls->add_flag("--json,-j", *json, "JSON output (offsets, modes, times too)");
  ls->callback([&cli, arg, json] {
    cli.action = [&cli, arg, json] { return listArchive(cli, *arg, *json); };
  });
}

}  // namespace ais::cli
