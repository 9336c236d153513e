#include "node/target/rebalance.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/log.h"
#include "meta/names.h"
#include "node/target/object_service.h"

namespace ais::node {
namespace {

// What a pass depends on: the active targets, and whether this one is leaving (a target in
// maintenance that is then decommissioned has objects to move although placement is the same).
std::string activeTargetKey(const meta::Smap& smap, const std::string& self) {
  std::vector<std::string> ids;
  for (const meta::NodeInfo* t : smap.activeTargets()) ids.push_back(t->id);
  std::sort(ids.begin(), ids.end());
  std::string key;
  for (auto& id : ids) key += id + ",";
  const meta::NodeInfo* me = smap.find(self, meta::Role::kTarget);
  if (me && me->decommissioning()) key += "leaving";
  return key;
}

constexpr size_t kScanBatch = 256;
constexpr uint64_t kMaxRetryDelayMs = 30000;
constexpr auto kLeavingRescan = 1 * kj::SECONDS;

}  // namespace

void Rebalancer::onSmap(const meta::Smap& smap) {
  std::string key = activeTargetKey(smap, ctx_.cfg.id);
  if (key == lastTargets_) return;
  lastTargets_ = key;
  uint64_t generation = ++stats_.generation;
  stats_.running = true;
  // A newer pass supersedes the running one, which stops at its next object.
  if (!jobId_.empty()) ctx_.jobs.stop(jobId_, "");
  std::string id = fmt::format("rebalance-v{}", smap.version);
  if (retries_ > 0) id += fmt::format("-retry{}", retries_);
  for (int n = 2; !ctx_.jobs.list(id, "").empty(); ++n) {
    id = fmt::format("rebalance-v{}-{}", smap.version, n);  // same Smap, a pass again
  }
  jobId_ = id;
  Status st = ctx_.jobs.start(id, "rebalance", "", [this, generation](Job& job) {
    return runPass(generation, job.counters);
  });
  if (!st.ok()) log::error("rebalance: {}", st.toString());
}

bool Rebalancer::superseded(uint64_t generation, const JobCounters& counters) const {
  return generation != stats_.generation || counters.stopRequested();
}

kj::Promise<Status> Rebalancer::runPass(uint64_t generation,
                                        std::shared_ptr<JobCounters> counters) {
  const meta::NodeInfo* self = ctx_.meta.smap().find(ctx_.cfg.id, meta::Role::kTarget);
  if (self && self->inMaintenance() && !self->decommissioning()) {
    // Out of placement for a while: the objects stay here, served when asked, and are this
    // target's again when it returns (nothing moves twice).
    stats_.running = false;
    log::info("in maintenance: keeping this target's objects");
    return Status::OK();
  }
  std::vector<std::string> buckets;
  for (const auto& [name, props] : ctx_.meta.bmd().buckets) buckets.push_back(name);
  kj::Promise<void> chain = scanAll(generation, counters);
  // Then the objects whose main copy left with a target: their owners restore them from EC.
  for (auto& b : buckets) {
    chain = chain.then([this, generation, counters, b] {
      return target_.ec()
          .rebuildMissing(
              b, [this, generation, counters] { return superseded(generation, *counters); })
          .then([b](uint64_t restored) {
            if (restored > 0) log::info("ais://{}: {} objects restored from EC", b, restored);
          });
    });
  }
  chain =
      chain.then([this, generation, counters] { return rescanWhileLeaving(generation, counters); });
  uint64_t movedBefore = stats_.moved;
  uint64_t failedBefore = stats_.failed;
  return chain.then([this, generation, counters, movedBefore, failedBefore]() -> Status {
    uint64_t moved = stats_.moved - movedBefore;
    uint64_t failed = stats_.failed - failedBefore;
    if (generation != stats_.generation)
      return Status(Code::kInternal, "superseded by a newer pass");
    stats_.running = false;
    if (counters->stopRequested()) return Status::OK();  // stopped: no retry
    if (moved > 0 || failed > 0) {
      log::info("rebalance pass {} done: {} objects moved, {} failed", generation, moved, failed);
    }
    if (failed == 0) {
      retries_ = 0;
      return Status::OK();
    }
    // Owners that were unreachable, or had not yet seen the new metadata (a joining target
    // learns it a moment after the others), get another pass: soon first, then less often.
    uint64_t delayMs = std::min<uint64_t>(kMaxRetryDelayMs, 500ull << std::min(retries_, 6u));
    ++retries_;
    retry_ = ctx_.timer()
                 .afterDelay(delayMs * kj::MILLISECONDS)
                 .then([this] {
                   lastTargets_.clear();
                   onSmap(ctx_.meta.smap());
                 })
                 .eagerlyEvaluate(nullptr);
    return Status(
        Code::kIoError,
        fmt::format("{} objects could not be moved; another pass in {} ms", failed, delayMs));
  });
}

kj::Promise<void> Rebalancer::scanAll(uint64_t generation, std::shared_ptr<JobCounters> counters) {
  kj::Promise<void> chain = kj::READY_NOW;
  for (auto& b : ctx_.meta.bmd().objectBuckets()) {
    chain = chain.then(
        [this, generation, counters, b] { return scanBucket(generation, counters, b, ""); });
  }
  return chain;
}

kj::Promise<void> Rebalancer::rescanWhileLeaving(uint64_t generation,
                                                 std::shared_ptr<JobCounters> counters) {
  const meta::NodeInfo* self = ctx_.meta.smap().find(ctx_.cfg.id, meta::Role::kTarget);
  if (!self || !self->decommissioning() || superseded(generation, *counters)) return kj::READY_NOW;
  return ctx_.timer()
      .afterDelay(kLeavingRescan)
      .then([this, generation, counters] { return scanAll(generation, counters); })
      .then([this, generation, counters] { return rescanWhileLeaving(generation, counters); });
}

kj::Promise<void> Rebalancer::scanBucket(uint64_t generation, std::shared_ptr<JobCounters> counters,
                                         std::string bucket, std::string after) {
  if (superseded(generation, *counters)) return kj::READY_NOW;
  return target_.listLocal(bucket, after, kScanBatch)
      .then([this, generation, counters,
             bucket](Result<std::vector<store::Lom>> batch) -> kj::Promise<void> {
        if (!batch.ok() || batch->empty() || superseded(generation, *counters)) {
          return kj::READY_NOW;
        }
        const meta::Smap& smap = ctx_.meta.smap();
        std::vector<std::pair<std::string, uint64_t>> misplaced;  // name, size
        for (const auto& lom : *batch) {
          const meta::NodeInfo* owner = meta::ownerTarget(smap, meta::uname(bucket, lom.name));
          if (owner && owner->id != ctx_.cfg.id) misplaced.emplace_back(lom.name, lom.size);
        }
        std::string next = batch->back().name;
        bool more = batch->size() == kScanBatch;
        kj::Promise<void> chain = kj::READY_NOW;
        for (auto& [name, size] : misplaced) {
          chain = chain.then([this, generation, counters, bucket, name = name,
                              size = size]() -> kj::Promise<void> {
            if (superseded(generation, *counters)) return kj::READY_NOW;
            return target_.moveToOwner(bucket, name)
                .then([this, counters, bucket, name, size](Status st) {
                  // (kVersionChanged: moved, and written here again meanwhile; that write was
                  // committed away from its owner and is handed off: handOffIfAway.)
                  if (st.ok() || st.code() == Code::kVersionChanged) {
                    ++stats_.moved;
                    counters->objects.fetch_add(1);
                    counters->bytes.fetch_add(size);
                  } else if (st.code() != Code::kObjectNotFound) {
                    ++stats_.failed;
                    counters->damaged.fetch_add(1);
                    log::warn("rebalance of ais://{}/{}: {}", bucket, name, st.toString());
                  }
                });
          });
        }
        return chain.then([this, generation, counters, bucket, next, more]() -> kj::Promise<void> {
          if (!more) return kj::READY_NOW;
          return scanBucket(generation, counters, bucket, next);
        });
      });
}

}  // namespace ais::node
