// The primary proxy's duties: admit joining nodes, track keepalives (mark silent nodes down),
// own bucket creation/destruction, and push every new Smap/BMD/Config to all nodes (metasync).
#pragma once

#include <kj/async.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "node/node_context.h"

namespace ais::node {

class Primary final : private kj::TaskSet::ErrorHandler {
 public:
  explicit Primary(NodeContext& ctx) : ctx_(ctx), tasks_(*this) {}

  // Creates (or resumes) the cluster's metadata with this node as primary.
  Status bootstrap();
  // Runs forever: marks nodes down after keepaliveTimeoutMs of silence, and removes targets
  // down for longer than downGraceMs from the Smap.
  kj::Promise<void> watchKeepalives();

  kj::Promise<Status> join(meta::NodeInfo node);
  // Returns the primary's current Smap version; kNodeNotFound tells the node to join again.
  kj::Promise<Status> keepalive(const std::string& id, meta::Role role);
  kj::Promise<Status> createBucket(const std::string& name, meta::BucketProps props);
  kj::Promise<Status> destroyBucket(const std::string& name, bool force);
  kj::Promise<Status> setBucketProps(const std::string& name, meta::BucketProps props);
  // A target's membership (fabric setNodeState): "start-maintenance", "stop-maintenance" or
  // "decommission". Resolves with the published Smap's version. A decommissioned target that is
  // up moves its objects away (its rebalance), then is stopped and removed (watched here, and
  // resumed by a new primary from the Smap's flags); one that is down is removed at once.
  kj::Promise<Result<uint64_t>> setNodeState(const std::string& id, const std::string& action,
                                             bool rmUserData);

 private:
  using Clock = std::chrono::steady_clock;
  // Accepts locally and pushes to every other node; resolves when all answered or timed out.
  // Accepts the new Smap/BMD here and sends them to every other node (3 tries each, 5 s per
  // try). Resolves with the live (not down) nodes that did not take them, "id: why; ...", or "".
  // `excused`: a node whose miss is expected (one being put out of the cluster).
  kj::Promise<std::string> publish(std::optional<meta::Smap> smap, std::optional<meta::BMD> bmd,
                                   const std::string& excused = "");
  // One node's metasync, retried; "" once it took it, else why not.
  kj::Promise<std::string> metasyncTo(std::string endpoint, int attempt);
  kj::Promise<Status> allTargetsEmpty(const std::string& bucket);
  // OK if every active target has at least `copies` enabled mountpaths (mirror.copies), else
  // an error naming the first that has not (or did not answer).
  kj::Promise<Status> targetsCanMirror(uint32_t copies);

  // Decommission, one step a second: once the target lists no object in any bucket, it is told to
  // shut down, then removed from the Smap.
  void watchDecommission(const std::string& id);
  kj::Promise<void> decommissionStep(std::string id);
  // True if the target at ep lists an object in any bucket of the BMD.
  kj::Promise<Result<bool>> holdsObjects(std::string ep, std::vector<std::string> buckets);
  kj::Promise<Status> removeNode(const std::string& id, meta::Role role);
  void taskFailed(kj::Exception&& exception) override;

  NodeContext& ctx_;
  std::map<std::pair<std::string, meta::Role>, Clock::time_point> lastSeen_;
  std::map<std::string, Clock::time_point> downSince_;  // targets seen down, since when
  std::set<std::string> leaving_;           // targets whose decommission is being watched
  std::map<std::string, bool> rmUserData_;  // decommissioned targets whose data is wiped
  kj::TaskSet tasks_;
};

}  // namespace ais::node
