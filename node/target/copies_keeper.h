// Keeps every object of a target at its bucket's copy count (mirror.copies): gives the Store each
// bucket's count from the BMD, queues the repair of objects that a read found missing or damaged
// on a mountpath, runs the make-n-copies job when a bucket's count changes and the resilver job
// when a mountpath came up empty beside others (added, wiped or lost). Loop-thread only, except
// the repair hook, which the Store calls from any thread.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "meta/bmd.h"
#include "node/node_context.h"

namespace ais::node {

class CopiesKeeper {
 public:
  explicit CopiesKeeper(NodeContext& ctx);

  void onBmdChange(const meta::BMD& before, const meta::BMD& after);
  // Once the node has the cluster's BMD: the resilver job, if a mountpath needs it.
  void onJoined();
  // The resilver job over every bucket (a running one is stopped first: this one supersedes
  // it); its id.
  Result<std::string> resilver();
  // A job (kind "make-n-copies" or "resilver") that runs Store::syncCopies for every object of
  // `buckets`, one I/O worker at a time; progress in the job's counters (damaged = objects that
  // could not be brought to their copies). label: the bucket the job reports ("" for several).
  Status startJob(const std::string& id, const std::string& kind, const std::string& label,
                  std::vector<std::string> buckets);

 private:
  NodeContext& ctx_;
};

}  // namespace ais::node
