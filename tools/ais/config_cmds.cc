// `ais show config` and AIStore's `ais config cluster|node`: the cluster-wide config every node
// holds (meta/config.h), read from a node with the cluster map, and set at run time with
// `ais config cluster KEY=VALUE ...` (the primary publishes it to every node; meta/config_edit.h
// has the keys). There are no per-node overrides: `ais config node` shows what a node runs with.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "meta/config_edit.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"

namespace ais::cli {
namespace {

nlohmann::ordered_json configJson(const meta::ClusterConfig& c, const std::string& only) {
  nlohmann::ordered_json j;
  if (only.empty()) j["version"] = c.version;
  for (const auto& [key, value] : meta::configEntries(c)) {
    if (only.empty() || key.rfind(only, 0) == 0) j[key] = value;
  }
  return j;
}

int printConfig(const nlohmann::ordered_json& j, bool json) {
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  Table t({"PROPERTY", "VALUE"});
  for (auto it = j.begin(); it != j.end(); ++it) {
    t.addRow({it.key(), it->is_string() ? it->get<std::string>() : it->dump()});
  }
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

// "KEY=VALUE ..." or "KEY VALUE" (AIStore takes both) -> pairs; a lone KEY is a filter.
Result<std::vector<std::pair<std::string, std::string>>> parseEdits(
    const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> edits;
  if (args.size() == 2 && args[0].find('=') == std::string::npos &&
      args[1].find('=') == std::string::npos) {
    edits.emplace_back(args[0], args[1]);
    return edits;
  }
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status(Code::kInvalidArgument, "expected KEY=VALUE, got '" + a + "'");
    }
    edits.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  return edits;
}

int clusterConfig(Cli& cli, const std::vector<std::string>& args, bool json, bool maySet) {
  bool show = args.empty() || (args.size() == 1 && args[0].find('=') == std::string::npos);
  if (!show && !maySet) {
    return fail(Status(Code::kInvalidArgument, "to set: ais config cluster KEY=VALUE ..."));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  if (show) {
    auto c = (*client)->clusterConfig();
    if (!c.ok()) return fail(c.status());
    auto j = configJson(*c, args.empty() ? "" : args[0]);
    if (j.empty()) {
      return fail(Status(Code::kInvalidArgument, "no config key starts with '" + args[0] +
                                                     "' (keys: " + meta::kConfigKeys + ")"));
    }
    return printConfig(j, json);
  }
  auto edits = parseEdits(args);
  if (!edits.ok()) return fail(edits.status());
  // Checked here first: a typo is named before anything is sent.
  meta::ClusterConfig probe;
  for (const auto& [k, v] : *edits) {
    if (Status st = meta::applyConfigKey(probe, k, v); !st.ok()) return fail(st);
  }
  auto c = (*client)->setClusterConfig(*edits);
  if (!c.ok()) return fail(c.status());
  std::string what;
  for (const auto& [k, v] : *edits) what += (what.empty() ? "" : ", ") + k + "=" + v;
  std::printf("Cluster config updated (v%llu): %s\n", static_cast<unsigned long long>(c->version),
              what.c_str());
  return kExitOk;
}

int nodeConfig(Cli& cli, const std::vector<std::string>& args, bool json) {
  if (args.empty()) return fail(Status(Code::kInvalidArgument, "ais config node NODE_ID"));
  if (args.size() > 1) {
    return fail(Status(Code::kInvalidArgument,
                       "a node's own config cannot be set: every node follows the cluster "
                       "config (ais config cluster KEY=VALUE)"));
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto smap = (*client)->smap(/*refresh=*/true);
  if (!smap.ok()) return fail(smap.status());
  const meta::NodeInfo* node = nullptr;
  for (const auto& n : smap->nodes) {
    if (n.id == args[0]) node = &n;
  }
  if (!node) return fail(Status(Code::kNodeNotFound, "no node " + args[0] + " in the cluster map"));
  auto c = (*client)->clusterConfig();
  if (!c.ok()) return fail(c.status());
  nlohmann::ordered_json j{{"node.id", node->id},
                           {"node.role", node->isTarget() ? "target" : "proxy"},
                           {"node.rpc", node->rpcEndpoint},
                           {"node.http", node->httpEndpoint}};
  if (node->isTarget()) {
    auto mps = (*client)->mountpaths(node->id);
    if (!mps.ok()) return fail(mps.status());
    std::string paths;
    for (const auto& m : *mps) {
      paths += (paths.empty() ? "" : ",") + m.path + (m.enabled ? "" : " (disabled)");
    }
    j["node.mountpaths"] = paths;
  }
  auto inherited = configJson(*c, "");  // (the cluster's: no per-node overrides)
  for (auto it = inherited.begin(); it != inherited.end(); ++it) j[it.key()] = it.value();
  return printConfig(j, json);
}

void addShow(CLI::App& parent, Cli& cli, const std::string& name, const std::string& what,
             bool maySet) {
  auto json = std::make_shared<bool>(false);
  auto args = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand(name, what);
  cmd->add_option("ARGS", *args, "[KEY] to show keys starting with KEY; KEY=VALUE ... to set");
  cmd->add_flag("--json,-j", *json, "JSON output");
  cmd->callback([&cli, json, args, maySet] {
    cli.action = [&cli, json, args, maySet] { return clusterConfig(cli, *args, *json, maySet); };
  });
}

}  // namespace

void addConfigCommands(CLI::App& app, Cli& cli) {
  const std::string what = std::string("The cluster-wide config: show it, or set KEY=VALUE ... (") +
                           meta::kConfigKeys + ")";
  addShow(*app.get_subcommand("show"), cli, "config", "The cluster-wide config", false);
  auto* config = app.add_subcommand("config", "Cluster configuration (AIStore's `ais config`)");
  config->require_subcommand(1);
  addShow(*config, cli, "cluster", what, true);
  auto json = std::make_shared<bool>(false);
  auto args = std::make_shared<std::vector<std::string>>();
  auto* node = config->add_subcommand(
      "node", "What a node runs with: its identity, mountpaths and the cluster config");
  node->add_option("NODE_ID", *args, "the node's id (ais show cluster)")->required();
  node->add_flag("--json,-j", *json, "JSON output");
  node->callback([&cli, json, args] {
    cli.action = [&cli, json, args] { return nodeConfig(cli, *args, *json); };
  });
}

}  // namespace ais::cli
