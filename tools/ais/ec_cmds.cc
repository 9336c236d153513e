// `ais ec-encode ais://BUCKET`: erasure-codes a bucket. Turns EC on (with the given slice counts)
// if it is off, which starts the ec-encode job on every target; if EC is on already, starts the
// job again: it protects whatever is not fully protected (objects from before EC, slices lost
// with a target or a disk, an earlier run that was interrupted).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

struct EcEncodeArgs {
  std::string bucket;
  std::optional<uint32_t> data, parity;
  bool wait = false;
  double timeoutSec = 0;
};

// The newest ec-encode job of the bucket (the one a props change just started).
Result<std::string> newestEncodeJob(Client& c, const std::string& bucket) {
  auto list = c.listJobs("", "ec-encode");
  if (!list.ok()) return list.status();
  const JobSummary* newest = nullptr;
  auto jobs = summarizeJobs(*list);
  for (const auto& m : jobs) {
    if (m.bucket == bucket && (!newest || m.startNs >= newest->startNs)) newest = &m;
  }
  if (!newest) return Status(Code::kInternal, "EC is on but no ec-encode job started");
  return newest->id;
}

int ecEncode(Cli& cli, const EcEncodeArgs& a) {
  auto uri = parseUri(a.bucket);
  if (!uri.ok()) return fail(uri.status());
  if (!uri->name.empty()) {
    return fail(Status(Code::kInvalidArgument, "ec-encode takes a bucket: ais://BUCKET"));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  Client& c = **client;
  auto props = c.bucketProps(uri->bucket);
  if (!props.ok()) return fail(props.status());
  std::string id;
  bool changes = (a.data && *a.data != props->ec.dataSlices) ||
                 (a.parity && *a.parity != props->ec.paritySlices);
  if (!props->ec.enabled || changes) {
    meta::BucketProps next = *props;
    next.ec.enabled = true;
    if (a.data) next.ec.dataSlices = *a.data;
    if (a.parity) next.ec.paritySlices = *a.parity;
    if (Status st = c.setBucketProps(uri->bucket, next); !st.ok()) return fail(st);
    auto job = newestEncodeJob(c, uri->bucket);
    if (!job.ok()) return fail(job.status());
    id = *job;
  } else {
    id = Client::newJobId("ec-encode");
    if (Status st = c.startJob(id, "ec-encode", uri->bucket); !st.ok()) return fail(st);
  }
  std::fprintf(stderr, "ec-encode job %s (ais job show %s; ais job stop %s)\n", id.c_str(),
               id.c_str(), id.c_str());
  return a.wait ? waitForJob(cli, id, a.timeoutSec) : kExitOk;
}

}  // namespace

void addEcCommands(CLI::App& app, Cli& cli) {
  auto* e = app.add_subcommand(
      "ec-encode", "Erasure-code ais://BUCKET: turn EC on and protect every object it holds");
  auto args = std::make_shared<EcEncodeArgs>();
  e->add_option("BUCKET", args->bucket, "ais://BUCKET")->required();
  e->add_option("--data-slices,-d", args->data, "data slices D (1..31; default: the bucket's)");
  e->add_option("--parity-slices,-p", args->parity,
                "parity slices P (1..31; default: the bucket's)");
  e->add_flag("--wait", args->wait, "wait until the job ends (exit 0 if it finished)");
  e->add_option("--timeout", args->timeoutSec, "with --wait: give up after this many seconds");
  e->callback([&cli, args] { cli.action = [&cli, args] { return ecEncode(cli, *args); }; });
}

}  // namespace ais::cli
