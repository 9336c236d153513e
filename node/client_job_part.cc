#include "node/client_job_part.h"

#include <memory>
#include <thread>

#include "meta/hrw.h"

namespace ais::node {

bool ownsName(Client& client, const std::string& self, const std::string& bucket,
              const std::string& name) {
  auto smap = client.smapSnapshot();
  const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname(bucket, name));
  return owner && owner->id == self;
}

Status partOutcome(const JobCounters& counters, const std::atomic<bool>& stop,
                   const std::string& failed, const std::string& firstError) {
  if (stop.load()) return Status(Code::kInternal, "stopped");
  if (uint64_t n = counters.damaged.load(); n > 0) {
    return Status(Code::kInternal, std::to_string(n) + " " + failed + "; the first: " + firstError);
  }
  return Status::OK();
}

Status startClientJobPart(NodeContext& ctx, const std::string& id, const std::string& kind,
                          const std::string& label, ClientWork work) {
  std::string endpoint = ctx.cfg.rpcEndpoint;
  return ctx.jobs.start(id, kind, label, [work = std::move(work), endpoint](Job& job) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<Status>();
    // (held by a shared_ptr: kj::Own's destructor may throw, std::thread's state must not)
    auto fulfiller =
        std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<Status>>>(kj::mv(paf.fulfiller));
    std::thread([work, endpoint, counters = job.counters, stop = job.stop, fulfiller] {
      Client::Options options;
      options.endpoint = endpoint;
      auto client = Client::connect(options);
      Status st = client.ok() ? work(**client, *counters, *stop) : client.status();
      (*fulfiller)->fulfill(std::move(st));
    }).detach();
    return kj::mv(paf.promise);
  });
}

}  // namespace ais::node
