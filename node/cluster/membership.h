// A non-primary node's side of membership: join the primary (retrying, and through any proxy it
// knows until one names the primary), then send keepalives to whichever proxy the Smap names
// primary and pull newer metadata whenever the primary has it. When the primary stays silent, a
// proxy runs for primary (Election); a target asks the proxies who leads now.
#pragma once

#include <kj/async.h>

#include <chrono>
#include <string>

#include "node/cluster/election.h"
#include "node/node_context.h"

namespace ais::node {

class Membership {
 public:
  // election: proxies only.
  Membership(NodeContext& ctx, Election* election) : ctx_(ctx), election_(election) {}

  // Resolves once every role of this node is in an accepted Smap.
  kj::Promise<void> join();
  // Keepalives until this node is the primary (an election it won); the primary's silence is
  // counted from now (a former primary starts following here).
  kj::Promise<void> follow();

 private:
  using Clock = std::chrono::steady_clock;
  // Where to join on attempt n: the Smap's primary, the configured one, then the other proxies.
  std::string joinEndpoint(uint32_t attempt) const;
  std::string primaryEndpoint() const;
  kj::Promise<void> keepalives();
  kj::Promise<void> joinRole(meta::Role role, uint32_t attempt);
  kj::Promise<void> pullMeta(std::string ep);
  // OK once the primary answered; kNotPrimary: the node asked is not (its metadata was pulled).
  kj::Promise<Status> keepaliveOnce(meta::Role role, std::string ep);
  // The primary has been silent too long: elect another (proxy) or learn who leads (target).
  kj::Promise<void> primarySilent();

  NodeContext& ctx_;
  Election* election_;
  Clock::time_point primaryAnswered_ = Clock::now();
};

}  // namespace ais::node
