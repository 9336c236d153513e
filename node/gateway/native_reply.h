// The native API's replies (JSON, and errors as {"code", "message"}) and its small request bodies
// (action messages), shared by native_api.cc and ais_actions.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "node/gateway/http_server.h"
#include "node/gateway/s3_auth.h"

namespace ais::gateway {

void sendJson(Exchange& ex, unsigned status, const nlohmann::json& j);
// HTTP status as for S3 (404, 409, 400, 503, 500 ObjectCorrupted), body {"code", "message"}.
void sendError(Exchange& ex, const Status& st);
// A request's (small) body, checked as the S3 payload reader checks any; nullopt once an error
// was answered (a reader error, or over `limit` bytes).
std::optional<std::string> readMessage(Exchange& ex, const S3Auth& auth, size_t limit,
                                       const std::string& what);

// {"checksum": {"type": "md5"}, "copies": 2} -> ("checksum.type", "md5"), ("copies", "2"): the
// keys of a props or config message as the CLI's KEY=VALUE edits name them (strings as they are,
// numbers and booleans as JSON text).
std::vector<std::pair<std::string, std::string>> flattenJson(const nlohmann::json& j);

}  // namespace ais::gateway
