// `ais storage validate ais://BUCKET`: the scrub, a "validate" job. Every target reads and verifies
// each of its objects of the bucket block by block and reports damaged, missing and orphaned ones.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/progress.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

int validate(Cli& cli, const std::string& target, bool json) {
  auto uri = parseUri(target);
  if (!uri.ok()) return fail(uri.status());
  if (!uri->name.empty()) {
    return fail(Status(Code::kInvalidArgument, "validate takes a bucket: ais://BUCKET"));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  // On a terminal: the running totals of every target, about once a second.
  ProgressBar bar("validate ais://" + uri->bucket, !json);
  std::string jobId;
  auto results = (*client)->validateBucket(
      uri->bucket,
      [&bar](uint64_t objects, uint64_t bytes, uint64_t damaged) {
        bar.setLabel(fmt::format("validate: {} objects, {} damaged,", objects, damaged));
        bar.update(bytes, 0);
      },
      [&jobId](const std::string& id) {
        jobId = id;
        // The scrub is a job: it goes on if this command is interrupted.
        std::fprintf(stderr, "validate job %s (ais job show %s; ais job stop %s)\n", id.c_str(),
                     id.c_str(), id.c_str());
      });
  bar.finish();
  if (!results.ok()) return fail(results.status());

  uint64_t objects = 0, bytes = 0, corrupt = 0, missing = 0, orphaned = 0, errors = 0;
  uint64_t repaired = 0;
  Status firstFailure;
  for (const auto& r : *results) {
    if (!r.status.ok()) {
      if (firstFailure.ok())
        firstFailure = Status(r.status.code(), r.targetId + ": " + r.status.toString());
      continue;
    }
    objects += r.objects;
    bytes += r.bytes;
    corrupt += r.corrupt.size();
    missing += r.missing.size();
    orphaned += r.orphaned.size();
    errors += r.errors.size();
    repaired += r.repaired.size();
  }
  if (json) {
    auto targets = nlohmann::ordered_json::array();
    for (const auto& r : *results) {
      targets.push_back({{"target", r.targetId},
                         {"status", r.status.ok() ? "ok" : r.status.toString()},
                         {"objects", r.objects},
                         {"bytes", r.bytes},
                         {"corrupt", r.corrupt},
                         {"missing", r.missing},
                         {"orphaned", r.orphaned},
                         {"errors", r.errors},
                         {"repaired", r.repaired}});
    }
    nlohmann::ordered_json doc = {{"job", jobId},         {"bucket", "ais://" + uri->bucket},
                                  {"objects", objects},   {"bytes", bytes},
                                  {"corrupt", corrupt},   {"missing", missing},
                                  {"orphaned", orphaned}, {"errors", errors},
                                  {"repaired", repaired}, {"targets", std::move(targets)}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    Table t({"TARGET", "OBJECTS", "SIZE", "CORRUPT", "MISSING", "ORPHANED", "ERRORS", "REPAIRED"});
    for (const auto& r : *results) {
      if (!r.status.ok()) {
        t.addRow({r.targetId, "-", "-", "-", "-", "-", r.status.toString(), "-"});
        continue;
      }
      t.addRow({r.targetId, std::to_string(r.objects), humanSize(r.bytes),
                std::to_string(r.corrupt.size()), std::to_string(r.missing.size()),
                std::to_string(r.orphaned.size()), std::to_string(r.errors.size()),
                std::to_string(r.repaired.size())});
    }
    std::fputs(t.render().c_str(), stdout);
    for (const auto& r : *results) {
      for (const auto& n : r.corrupt) {
        std::printf("corrupt   ais://%s/%s (target %s)\n", uri->bucket.c_str(),
                    log::escapeControl(n).c_str(), r.targetId.c_str());
      }
      for (const auto& n : r.missing) {
        std::printf("missing   ais://%s/%s (target %s)\n", uri->bucket.c_str(),
                    log::escapeControl(n).c_str(), r.targetId.c_str());
      }
      for (const auto& n : r.orphaned) {
        std::printf("orphaned  %s (target %s: a file with no metadata, not served)\n",
                    log::escapeControl(n).c_str(), r.targetId.c_str());
      }
      for (const auto& n : r.repaired) {
        std::printf("repaired  ais://%s/%s (target %s: a damaged copy rewritten from a good one)\n",
                    uri->bucket.c_str(), log::escapeControl(n).c_str(), r.targetId.c_str());
      }
      for (const auto& n : r.errors) {
        std::printf("error     %s (target %s)\n", log::escapeControl(n).c_str(),
                    r.targetId.c_str());
      }
    }
    std::printf(
        "\n%llu objects (%s) checked: %llu corrupt, %llu missing, %llu orphaned files, %llu "
        "repaired\n",
        static_cast<unsigned long long>(objects), humanSize(bytes).c_str(),
        static_cast<unsigned long long>(corrupt), static_cast<unsigned long long>(missing),
        static_cast<unsigned long long>(orphaned), static_cast<unsigned long long>(repaired));
  }
  if (!firstFailure.ok()) return fail(firstFailure);
  if (corrupt + missing > 0) return kExitChecksum;
  return errors > 0 ? kExitOther : kExitOk;
}

}  // namespace

void addStorageCommands(CLI::App& app, Cli& cli) {
  auto* storage = app.add_subcommand("storage", "Storage commands: summary, validate, mountpath");
  addSummaryCommand(*storage, cli);  // (AIStore's name for `ais bucket summary`)
  storage->require_subcommand(1);
  addMountpathCommands(*storage, cli);
  auto* v = storage->add_subcommand(
      "validate", "Scrub ais://BUCKET: read and verify every object, report damaged ones");
  auto target = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  v->add_option("BUCKET", *target, "ais://BUCKET")->required();
  v->add_flag("--json,-j", *json, "JSON output");
  v->callback([&cli, target, json] {
    cli.action = [&cli, target, json] { return validate(cli, *target, *json); };
  });
}

}  // namespace ais::cli
