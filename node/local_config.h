// The node's own configuration file (JSON): identity, endpoints, mountpaths. Cluster-wide settings
// live in meta::ClusterConfig; the values here only seed it when this node creates the cluster.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "meta/config.h"

namespace ais::node {

struct LocalConfig {
  std::string id;
  std::string role;                     // "proxy" | "target" | "all" (from --role)
  std::string rpcEndpoint;              // listen host:port of the fabric
  std::string httpEndpoint;             // gateway (later issue); kept in the Smap
  std::string primaryEndpoint;          // fabric endpoint of the primary proxy
  std::string confdir;                  // persisted metadata, ready file
  std::vector<std::string> mountpaths;  // targets only
  std::string logLevel = "info";
  meta::ClusterConfig clusterDefaults;

  bool isProxy() const { return role == "proxy" || role == "all"; }
  bool isTarget() const { return role == "target" || role == "all"; }
};

Result<LocalConfig> loadLocalConfig(const std::string& path, const std::string& role);

}  // namespace ais::node
