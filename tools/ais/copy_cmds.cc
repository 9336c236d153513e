// Copies inside the cluster, server-side (owner to owner; the bytes never pass through the CLI):
// `ais object cp ais://A/NAME ais://B[/NEW]`, `ais bucket cp ais://A[/PREFIX] ais://B`, and
// AIStore's `ais cp SRC DST` (an object if SRC names one, else the bucket or prefix).
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

// Every object of src (under its prefix) to the same name in dst, created if missing. A failed
// object is named on stderr; the rest are copied (exit 1 then).
int copyBucket(Cli& cli, const Uri& src, const std::string& dstArg, bool quiet) {
  auto dst = parseBucketUri(dstArg);
  if (!dst.ok()) return fail(dst.status());
  if (dst->bucket == src.bucket) {
    return fail(Status(Code::kInvalidArgument, "source and destination are the same bucket"));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  if (Status st = (*client)->createBucket(dst->bucket);
      !st.ok() && st.code() != Code::kBucketExists) {
    return fail(st);
  }
  ListOptions lo;
  lo.prefix = src.name;
  uint64_t copied = 0, failed = 0, bytes = 0;
  for (;;) {
    auto page = (*client)->list(src.bucket, lo);
    if (!page.ok()) return fail(page.status());
    for (const auto& e : page->entries) {
      auto info = (*client)->copy(src.bucket, e.name, dst->bucket, e.name);
      if (!info.ok()) {
        ++failed;
        std::fprintf(stderr, "%s: %s\n", Uri{src.bucket, e.name}.toString().c_str(),
                     info.status().toString().c_str());
        continue;
      }
      ++copied;
      bytes += e.size;
      if (!quiet && copied % 1000 == 0)
        std::fprintf(stderr, "\rcopied %llu objects", (unsigned long long)copied);
    }
    if (page->continuationToken.empty()) break;
    lo.continuationToken = page->continuationToken;
  }
  if (!quiet && copied >= 1000) std::fputc('\n', stderr);
  std::printf("Copied %llu objects (%llu bytes) %s => %s%s\n", (unsigned long long)copied,
              (unsigned long long)bytes, src.toString().c_str(), dst->toString().c_str(),
              failed ? fmt::format(", {} failed", failed).c_str() : "");
  return failed ? kExitOther : kExitOk;
}

int copyAny(Cli& cli, const std::string& srcArg, const std::string& dstArg, bool quiet,
            bool bucketOnly) {
  auto src = parseUri(srcArg);
  if (!src.ok()) return fail(src.status());
  bool wholePrefix = src->name.empty() || src->name.back() == '/';
  if (bucketOnly || wholePrefix) return copyBucket(cli, *src, dstArg, quiet);
  return copyObject(cli, *src, dstArg);
}

void addCp(CLI::App& parent, Cli& cli, const std::string& what, bool bucketOnly) {
  auto src = std::make_shared<std::string>(), dst = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand("cp", what);
  cmd->add_option(
         "SRC", *src,
         bucketOnly ? "ais://BUCKET[/PREFIX]" : "ais://BUCKET/NAME (or a bucket or prefix/)")
      ->required();
  cmd->add_option("DST", *dst, bucketOnly ? "ais://BUCKET" : "ais://BUCKET[/NEW_NAME]")->required();
  cmd->add_flag("--quiet,-q", *quiet, "No progress on stderr");
  cmd->callback([&cli, src, dst, quiet, bucketOnly] {
    cli.action = [&cli, src, dst, quiet, bucketOnly] {
      return copyAny(cli, *src, *dst, *quiet, bucketOnly);
    };
  });
}

}  // namespace

void addCopyCommands(CLI::App& app, Cli& cli) {
  addCp(*app.get_subcommand("object"), cli, "Copy an object (server-side), to a new name or bucket",
        false);
  addCp(*app.get_subcommand("bucket"), cli,
        "Copy a bucket's objects (or a prefix's) to another bucket, server-side", true);
  addCp(app, cli, "Copy an object, or a bucket or prefix/ (server-side)", false);
}

}  // namespace ais::cli
