// ais: the admin CLI. main() wires the global options and the command groups, parses, then runs
// the chosen action; every error leaves through exit_codes.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tools/ais/cli.h"
#include "tools/ais/endpoint.h"
#include "tools/ais/exit_codes.h"

#ifndef AIS_VERSION
#define AIS_VERSION "dev"
#endif

namespace ais::cli {

Result<Client*> Cli::client() {
  if (client_) return client_.get();
  if (endpoint.empty()) return Status(Code::kInvalidArgument, "no cluster endpoint");
  auto resolved = resolveEndpoint(endpoint, timeoutSec);
  if (!resolved.ok()) return resolved.status();
  Client::Options options;
  options.endpoint = *resolved;
  options.requestTimeout = std::chrono::milliseconds(static_cast<int64_t>(timeoutSec * 1000));
  auto connected = Client::connect(options);
  if (!connected.ok()) {
    Status st = connected.status();
    if (st.message().find(endpoint) != std::string::npos) return st;
    return Status(st.code(),
                  st.message().empty() ? endpoint : st.message() + " (" + endpoint + ")");
  }
  client_ = std::move(connected).value();
  return client_.get();
}

}  // namespace ais::cli

int main(int argc, char** argv) {
  using namespace ais::cli;
  CLI::App app{"ais: command-line client of AIStore in C++ (buckets, objects, cluster)", "ais"};
  app.set_version_flag("--version", "ais " AIS_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  Cli cli;
  app.add_option("--endpoint", cli.endpoint,
                 "Any node: its fabric host:port, or its gateway http://host:port (AIStore's form)")
      ->envname("AIS_ENDPOINT");
  app.add_option("--timeout", cli.timeoutSec, "Per-request timeout, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  addClusterCommands(app, cli);
  addPerformanceCommands(app, cli);
  addStorageView(app, cli);
  addConfigCommands(app, cli);
  addBucketCommands(app, cli);
  addStorageCommands(app, cli);
  addJobCommands(app, cli);
  addEcCommands(app, cli);
  addArchiveCommands(app, cli);
  addObjectCommands(app, cli);
  addCopyCommands(app, cli);
  addPromoteCommands(app, cli);
  addCompletionCommand(app, cli);

  if (argc == 1) {  // bare `ais`: show what there is, like NVIDIA's CLI
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!cli.action) return kExitOk;
  if (cli.endpoint.empty() && !app.got_subcommand("completion")) {
    std::fprintf(stderr,
                 "Error: no cluster endpoint: set AIS_ENDPOINT=host:port or http://host:port (for "
                 "the playground: eval \"$(tools/dev env)\") or pass --endpoint\n");
    return kExitUsage;
  }
  return cli.action();
}
