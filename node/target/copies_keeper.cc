#include "node/target/copies_keeper.h"

#include <fmt/format.h>

#include <map>

#include "common/clock.h"
#include "common/log.h"
#include "meta/names.h"

namespace ais::node {
namespace {

std::map<std::string, store::BucketPolicy, std::less<>> policiesOf(const meta::BMD& bmd) {
  std::map<std::string, store::BucketPolicy, std::less<>> out;
  for (const auto& [name, props] : bmd.buckets) {
    store::Versioning v =
        props.objectVersioning == meta::kVersioningEnabled     ? store::Versioning::kEnabled
        : props.objectVersioning == meta::kVersioningSuspended ? store::Versioning::kSuspended
                                                               : store::Versioning::kOff;
    out[name] = store::BucketPolicy{
        .copies = props.mirrorCopies, .versioning = v, .checksumType = props.checksumType};
  }
  return out;
}

constexpr size_t kPage = 1000;

// Every object of the buckets through syncCopies; runs on one I/O worker.
Status syncAll(store::Store& store, const std::vector<std::string>& buckets,
               store::ScrubCounters& counters) {
  for (const auto& bucket : buckets) {
    std::string after;
    for (;;) {
      if (counters.stopRequested && counters.stopRequested()) {
        return Status(Code::kInternal, "stopped");
      }
      if (IoWorkers::cancelRequested()) return Status(Code::kInternal, "canceled");
      auto page = store.list(bucket, "", after, kPage);
      if (!page.ok()) return page.status();
      for (const auto& lom : *page) {
        auto r = store.syncCopies(bucket, lom.name);
        counters.objects.fetch_add(1, std::memory_order_relaxed);
        if (r.ok()) {
          counters.bytes.fetch_add(r->bytes, std::memory_order_relaxed);
        } else if (r.code() != Code::kObjectNotFound) {  // deleted meanwhile: nothing to keep
          counters.damaged.fetch_add(1, std::memory_order_relaxed);
          log::error("ais://{}/{}: cannot restore its copies: {}", bucket, lom.name,
                     r.status().toString());
        }
      }
      if (page->size() < kPage) break;
      after = page->back().name;
    }
  }
  return Status::OK();
}

}  // namespace

CopiesKeeper::CopiesKeeper(NodeContext& ctx) : ctx_(ctx) {
  ctx_.store->setBucketPolicies(policiesOf(ctx_.meta.bmd()));
  store::Store* store = ctx_.store.get();
  IoWorkers* io = ctx_.io.get();
  store->setRepairHook([store, io](const std::string& bucket, const std::string& name) {
    io->post(store->mountpathIndex(bucket, name), [store, bucket, name] {
      auto r = store->syncCopies(bucket, name);
      if (r.ok()) {
        log::info("ais://{}/{}: repaired ({} copies written, {} removed)", bucket, name, r->copied,
                  r->removed);
      } else {
        log::error("ais://{}/{}: repair failed: {}", bucket, name, r.status().toString());
      }
    });
  });
}

void CopiesKeeper::onBmdChange(const meta::BMD& before, const meta::BMD& after) {
  ctx_.store->setBucketPolicies(policiesOf(after));
  for (const auto& [name, props] : after.buckets) {
    const meta::BucketProps* old = before.find(name);
    if (!old || old->mirrorCopies == props.mirrorCopies) continue;
    // Every target derives the same id from the BMD: the cluster sees one job.
    std::string id = fmt::format("make-n-copies-{}-v{}", name, after.version);
    // (The versions kept of a versioned bucket too: the job is the bucket's.)
    std::vector<std::string> buckets{name};
    if (!props.objectVersioning.empty()) buckets.push_back(meta::versionsBucket(name));
    Status st = startJob(id, "make-n-copies", name, std::move(buckets));
    if (!st.ok()) log::error("ais://{}: make-n-copies: {}", name, st.toString());
  }
}

void CopiesKeeper::onJoined() {
  if (!ctx_.store->needsResilver()) return;
  log::warn("a mountpath came up without its objects: resilvering");
  auto id = resilver();
  if (!id.ok()) log::error("resilver: {}", id.status().toString());
}

Result<std::string> CopiesKeeper::resilver() {
  std::vector<std::string> buckets;
  for (const auto& [name, props] : ctx_.meta.bmd().buckets) {
    buckets.push_back(name);
    buckets.push_back(meta::ecBucket(name));        // the EC pieces held here move along
    buckets.push_back(meta::versionsBucket(name));  // so do the kept versions
  }
  ctx_.jobs.stop("", "resilver");
  std::string id = fmt::format("resilver-{}-{}", ctx_.cfg.id, unixNowNs() / 1000000);
  AIS_RETURN_IF_ERROR(startJob(id, "resilver", "", std::move(buckets)));
  return id;
}

Status CopiesKeeper::startJob(const std::string& id, const std::string& kind,
                              const std::string& label, std::vector<std::string> buckets) {
  return ctx_.jobs.start(id, kind, label, [this, buckets = std::move(buckets)](Job& job) {
    return ctx_.io->runAny([store = ctx_.store.get(), buckets, counters = job.counters] {
      return syncAll(*store, buckets, *counters);
    });
  });
}

}  // namespace ais::node
