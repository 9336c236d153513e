#include "tools/ais/endpoint.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "proto/client.h"

namespace ais::cli {
namespace {

// GET http://hostport/v1/health over a plain socket (HTTP/1.0: the server closes after the body).
Result<std::string> fabricOf(const std::string& hostport, double timeoutSec) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalidArgument, "http://" + hostport + ": expected http://host:port");
  }
  std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    return Status(Code::kUnavailable, "cannot resolve " + host);
  }
  int fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  timeval tv{static_cast<time_t>(timeoutSec), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0) {
    ::close(fd);
    return Status(Code::kUnavailable, "http://" + hostport + ": connection refused");
  }
  std::string req = "GET /v1/health HTTP/1.0\r\nHost: " + hostport + "\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) reply.append(buf, n);
  ::close(fd);
  auto body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return Status(Code::kUnavailable, "http://" + hostport + ": no HTTP answer");
  }
  try {
    auto j = nlohmann::json::parse(reply.substr(body + 4));
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
