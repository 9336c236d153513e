// `ais show cluster`: the Smap and every node's status, as a table or JSON. `ais cluster
// add-remove-nodes start-maintenance|stop-maintenance|decommission` (AIStore's names) and
// `ais cluster rm-node --mode`: a target out of placement for a while, back, or gone for good.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"

namespace ais::cli {
namespace {

std::string nodeState(const NodeStatus& st) {
  if (st.node.decommissioning()) return "decommissioning";
  if (st.node.inMaintenance()) return "maintenance";
  if (st.node.down() || !st.reachable) return "down";
  return "up";
}

// "none", or what the target found since it started: "corrupt=2,quarantined=1" (no spaces, so
// scripts can split the table on whitespace).
std::string integritySummary(const IntegrityCounts& i) {
  std::string out;
  auto add = [&](uint64_t n, const char* what) {
    if (n == 0) return;
    if (!out.empty()) out += ",";
    out += fmt::format("{}={}", what, n);
  };
  add(i.corruptReads, "corrupt");
  add(i.missingFiles, "missing");
  add(i.quarantined, "quarantined");
  add(i.lomsDropped, "lom-dropped");
  add(i.lomsRebuilt, "lom-rebuilt");
  add(i.orphans, "orphans");
  return out.empty() ? "none" : out;
}

int showCluster(Cli& cli, bool json, bool noHeaders) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto smap = (*client)->smap(/*refresh=*/true);
  if (!smap.ok()) return fail(smap.status());
  auto nodes = (*client)->clusterStatus();
  if (!nodes.ok()) return fail(nodes.status());

  if (json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& st : *nodes) {
      nlohmann::ordered_json n = {
          {"id", st.node.id},
          {"role", st.node.isProxy() ? "proxy" : "target"},
          {"rpc_endpoint", st.node.rpcEndpoint},
          {"http_endpoint", st.node.httpEndpoint},
          {"flags", st.node.flags},
          {"status", nodeState(st)},
          {"reachable", st.reachable},
          {"primary", st.node.isProxy() && st.node.id == smap->primaryId},
          {"smap_version", st.smapVersion},
          {"smap_primary", st.smapPrimary},
          {"uptime_sec", st.uptimeSec},
      };
      if (st.node.isTarget()) {
        n["capacity_bytes"] = st.capacityBytes;
        n["available_bytes"] = st.availableBytes;
        n["used_bytes"] =
            st.capacityBytes > st.availableBytes ? st.capacityBytes - st.availableBytes : 0;
        n["object_count"] = st.objectCount;
        const IntegrityCounts& i = st.integrity;
        n["integrity"] = {{"corrupt_reads", i.corruptReads}, {"missing_files", i.missingFiles},
                          {"quarantined", i.quarantined},    {"loms_dropped", i.lomsDropped},
                          {"loms_rebuilt", i.lomsRebuilt},   {"orphans", i.orphans}};
      }
      out.push_back(std::move(n));
    }
    nlohmann::ordered_json doc = {{"smap_version", smap->version},
                                  {"primary", smap->primaryId},
                                  {"uuid", smap->uuid},
                                  {"proxies", smap->countRole(meta::Role::kProxy)},
                                  {"targets", smap->countRole(meta::Role::kTarget)},
                                  {"nodes", std::move(out)}};
    std::printf("%s\n", doc.dump(2).c_str());
    return kExitOk;
  }

  Table table({"ROLE", "ID", "ENDPOINT", "STATUS", "SMAP", "CAPACITY", "USED", "OBJECTS", "DAMAGE",
               "UPTIME"});
  for (const auto& st : *nodes) {
    bool primary = st.node.isProxy() && st.node.id == smap->primaryId;
    std::string capacity = "-", used = "-", objects = "-", damage = "-";
    if (st.node.isTarget() && st.reachable) {
      uint64_t usedBytes =
          st.capacityBytes > st.availableBytes ? st.capacityBytes - st.availableBytes : 0;
      capacity = humanSize(st.capacityBytes);
      double pct = st.capacityBytes ? 100.0 * static_cast<double>(usedBytes) /
                                          static_cast<double>(st.capacityBytes)
                                    : 0;
      used = humanSize(usedBytes) + fmt::format(" ({:.0f}%)", pct);
      objects = std::to_string(st.objectCount);
      damage = integritySummary(st.integrity);
    }
    table.addRow({st.node.isProxy() ? "proxy" : "target", st.node.id + (primary ? "[P]" : ""),
                  st.node.rpcEndpoint, nodeState(st),
                  st.reachable ? std::to_string(st.smapVersion) : "-", capacity, used, objects,
                  damage, st.reachable ? fmt::format("{}s", st.uptimeSec) : "-"});
  }
  std::fputs(table.render(!noHeaders).c_str(), stdout);
  if (!noHeaders) {
    std::printf("\nPrimary: %s  Smap version: %llu  Proxies: %zu  Targets: %zu\n",
                smap->primaryId.c_str(), static_cast<unsigned long long>(smap->version),
                smap->countRole(meta::Role::kProxy), smap->countRole(meta::Role::kTarget));
  }
  return kExitOk;
}

struct NodeStateArgs {
  std::string node;
  bool rmUserData = false;
  bool wait = false;
  unsigned timeoutSec = 600;
};

int setNodeState(Cli& cli, const std::string& action, const NodeStateArgs& a) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto before = (*client)->smap(/*refresh=*/true);
  if (!before.ok()) return fail(before.status());
  const meta::NodeInfo* n = before->find(a.node, meta::Role::kTarget);
  bool wasDown = n && n->down();
  bool proxy = !n && before->find(a.node, meta::Role::kProxy);
  auto version = (*client)->setNodeState(a.node, action, a.rmUserData);
  if (!version.ok()) return fail(version.status());
  auto v = static_cast<unsigned long long>(*version);
  if (action == "set-primary") {
    std::printf("%s is the primary (Smap v%llu)\n", a.node.c_str(), v);
    return kExitOk;
  }
  if (proxy) {
    if (action == "start-maintenance") {
      std::printf(
          "proxy %s is in maintenance (Smap v%llu): it serves and votes, but is never "
          "elected primary\n",
          a.node.c_str(), v);
    } else if (action == "stop-maintenance") {
      std::printf("proxy %s is back (Smap v%llu)\n", a.node.c_str(), v);
    } else {
      std::printf(
          "proxy %s is decommissioned: stopped and removed from the cluster map (Smap "
          "v%llu)\n",
          a.node.c_str(), v);
    }
    return kExitOk;
  }
  if (action == "start-maintenance") {
    std::printf(
        "%s is in maintenance (Smap v%llu): out of placement, its objects stay on it and "
        "are read from it while it runs\n",
        a.node.c_str(), static_cast<unsigned long long>(*version));
    return kExitOk;
  }
  if (action == "stop-maintenance") {
    std::printf(
        "%s is back in the cluster (Smap v%llu): objects written meanwhile move to it "
        "(job rebalance-v%llu)\n",
        a.node.c_str(), static_cast<unsigned long long>(*version),
        static_cast<unsigned long long>(*version));
    return kExitOk;
  }
  if (wasDown) {
    std::printf(
        "%s was down: removed from the cluster map (Smap v%llu); objects only it held "
        "are not available\n",
        a.node.c_str(), static_cast<unsigned long long>(*version));
    return kExitOk;
  }
  std::printf(
      "%s is being decommissioned (Smap v%llu): its objects move to the other targets "
      "(job rebalance-v%llu), then it stops%s and leaves the cluster map\n",
      a.node.c_str(), static_cast<unsigned long long>(*version),
      static_cast<unsigned long long>(*version), a.rmUserData ? " with its data removed" : "");
  if (!a.wait) return kExitOk;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.timeoutSec);
  while (std::chrono::steady_clock::now() < deadline) {
    auto smap = (*client)->smap(/*refresh=*/true);
    if (smap.ok() && !smap->find(a.node, meta::Role::kTarget)) {
      std::printf("%s left the cluster (Smap v%llu)\n", a.node.c_str(),
                  static_cast<unsigned long long>(smap->version));
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return fail(Status(Code::kTimeout, a.node + " still in the cluster map after " +
                                         std::to_string(a.timeoutSec) + " s"));
}

}  // namespace

void addClusterCommands(CLI::App& app, Cli& cli) {
  auto* show = app.add_subcommand("show", "Show cluster state");
  show->require_subcommand(1);
  auto* cluster = show->add_subcommand("cluster", "Nodes, their status and capacity, the Smap");
  auto json = std::make_shared<bool>(false);
  auto noHeaders = std::make_shared<bool>(false);
  cluster->add_flag("--json,-j", *json, "JSON output");
  cluster->add_flag("--no-headers,-H", *noHeaders, "Table without headers and footer");
  cluster->callback([&cli, json, noHeaders] {
    cli.action = [&cli, json, noHeaders] { return showCluster(cli, *json, *noHeaders); };
  });

  auto* group = app.add_subcommand("cluster", "Cluster membership: maintenance, decommission");
  group->require_subcommand(1);
  auto addOptions = [](CLI::App* cmd, NodeStateArgs& a, bool leaving) {
    cmd->add_option("NODE", a.node, "Node id (ais show cluster)")->required();
    if (!leaving) return;
    cmd->add_flag("--rm-user-data", a.rmUserData,
                  "Remove the node's object data once its objects have moved");
    cmd->add_flag("--wait", a.wait, "Wait until the node has left the cluster map");
    cmd->add_option("--timeout", a.timeoutSec, "Seconds to wait with --wait (default 600)");
  };
  auto* arn = group->add_subcommand("add-remove-nodes",
                                    "Put a node in or out of maintenance, "
                                    "or decommission it");
  arn->require_subcommand(1);
  for (const char* action : {"start-maintenance", "stop-maintenance", "decommission"}) {
    std::string what = std::string(action) == "start-maintenance"
                           ? "Take a target out of placement for a while (its objects stay on it)"
                       : std::string(action) == "stop-maintenance"
                           ? "Bring a target in maintenance back into placement"
                           : "Move a target's objects to the others, then stop it and remove it";
    auto args = std::make_shared<NodeStateArgs>();
    auto* cmd = arn->add_subcommand(action, what);
    addOptions(cmd, *args, std::string(action) == "decommission");
    cmd->callback([&cli, args, action = std::string(action)] {
      cli.action = [&cli, args, action] { return setNodeState(cli, action, *args); };
    });
  }
  auto addEndpoint = std::make_shared<std::string>();
  auto addNodeCmd = [&cli, addEndpoint] {
    cli.action = [&cli, addEndpoint]() -> int {
      auto client = cli.client();
      if (!client.ok()) return fail(client.status());
      auto added = (*client)->addNode(*addEndpoint);
      if (!added.ok()) return fail(added.status());
      std::printf("%s (%s) is in the cluster map (Smap v%llu)\n", added->first.c_str(),
                  addEndpoint->c_str(), static_cast<unsigned long long>(added->second));
      return kExitOk;
    };
  };
  auto* addNode = group->add_subcommand(
      "add-node", "Admit a running node (its fabric HOST:PORT) into the cluster");
  addNode->add_option("ENDPOINT", *addEndpoint, "The node's fabric host:port")->required();
  addNode->callback(addNodeCmd);
  auto* join = arn->add_subcommand("join", "Admit a running node (its fabric HOST:PORT)");
  join->add_option("ENDPOINT", *addEndpoint, "The node's fabric host:port")->required();
  join->callback(addNodeCmd);
  auto primaryArgs = std::make_shared<NodeStateArgs>();
  auto* setPrimary = group->add_subcommand(
      "set-primary", "Hand the primary role to another proxy (the Smap naming it is published)");
  addOptions(setPrimary, *primaryArgs, false);
  setPrimary->callback([&cli, primaryArgs] {
    cli.action = [&cli, primaryArgs] { return setNodeState(cli, "set-primary", *primaryArgs); };
  });
  auto rmArgs = std::make_shared<NodeStateArgs>();
  auto rmMode = std::make_shared<std::string>("decommission");
  auto* rm = group->add_subcommand("rm-node",
                                   "Remove a target: --mode maintenance (for a while, "
                                   "its objects stay) or decommission (for good)");
  addOptions(rm, *rmArgs, true);
  rm->add_option("--mode", *rmMode, "maintenance | decommission (default)")
      ->check(CLI::IsMember({"maintenance", "decommission"}));
  rm->callback([&cli, rmArgs, rmMode] {
    cli.action = [&cli, rmArgs, rmMode] {
      return setNodeState(cli, *rmMode == "maintenance" ? "start-maintenance" : "decommission",
                          *rmArgs);
    };
  });
}

}  // namespace ais::cli
