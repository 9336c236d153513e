#include "node/metrics_gauges.h"

#include <sys/statvfs.h>

namespace ais::node {

namespace {

void refreshOnce(NodeContext& ctx) {
  std::vector<Metrics::MountpathUse> mountpaths;
  Metrics::Integrity integrity;
  if (ctx.store) {
    // statvfs reads the file system's counters from memory: no disk I/O on the loop.
    for (const auto& path : ctx.store->mountpaths()) {
      struct statvfs vfs;
      if (::statvfs(path.c_str(), &vfs) != 0) continue;
      uint64_t total = uint64_t(vfs.f_blocks) * vfs.f_frsize;
      uint64_t free = uint64_t(vfs.f_bfree) * vfs.f_frsize;
      mountpaths.push_back({path, total, total - free, uint64_t(vfs.f_bavail) * vfs.f_frsize});
    }
    // Files kept open for reads and idle: closed on a worker (a last close may free an
    // unlinked file's blocks: disk work).
    if (ctx.io) ctx.io->post(0, [store = ctx.store.get()] { store->expireOpenFiles(); });
    auto stats = ctx.store->integrityStats();
    integrity = {stats.corruptReads, stats.missingFiles, stats.quarantined};
  }
  std::vector<Metrics::JobProgress> jobs;
  for (const Job* j : ctx.jobs.list("", "")) {
    jobs.push_back({j->id, j->kind, j->counters->objects.load(), j->counters->bytes.load(),
                    j->counters->damaged.load(), j->state == JobState::kRunning});
  }
  ctx.metrics.refreshGauges(mountpaths, jobs, ctx.store ? &integrity : nullptr);
}

}  // namespace

kj::Promise<void> refreshMetricGauges(NodeContext& ctx, kj::Duration period) {
  refreshOnce(ctx);
  return ctx.timer().afterDelay(period).then(
      [&ctx, period] { return refreshMetricGauges(ctx, period); });
}

}  // namespace ais::node
