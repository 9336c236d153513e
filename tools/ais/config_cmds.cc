// `ais show config` and AIStore's `ais config cluster`: the cluster-wide config every node holds
// (meta/config.h), read from a node with the cluster map. It is set when the cluster is created;
// nothing changes it at run time yet, so there is no `set` form.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"

namespace ais::cli {
namespace {

int showConfig(Cli& cli, bool json) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto c = (*client)->clusterConfig();
  if (!c.ok()) return fail(c.status());
  nlohmann::ordered_json j = {{"version", c->version},
                              {"keepalive.interval_ms", c->keepaliveIntervalMs},
                              {"keepalive.timeout_ms", c->keepaliveTimeoutMs},
                              {"membership.down_grace_ms", c->downGraceMs},
                              {"fabric.inline_max_bytes", c->inlineMaxBytes},
                              {"fabric.chunk_bytes", c->chunkBytes}};
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  Table t({"PROPERTY", "VALUE"});
  for (auto it = j.begin(); it != j.end(); ++it) t.addRow({it.key(), it.value().dump()});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

void addShow(CLI::App& parent, Cli& cli, const std::string& name, const std::string& what) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand(name, what);
  cmd->add_flag("--json,-j", *json, "JSON output");
  cmd->callback([&cli, json] { cli.action = [&cli, json] { return showConfig(cli, *json); }; });
}

}  // namespace

void addConfigCommands(CLI::App& app, Cli& cli) {
  const std::string what = "The cluster-wide config (read-only: set when the cluster is created)";
  addShow(*app.get_subcommand("show"), cli, "config", what);
  auto* config = app.add_subcommand("config", "Cluster configuration (AIStore's `ais config`)");
  config->require_subcommand(1);
  addShow(*config, cli, "cluster", what);
}

}  // namespace ais::cli
