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

int ecEncode(Cli& cli, const EcEncodeArgs& a) {
  auto uri = parseUri(a.bucket);
  if (!uri.ok()) return fail(uri.status());
  if (!uri->name.empty()) {
    return fail(Status(Code::kInvalidArgument, "ec-encode takes a bucket: ais://BUCKET"));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto id = (*client)->ecEncode(uri->bucket, a.data, a.parity);
  if (!id.ok()) return fail(id.status());
  std::fprintf(stderr, "ec-encode job %s (ais job show %s; ais job stop %s)\n", id->c_str(),
               id->c_str(), id->c_str());
  return a.wait ? waitForJob(cli, *id, a.timeoutSec) : kExitOk;
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
