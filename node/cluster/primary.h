// The primary proxy's duties: admit joining nodes, track keepalives (mark silent nodes down),
// own bucket creation/destruction, and push every new Smap/BMD/Config to all nodes (metasync).
#pragma once

#include <kj/async.h>

#include <chrono>
#include <functional>
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
  // Runs while this node is the primary (resolves once another one took over): marks nodes down
  // after keepaliveTimeoutMs of silence, and removes targets down for longer than downGraceMs.
  kj::Promise<void> watchKeepalives();
  // Election won (node/cluster/election.h): publishes a Smap naming this proxy primary and
  // `previous` down. True once a majority of the proxies took it.
  kj::Promise<bool> takeOver(std::string previous);
  // Asks every other proxy for its metadata and takes what is newer: a primary that lost its
  // place (it was away, or cut off) learns who leads now, and stops acting as primary.
  kj::Promise<void> catchUp();

  kj::Promise<Status> join(meta::NodeInfo node);
  // Returns the primary's current Smap version; kNodeNotFound tells the node to join again.
  // smapVersion: the sender's.
  kj::Promise<Status> keepalive(const std::string& id, meta::Role role, uint64_t smapVersion);
  kj::Promise<Status> createBucket(const std::string& name, meta::BucketProps props);
  kj::Promise<Status> destroyBucket(const std::string& name, bool force);
  // expected: the props the caller read; VersionChanged if they are not the bucket's any more.
  kj::Promise<Status> setBucketProps(const std::string& name, meta::BucketProps props,
                                     std::optional<meta::BucketProps> expected = std::nullopt);
  // The cluster config replaced (fabric setClusterConfig): checked, published as the next version
  // with the current Smap and BMD, resolves with that version. VersionChanged unless the config
  // is still at config.version.
  kj::Promise<Result<uint64_t>> setClusterConfig(meta::ClusterConfig config);
  // A target's membership (fabric setNodeState): "start-maintenance", "stop-maintenance" or
  // "decommission". Resolves with the published Smap's version. A decommissioned target that is
  // up moves its objects away (its rebalance), then is stopped and removed (watched here, and
  // resumed by a new primary from the Smap's flags); one that is down is removed at once.
  kj::Promise<Result<uint64_t>> setNodeState(const std::string& id, const std::string& action,
                                             bool rmUserData);
  // A proxy's membership: start-/stop-maintenance (out of the running for primary, keeps its
  // vote), decommission (stopped and removed from the Smap), set-primary (this primary hands the
  // role over; the Smap naming the new one is quorum-checked like any other). The primary itself
  // can only hand its role over.

 private:
  using Clock = std::chrono::steady_clock;
  // Accepts locally and pushes to every other node; resolves when all answered or timed out.
  // Accepts the new Smap/BMD here and sends them to every other node (3 tries each, 5 s per
  // try). Resolves with the live (not down) nodes that did not take them, "id: why; ...", or "".
  // `excused`: a node whose miss is expected (one being put out of the cluster).
  // A new Smap goes first to the other proxies and is taken here only once a majority of all the
  // proxies it lists (this one included) accepted it: a proxy takes one Smap per version, so two
  // primaries never publish the same version, and one cut off from the majority publishes none
  // ("no quorum: ...", and it catches up). Then the rest of the nodes get it.
  // `taken`: called once the Smap is taken here (before the other nodes have it).
  kj::Promise<std::string> publish(std::optional<meta::Smap> smap, std::optional<meta::BMD> bmd,
                                   const std::string& excused = "",
                                   std::function<void()> taken = nullptr);
  // publish() past the quorum: takes them here, then sends them to every other node.
  kj::Promise<std::string> publishAccepted(std::optional<meta::Smap> smap,
                                           std::optional<meta::BMD> bmd, const std::string& excused,
                                           std::function<void()> taken = nullptr);
  // "" once a majority of smap's proxies took it, else why not.
  kj::Promise<std::string> proposeToProxies(const meta::Smap& smap);
  // Smap changes run one at a time, each on the Smap the previous one left: `edit` changes a
  // copy (false: nothing to change), which is then published as the next version. `excused` as
  // for publish; `takingOver`: run by a proxy that is not the primary yet.
  kj::Promise<std::string> changeSmap(std::function<bool(meta::Smap&)> edit,
                                      std::string excused = "", bool takingOver = false,
                                      std::function<void()> taken = nullptr);
  // BMD changes run one at a time, each on the BMD the previous one left: `change` reads
  // ctx_.meta.bmd(), edits a copy and publishes it. (Two built on the same version would both be
  // v+1, and every node keeps the first: the second, answered OK, would be lost.)
  kj::Promise<Status> changeBmd(std::function<kj::Promise<Status>()> change);
  // One node's metasync, retried; "" once it took it, else why not.
  kj::Promise<std::string> metasyncTo(std::string endpoint, int attempt);
  // Right after an election nobody knows which nodes went down with the old primary: each is
  // asked once, and those that do not answer are marked down at once (not after
  // keepaliveTimeoutMs), so that bucket changes do not wait for them.
  kj::Promise<void> markSilentDown();
  kj::Promise<Status> allTargetsEmpty(const std::string& bucket);
  // OK if every active target has at least `copies` enabled mountpaths (mirror.copies), else
  // an error naming the first that has not (or did not answer).
  kj::Promise<Status> targetsCanMirror(uint32_t copies);

  // Decommission, one step a second: once the target lists no object in any bucket, it is told to
  // shut down, then removed from the Smap.
  kj::Promise<Result<uint64_t>> setProxyState(const std::string& id, const std::string& action);
  void watchDecommission(const std::string& id);
  kj::Promise<void> decommissionStep(std::string id);
  // The first object ("bucket/name") the target at ep lists in any bucket of the BMD; empty if
  // none.
  kj::Promise<Result<std::string>> firstObjectHeld(std::string ep,
                                                   std::vector<std::string> buckets);
  kj::Promise<Status> removeNode(const std::string& id, meta::Role role);
  void taskFailed(kj::Exception&& exception) override;

  NodeContext& ctx_;
  std::map<std::pair<std::string, meta::Role>, Clock::time_point> lastSeen_;
  std::map<std::string, Clock::time_point> downSince_;  // targets seen down, since when
  // Nodes (by id) that gave no answer to a metasync while not flagged down: sent the metadata
  // again at their next keepalive, which may come before any flag does (a pause of seconds).
  std::set<std::string> behind_;
  std::set<std::string> leaving_;                 // targets whose decommission is being watched
  std::map<std::string, uint32_t> leavingWaits_;  // steps each waited (logged every 10)
  std::map<std::string, bool> rmUserData_;        // decommissioned targets whose data is wiped
  kj::ForkedPromise<void> smapTail_ = kj::Promise<void>(kj::READY_NOW).fork();
  kj::ForkedPromise<void> bmdTail_ = kj::Promise<void>(kj::READY_NOW).fork();
  bool catchingUp_ = false;
  bool watching_ = false;  // watchKeepalives is in a stint as primary
  kj::TaskSet tasks_;
};

}  // namespace ais::node
