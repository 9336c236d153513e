#include "node/local_config.h"

#include <nlohmann/json.hpp>

#include "meta/codec.h"

namespace ais::node {

Result<LocalConfig> loadLocalConfig(const std::string& path, const std::string& role) {
  auto text = meta::readFile(path);
  if (!text.ok()) return Status(Code::kInvalidArgument, "config: " + text.status().message());
  LocalConfig c;
  c.role = role;
  try {
    auto j = nlohmann::json::parse(*text);
    c.id = j.at("id").get<std::string>();
    c.rpcEndpoint = j.at("rpc").get<std::string>();
    c.primaryEndpoint = j.value("primary", c.rpcEndpoint);
    c.httpEndpoint = j.value("http", "");
    c.confdir = j.at("confdir").get<std::string>();
    c.mountpaths = j.value("mountpaths", std::vector<std::string>{});
    c.logLevel = j.value("log_level", "info");
    c.clusterDefaults.keepaliveIntervalMs =
        j.value("keepalive_interval_ms", c.clusterDefaults.keepaliveIntervalMs);
    c.clusterDefaults.keepaliveTimeoutMs =
        j.value("keepalive_timeout_ms", c.clusterDefaults.keepaliveTimeoutMs);
    c.clusterDefaults.downGraceMs = j.value("down_grace_ms", c.clusterDefaults.downGraceMs);
  } catch (const std::exception& e) {
    return Status(Code::kInvalidArgument, path + ": " + e.what());
  }
  if (c.id.empty()) return Status(Code::kInvalidArgument, path + ": empty \"id\"");
  if (c.isTarget() && c.mountpaths.empty()) {
    return Status(Code::kInvalidArgument, path + ": a target needs \"mountpaths\"");
  }
  return c;
}

}  // namespace ais::node
