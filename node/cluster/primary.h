// The primary proxy's duties: admit joining nodes, track keepalives (mark silent nodes down),
// own bucket creation/destruction, and push every new Smap/BMD/Config to all nodes (metasync).
#pragma once

#include <kj/async.h>

#include <chrono>
#include <map>
#include <string>

#include "node/node_context.h"

namespace ais::node {

class Primary {
 public:
  explicit Primary(NodeContext& ctx) : ctx_(ctx) {}

  // Creates (or resumes) the cluster's metadata with this node as primary.
  Status bootstrap();
  // Runs forever: marks nodes down after keepaliveTimeoutMs of silence.
  kj::Promise<void> watchKeepalives();

  kj::Promise<Status> join(meta::NodeInfo node);
  // Returns the primary's current Smap version; kNodeNotFound tells the node to join again.
  kj::Promise<Status> keepalive(const std::string& id, meta::Role role);
  kj::Promise<Status> createBucket(const std::string& name, meta::BucketProps props);
  kj::Promise<Status> destroyBucket(const std::string& name, bool force);
  kj::Promise<Status> setBucketProps(const std::string& name, meta::BucketProps props);

 private:
  using Clock = std::chrono::steady_clock;
  // Accepts locally and pushes to every other node; resolves when all answered or timed out.
  // Accepts the new Smap/BMD here and sends them to every other node (3 tries each, 5 s per
  // try). Resolves with the live (not down) nodes that did not take them, "id: why; ...", or "".
  kj::Promise<std::string> publish(std::optional<meta::Smap> smap, std::optional<meta::BMD> bmd);
  // One node's metasync, retried; "" once it took it, else why not.
  kj::Promise<std::string> metasyncTo(std::string endpoint, int attempt);
  kj::Promise<Status> allTargetsEmpty(const std::string& bucket);
  // OK if every active target has at least `copies` enabled mountpaths (mirror.copies), else
  // an error naming the first that has not (or did not answer).
  kj::Promise<Status> targetsCanMirror(uint32_t copies);

  NodeContext& ctx_;
  std::map<std::pair<std::string, meta::Role>, Clock::time_point> lastSeen_;
};

}  // namespace ais::node
