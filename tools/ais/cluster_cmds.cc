// `ais show cluster`: the Smap and every node's status, as a table or JSON.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"

namespace ais::cli {
namespace {

std::string nodeState(const NodeStatus& st) {
  if (st.node.flags & meta::kNodeMaintenance) return "maintenance";
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
}

}  // namespace ais::cli
