#include "proto/local_socket.h"

namespace ais::proto {

std::optional<std::string> localSocketOf(const std::string& endpoint) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon + 1 == endpoint.size()) return std::nullopt;
  std::string host = endpoint.substr(0, colon);
  bool loopback = host.starts_with("127.") || host == "localhost" || host == "[::1]";
  if (!loopback) return std::nullopt;
  return "unix-abstract:ais-fabric/" + endpoint;
}

}  // namespace ais::proto
