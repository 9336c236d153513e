// A plain HTTP/1.0 GET of a node's gateway (open endpoints only: /v1/health, /metrics), for the
// CLI's few reads that are not fabric calls.
#pragma once

#include <string>

#include "common/status.h"

namespace ais::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

// GET http://hostport/path; kUnavailable if the node cannot be reached or does not answer HTTP.
Result<HttpReply> httpGet(const std::string& hostport, const std::string& path, double timeoutSec);

}  // namespace ais::cli
