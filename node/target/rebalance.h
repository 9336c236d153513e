// Rebalance on a target: after the set of active targets changes (a node joined or left), move
// every local object that this target no longer owns to its new HRW owner, then delete it here.
// A target in maintenance keeps its objects; one being decommissioned moves them all, scanning
// again until it is shut down.
// Runs on the loop thread, one object at a time, restarted from scratch on a newer change.
// Invariants: an object is deleted locally only after its owner committed it (or already had a
// copy, which is then the newer one: transfers never overwrite, see ObjectRef.ifAbsent).
#pragma once

#include <kj/async.h>

#include <string>

#include "node/node_context.h"

namespace ais::node {

class ObjectService;

class Rebalancer {
 public:
  Rebalancer(NodeContext& ctx, ObjectService& target) : ctx_(ctx), target_(target) {}

  // Call after a new Smap was accepted; starts a pass if the active targets differ from the last
  // pass's (always true for the first call after start-up).
  void onSmap(const meta::Smap& smap);

  struct Stats {
    uint64_t generation = 0;
    uint64_t moved = 0;
    uint64_t failed = 0;
    bool running = false;
  };
  const Stats& stats() const { return stats_; }

 private:
  // One pass is a job (kind "rebalance", id "rebalance-v<Smap version>", the same on every
  // target; a retry adds "-retry<n>"): it resolves OK when everything misplaced moved, with an
  // error naming how many objects did not.
  kj::Promise<Status> runPass(uint64_t generation, std::shared_ptr<JobCounters> counters);
  // Every bucket (and the kept versions of versioned ones), misplaced objects moved.
  kj::Promise<void> scanAll(uint64_t generation, std::shared_ptr<JobCounters> counters);
  kj::Promise<void> scanBucket(uint64_t generation, std::shared_ptr<JobCounters> counters,
                               std::string bucket, std::string after);
  // A target being decommissioned scans again every second until it is shut down (the pass's
  // job runs on meanwhile): a write it took just before it learnt it is leaving may commit after
  // the scan went past its name, and the decommission waits for the target to hold nothing.
  kj::Promise<void> rescanWhileLeaving(uint64_t generation, std::shared_ptr<JobCounters> counters);
  bool superseded(uint64_t generation, const JobCounters& counters) const;

  NodeContext& ctx_;
  ObjectService& target_;
  std::string lastTargets_;  // sorted active target ids of the last pass
  Stats stats_;
  std::string jobId_;  // of the running (or last) pass
  kj::Promise<void> retry_ = nullptr;
  uint32_t retries_ = 0;  // consecutive passes with failures
};

}  // namespace ais::node
