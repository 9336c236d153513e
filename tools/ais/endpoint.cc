#include "tools/ais/endpoint.h"

#include <nlohmann/json.hpp>

#include "proto/client.h"
#include "tools/ais/http_get.h"

namespace ais::cli {
namespace {

// The fabric endpoint a node's /v1/health names.
Result<std::string> fabricOf(const std::string& hostport, double timeoutSec) {
  auto reply = httpGet(hostport, "/v1/health", timeoutSec);
  if (!reply.ok()) return reply.status();
  try {
    auto j = nlohmann::json::parse(reply->body);
    std::string rpc = j.value("rpc", "");
    if (!rpc.empty()) return rpc;
  } catch (const std::exception&) {
  }
  return Status(Code::kUnavailable,
                "http://" + hostport + "/v1/health does not name the node's fabric endpoint");
}

}  // namespace

Result<std::string> resolveEndpoint(const std::string& given, double timeoutSec) {
  std::string out;
  for (std::string ep : splitEndpoints(given)) {
    if (ep.rfind("https://", 0) == 0) {
      return Status(Code::kInvalidArgument,
                    ep + ": https is not supported (the gateway has no TLS)");
    }
    if (ep.rfind("http://", 0) == 0) {
      std::string hostport = ep.substr(7);
      while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
      auto rpc = fabricOf(hostport, timeoutSec);
      if (!rpc.ok()) {
        if (given.find(',') == std::string::npos) return rpc.status();
        continue;  // another of the list may answer
      }
      ep = *rpc;
    }
    if (!out.empty()) out += ",";
    out += ep;
  }
  if (out.empty()) return Status(Code::kUnavailable, "no endpoint of '" + given + "' answered");
  return out;
}

}  // namespace ais::cli
