// Copies inside the cluster, server-side (owner to owner; the bytes never pass through the CLI):
// `ais object cp ais://A/NAME ais://B[/NEW]`, `ais bucket cp ais://A[/PREFIX] ais://B` (a
// copy-bck job), AIStore's `ais cp SRC DST` (an object if SRC names one, else the bucket or
// prefix), and `ais bucket mv ais://A ais://B` (a move-bck job).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "meta/names.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

int copyObject(Cli& cli, const Uri& src, const std::string& dstArg) {
  auto dst = parseUri(dstArg);
  if (!dst.ok()) return fail(dst.status());
  std::string name = dst->name.empty() ? src.name : dst->name;
  if (Status st = meta::validateObjectName(name); !st.ok()) return fail(st);
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto info = (*client)->copy(src.bucket, src.name, dst->bucket, name);
  if (!info.ok()) return fail(info.status());
  std::printf("Copied %s => %s\n", src.toString().c_str(),
              Uri{dst->bucket, name}.toString().c_str());
  return kExitOk;
}

struct CopyArgs {
  std::string src, dst;
  bool wait = false, dryRun = false, bucketOnly = false;
  double timeoutSec = 0;
};

// Every object of src (under its prefix) to the same name in dst (made with src's props if
// missing): AIStore's copy-bck job, a part on every target. Without --wait the job's id is
// printed and it runs on; with it, its end decides the exit code.
int copyBucket(Cli& cli, const Uri& src, const CopyArgs& a) {
  auto dst = parseBucketUri(a.dst);
  if (!dst.ok()) return fail(dst.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto id = (*client)->copyBucket(src.bucket, dst->bucket, src.name, a.dryRun);
  if (!id.ok()) return fail(id.status());
  std::printf("Copying %s => %s%s: job %s\n", src.toString().c_str(), dst->toString().c_str(),
              a.dryRun ? " (dry run: counted, not copied)" : "", id->c_str());
  if (!a.wait) {
    std::printf("(ais job wait %s; ais job show %s)\n", id->c_str(), id->c_str());
    return kExitOk;
  }
  return waitForJob(cli, *id, a.timeoutSec);
}

// AIStore's `ais bucket mv`: the move-bck job, then the emptied source is destroyed; waits for
// both (interrupted, the job goes on and the source stays, with what was not moved yet).
int moveBucket(Cli& cli, const std::string& srcArg, const std::string& dstArg) {
  auto src = parseBucketUri(srcArg);
  if (!src.ok()) return fail(src.status());
  auto dst = parseBucketUri(dstArg);
  if (!dst.ok()) return fail(dst.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto id = (*client)->moveBucket(src->bucket, dst->bucket);
  if (!id.ok()) return fail(id.status());
  std::fprintf(stderr, "Moving %s => %s: job %s\n", src->toString().c_str(),
               dst->toString().c_str(), id->c_str());
  if (int rc = waitForJob(cli, *id, 0); rc != kExitOk) return rc;
  if (Status st = (*client)->finishMove(*id, src->bucket); !st.ok()) return fail(st);
  std::printf("Moved %s => %s\n", src->toString().c_str(), dst->toString().c_str());
  return kExitOk;
}

int copyAny(Cli& cli, const CopyArgs& a) {
  auto src = parseUri(a.src);
  if (!src.ok()) return fail(src.status());
  bool wholePrefix = src->name.empty() || src->name.back() == '/';
  if (a.bucketOnly || wholePrefix) return copyBucket(cli, *src, a);
  return copyObject(cli, *src, a.dst);
}

void addCp(CLI::App& parent, Cli& cli, const std::string& what, bool bucketOnly) {
  auto a = std::make_shared<CopyArgs>();
  a->bucketOnly = bucketOnly;
  auto* cmd = parent.add_subcommand("cp", what);
  cmd->add_option(
         "SRC", a->src,
         bucketOnly ? "ais://BUCKET[/PREFIX]" : "ais://BUCKET/NAME (or a bucket or prefix/)")
      ->required();
  cmd->add_option("DST", a->dst, bucketOnly ? "ais://BUCKET" : "ais://BUCKET[/NEW_NAME]")
      ->required();
  cmd->add_flag("--wait", a->wait, "a bucket or prefix: wait for the copy job to end");
  cmd->add_option("--timeout", a->timeoutSec, "with --wait: give up after this many seconds");
  cmd->add_flag("--dry-run", a->dryRun, "a bucket or prefix: only count what would be copied");
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return copyAny(cli, *a); }; });
}

}  // namespace

void addCopyCommands(CLI::App& app, Cli& cli) {
  addCp(*app.get_subcommand("object"), cli, "Copy an object (server-side), to a new name or bucket",
        false);
  addCp(*app.get_subcommand("bucket"), cli,
        "Copy a bucket's objects (or a prefix's) to another bucket, server-side", true);
  addCp(app, cli, "Copy an object, or a bucket or prefix/ (server-side)", false);
  auto src = std::make_shared<std::string>(), dst = std::make_shared<std::string>();
  auto* mv = app.get_subcommand("bucket")->add_subcommand(
      "mv", "Rename a bucket: its objects move to a new bucket, then it is removed");
  mv->add_option("SRC", *src, "ais://BUCKET")->required();
  mv->add_option("DST", *dst, "ais://NEW_BUCKET (must not exist)")->required();
  mv->callback(
      [&cli, src, dst] { cli.action = [&cli, src, dst] { return moveBucket(cli, *src, *dst); }; });
}

}  // namespace ais::cli
