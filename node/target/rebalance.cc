#include "node/target/rebalance.h"

#include <algorithm>

#include "common/log.h"
#include "node/target/object_service.h"

namespace ais::node {
namespace {

std::string activeTargetKey(const meta::Smap& smap) {
  std::vector<std::string> ids;
  for (const meta::NodeInfo* t : smap.activeTargets()) ids.push_back(t->id);
  std::sort(ids.begin(), ids.end());
  std::string key;
  for (auto& id : ids) key += id + ",";
  return key;
}

constexpr size_t kScanBatch = 256;
constexpr uint64_t kMaxRetryDelayMs = 30000;

}  // namespace

void Rebalancer::onSmap(const meta::Smap& smap) {
  std::string key = activeTargetKey(smap);
  if (key == lastTargets_) return;
  lastTargets_ = key;
  uint64_t generation = ++stats_.generation;
  stats_.running = true;
  // A newer pass replaces the running one (dropping a promise cancels it).
  task_ = runPass(generation).eagerlyEvaluate([this](kj::Exception&& e) {
    stats_.running = false;
    log::error("rebalance failed: {}", e.getDescription().cStr());
  });
}

kj::Promise<void> Rebalancer::runPass(uint64_t generation) {
  std::vector<std::string> buckets;
  for (const auto& [name, props] : ctx_.meta.bmd().buckets) buckets.push_back(name);
  kj::Promise<void> chain = kj::READY_NOW;
  for (auto& b : buckets) {
    chain = chain.then([this, generation, b] { return scanBucket(generation, b, ""); });
  }
  uint64_t movedBefore = stats_.moved;
  uint64_t failedBefore = stats_.failed;
  return chain.then([this, generation, movedBefore, failedBefore] {
    if (generation != stats_.generation) return;
    stats_.running = false;
    uint64_t moved = stats_.moved - movedBefore;
    uint64_t failed = stats_.failed - failedBefore;
    if (moved > 0 || failed > 0) {
      log::info("rebalance pass {} done: {} objects moved, {} failed", generation, moved, failed);
    }
    if (failed == 0) {
      retries_ = 0;
    } else {
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
    }
  });
}

kj::Promise<void> Rebalancer::scanBucket(uint64_t generation, std::string bucket,
                                         std::string after) {
  if (generation != stats_.generation) return kj::READY_NOW;
  return target_.listLocal(bucket, after, kScanBatch)
      .then([this, generation, bucket](Result<std::vector<store::Lom>> batch) -> kj::Promise<void> {
        if (!batch.ok() || batch->empty() || generation != stats_.generation) return kj::READY_NOW;
        const meta::Smap& smap = ctx_.meta.smap();
        std::vector<std::string> misplaced;
        for (const auto& lom : *batch) {
          const meta::NodeInfo* owner = meta::ownerTarget(smap, meta::uname(bucket, lom.name));
          if (owner && owner->id != ctx_.cfg.id) misplaced.push_back(lom.name);
        }
        std::string next = batch->back().name;
        bool more = batch->size() == kScanBatch;
        kj::Promise<void> chain = kj::READY_NOW;
        for (auto& name : misplaced) {
          chain = chain.then([this, generation, bucket, name]() -> kj::Promise<void> {
            if (generation != stats_.generation) return kj::READY_NOW;
            return target_.moveToOwner(bucket, name).then([this, bucket, name](Status st) {
              if (st.ok()) {
                ++stats_.moved;
              } else if (st.code() != Code::kObjectNotFound) {
                ++stats_.failed;
                log::warn("rebalance of ais://{}/{}: {}", bucket, name, st.toString());
              }
            });
          });
        }
        return chain.then([this, generation, bucket, next, more]() -> kj::Promise<void> {
          if (!more) return kj::READY_NOW;
          return scanBucket(generation, bucket, next);
        });
      });
}

}  // namespace ais::node
