// MetaCatchUp: a node that is asked about a bucket it does not know may have missed the metasync
// that created it (it was restarting, or the message was lost): before answering BucketNotFound
// it asks the primary for the newest metadata. Concurrent askers share one pull; a bucket that is
// still unknown right after a pull is answered at once (no pull per request for a bucket that
// really does not exist). Loop-thread only.
#pragma once

#include <kj/async.h>

#include <chrono>
#include <string>
#include <vector>

#include "node/node_context.h"

namespace ais::node {

// Asks every other proxy of the Smap (but `skip`) for its metadata and takes what is newer: a
// primary elected while this node was away, cut off or silent is learnt this way. Never fails.
kj::Promise<void> pullFromProxies(NodeContext& ctx, std::string skip = "");
// A primary starting without its BMD or config (lost or damaged on disk) while its Smap names
// other nodes: takes the newest of theirs (of this cluster's uuid), so it does not found an
// empty BMD over the buckets its targets hold. Never fails.
kj::Promise<void> recoverMetaFromNodes(NodeContext& ctx);
// True if the node at `endpoint` answers a getMeta within `timeout` (dead, frozen or cut off: no).
kj::Promise<bool> nodeAnswers(NodeContext& ctx, std::string endpoint, kj::Duration timeout);

class MetaCatchUp {
 public:
  explicit MetaCatchUp(NodeContext& ctx) : ctx_(ctx) {}

  // Resolves once the BMD knows `bucket`, or a pull from the primary (at most one per 500 ms)
  // found it still missing, or the primary could not be asked. Never fails.
  kj::Promise<void> knowBucket(const std::string& bucket);

 private:
  kj::Promise<void> pull();

  NodeContext& ctx_;
  bool pulling_ = false;
  std::vector<kj::Own<kj::PromiseFulfiller<void>>> waiters_;  // of the pull in flight
  kj::Promise<void> pullTask_ = nullptr;
  std::chrono::steady_clock::time_point lastPull_{};
};

}  // namespace ais::node
