#include "node/gateway/native_reply.h"

#include <fmt/format.h>

#include "node/gateway/s3_errors.h"
#include "node/gateway/s3_payload.h"

namespace ais::gateway {

using nlohmann::json;

void sendJson(Exchange& ex, unsigned status, const json& j) {
  ex.responseHeaders().set(http::field::content_type, "application/json");
  (void)ex.respond(status, j.dump() + "\n");
}

void sendError(Exchange& ex, const Status& st) {
  S3Error e = s3Error(st);
  if (st.code() == Code::kNodeNotFound) e.http = 404;  // (S3 has no nodes)
  sendJson(ex, e.http,
           json{{"code", std::string(codeName(st.code()))}, {"message", st.toString()}});
}

std::optional<std::string> readMessage(Exchange& ex, const S3Auth& auth, size_t limit,
                                       const std::string& what) {
  PayloadReader body(ex, auth);
  if (const auto& e = body.error()) {
    sendJson(ex, e->http, json{{"code", e->code}, {"message", e->message}});
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  while (size_t n = body.read(buf, sizeof buf)) {
    text.append(buf, n);
    if (text.size() > limit) {
      ex.closeAfter();
      sendError(ex,
                Status(Code::kInvalidArgument, fmt::format("{} over {} KiB", what, limit >> 10)));
      return std::nullopt;
    }
  }
  if (!body.finish()) {
    const auto& e = *body.error();
    sendJson(ex, e.http, json{{"code", e.code}, {"message", e.message}});
    return std::nullopt;
  }
  return text;
}

namespace {

void flattenInto(const nlohmann::json& j, const std::string& prefix,
                 std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      flattenInto(*it, key, out);
    } else {
      out.emplace_back(key, it->is_string() ? it->get<std::string>() : it->dump());
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flattenJson(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_object()) flattenInto(j, "", out);
  return out;
}

}  // namespace ais::gateway
