#include "node/archive_job_part.h"

#include "node/archive/archive_job.h"
#include "node/client_job_part.h"

namespace ais::node {

Status startArchivePart(NodeContext& ctx, const std::string& id, const std::string& params) {
  auto plan = archive::parseArchivePlan(params);
  if (!plan.ok()) return plan.status();
  for (const std::string* b : {&plan->src, &plan->dst}) {
    if (!ctx.meta.bmd().find(*b)) return Status(Code::kBucketNotFound, "ais://" + *b);
  }
  std::string dst = plan->dst;
  return startClientJobPart(ctx, id, "archive", dst,
                            [plan = std::move(*plan)](Client& client, JobCounters& counters,
                                                      const std::atomic<bool>& stop) {
                              archive::BuildProgress progress;
                              progress.memberDone = [&counters](uint64_t bytes) {
                                counters.objects += 1;
                                counters.bytes += bytes;
                              };
                              progress.stopRequested = [&stop] { return stop.load(); };
                              return archive::buildShards(client, plan, progress);
                            });
}

}  // namespace ais::node
