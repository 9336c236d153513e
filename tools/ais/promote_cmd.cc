// AIStore's `ais object promote FILE|DIR ais://BUCKET[/NAME]`: files already on the targets'
// own file systems become objects (a promote job; node/promote_part.h), without passing through
// the CLI. `ais bucket evict`, for the remote buckets this cluster does not have, says so.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

struct PromoteArgs {
  std::string src, dst;
  Client::PromoteOptions options;
  bool wait = false;
  double timeoutSec = 0;
};

int promote(Cli& cli, const PromoteArgs& a) {
  auto dst = parseUri(a.dst);
  if (!dst.ok()) return fail(dst.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto id = (*client)->promote(dst->bucket, a.src, dst->name, a.options);
  if (!id.ok()) return fail(id.status());
  std::printf("Promoting %s => %s: job %s\n", a.src.c_str(), dst->toString().c_str(), id->c_str());
  return a.wait ? waitForJob(cli, *id, a.timeoutSec) : kExitOk;
}

}  // namespace

void addPromoteCommands(CLI::App& app, Cli& cli) {
  auto a = std::make_shared<PromoteArgs>();
  auto* cmd = app.get_subcommand("object")->add_subcommand(
      "promote", "Make objects of files already on the targets' file systems (a promote job)");
  cmd->add_option("SRC", a->src, "an absolute path of a file or directory on the target(s)")
      ->required();
  cmd->add_option("DST", a->dst, "ais://BUCKET[/NAME or /PREFIX/]")->required();
  cmd->add_option("--target", a->options.target,
                  "only this target's SRC (default: every target's)");
  cmd->add_flag("--recursive,-r", a->options.recursive, "a directory's subdirectories too");
  cmd->add_flag("--overwrite-dst", a->options.overwrite,
                "replace objects that exist (default: skip them)");
  cmd->add_flag("--delete-src", a->options.deleteSrc, "remove each file once its object is stored");
  cmd->add_flag("--not-file-share", a->options.notFileShare,
                "SRC is each target's own directory, not one share all of them see");
  cmd->add_flag("--wait", a->wait, "wait until the job ends (exit 0 if it finished)");
  cmd->add_option("--timeout", a->timeoutSec, "with --wait: give up after this many seconds");
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return promote(cli, *a); }; });

  auto bucket = std::make_shared<std::string>();
  auto* evict = app.get_subcommand("bucket")->add_subcommand(
      "evict", "AIStore's eviction of remote buckets: there are none here");
  evict->add_option("BUCKET", *bucket, "a bucket");
  evict->callback([&cli] {
    cli.action = [] {
      return fail(Status(Code::kInvalidArgument,
                         "ais bucket evict: every bucket here is an ais bucket, kept whole in the "
                         "cluster; there are no remote (cloud) buckets whose cached objects "
                         "could be evicted"));
    };
  });
}

}  // namespace ais::cli
