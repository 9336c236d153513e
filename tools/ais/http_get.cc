#include "tools/ais/http_get.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>

namespace ais::cli {

Result<HttpReply> httpGet(const std::string& hostport, const std::string& path, double timeoutSec) {
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
  // HTTP/1.0: the server closes after the body.
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) reply.append(buf, n);
  ::close(fd);
  auto body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.", 0) != 0 || body == std::string::npos || reply.size() < 12) {
    return Status(Code::kUnavailable, "http://" + hostport + path + ": no HTTP answer");
  }
  return HttpReply{std::atoi(reply.c_str() + 9), reply.substr(body + 4)};
}

}  // namespace ais::cli
