// A non-primary node's side of membership: join the primary (retrying until it answers), then
// send keepalives and pull newer metadata whenever the primary has it.
#pragma once

#include <kj/async.h>

#include <functional>

#include "node/node_context.h"

namespace ais::node {

class Membership {
 public:
  explicit Membership(NodeContext& ctx) : ctx_(ctx) {}

  // Resolves once every role of this node is in an accepted Smap.
  kj::Promise<void> join();
  // Runs forever.
  kj::Promise<void> keepalives();

 private:
  kj::Promise<void> joinRole(meta::Role role, uint32_t attempt);
  kj::Promise<void> pullMeta();
  kj::Promise<void> keepaliveOnce(meta::Role role);

  NodeContext& ctx_;
};

}  // namespace ais::node
