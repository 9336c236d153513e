#include "proto/connection_pool.h"

#include "proto/local_socket.h"

namespace ais::proto {

wire::Node::Client ConnectionPool::get(const std::string& endpoint) {
  auto it = entries_.find(endpoint);
  if (it != entries_.end()) {
    KJ_IF_MAYBE (cap, it->second->cap) {
      return *cap;
    }
  }
  auto entry = kj::heap<Entry>();
  entry->holder = std::make_shared<Holder>();
  auto connect = [this](const std::string& address) {
    return io_.getNetwork().parseAddress(address).then([](kj::Own<kj::NetworkAddress> addr) {
      auto connect = addr->connect();
      return connect.attach(kj::mv(addr));
    });
  };
  kj::Promise<kj::Own<kj::AsyncIoStream>> stream = nullptr;
  if (auto local = localSocketOf(endpoint)) {
    // (A node without the socket, or of an older build, is reached over TCP.)
    stream = connect(*local).catch_(
        [connect, endpoint](kj::Exception&&) mutable { return connect(endpoint); });
  } else {
    stream = connect(endpoint);
  }
  auto promise = kj::mv(stream).then(
      [holder = entry->holder](kj::Own<kj::AsyncIoStream> stream) -> wire::Node::Client {
        auto conn = kj::heap<Connection>();
        conn->stream = kj::mv(stream);
        // Default reader limits (64 MiB a message) fit: data travels in 1 MiB chunks.
        conn->rpc = kj::heap<capnp::TwoPartyClient>(*conn->stream);
        auto cap = conn->rpc->bootstrap().castAs<wire::Node>();
        holder->conn = kj::mv(conn);
        return cap;
      });
  wire::Node::Client cap(kj::mv(promise));
  entry->cap = cap;
  entries_[endpoint] = kj::mv(entry);
  return cap;
}

void ConnectionPool::drop(const std::string& endpoint) { entries_.erase(endpoint); }

}  // namespace ais::proto
