#include "node/archive_job_part.h"

#include <thread>

#include "node/archive/archive_job.h"

namespace ais::node {

Status startArchivePart(NodeContext& ctx, const std::string& id, const std::string& params) {
  auto plan = archive::parseArchivePlan(params);
  if (!plan.ok()) return plan.status();
  for (const std::string* b : {&plan->src, &plan->dst}) {
    if (!ctx.meta.bmd().find(*b)) return Status(Code::kBucketNotFound, "ais://" + *b);
  }
  std::string endpoint = ctx.cfg.rpcEndpoint;
  return ctx.jobs.start(id, "archive", plan->dst, [plan = std::move(*plan), endpoint](Job& job) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<Status>();
    // The builder blocks on fabric calls (to this node too): never on the loop or I/O threads.
    // (held by a shared_ptr: kj::Own's destructor may throw, std::thread's state must not)
    auto fulfiller =
        std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<Status>>>(kj::mv(paf.fulfiller));
    std::thread([plan, endpoint, counters = job.counters, stop = job.stop, fulfiller] {
      Client::Options options;
      options.endpoint = endpoint;
      auto client = Client::connect(options);
      Status st = client.status();
      if (client.ok()) {
        archive::BuildProgress progress;
        progress.memberDone = [counters](uint64_t bytes) {
          counters->objects += 1;
          counters->bytes += bytes;
        };
        progress.stopRequested = [stop] { return stop->load(); };
        st = archive::buildShards(**client, plan, progress);
      }
      (*fulfiller)->fulfill(std::move(st));
    }).detach();
    return kj::mv(paf.promise);
  });
}

}  // namespace ais::node
