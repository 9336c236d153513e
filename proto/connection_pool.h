// One Cap'n Proto connection per remote endpoint, made on first use and dropped after a transport
// fault so the next call reconnects. Belongs to one KJ event loop thread.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <map>
#include <memory>
#include <string>

#include "proto/ais.capnp.h"

namespace ais::proto {

class ConnectionPool {
 public:
  explicit ConnectionPool(kj::AsyncIoProvider& io) : io_(io) {}

  // A capability for the endpoint's Node; while connecting it is a promise capability, so calls
  // may be made at once. Connection failures surface as DISCONNECTED on those calls.
  wire::Node::Client get(const std::string& endpoint);
  // Forget the endpoint's connection (call after a DISCONNECTED/OVERLOADED failure).
  void drop(const std::string& endpoint);

  kj::Timer& timer() { return io_.getTimer(); }

 private:
  struct Connection {
    kj::Own<kj::AsyncIoStream> stream;
    kj::Own<capnp::TwoPartyClient> rpc;
  };
  // Shared with the connect continuation, which may finish after the entry was dropped.
  struct Holder {
    kj::Own<Connection> conn;  // null while connecting
  };
  struct Entry {
    std::shared_ptr<Holder> holder;
    kj::Maybe<wire::Node::Client> cap;
  };

  kj::AsyncIoProvider& io_;
  std::map<std::string, kj::Own<Entry>> entries_;
};

}  // namespace ais::proto
