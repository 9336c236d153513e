// Client::validateBucket: the scrub asked of every active target at once, with their running
// totals summed for a progress display.
#include <map>

#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {
namespace {

// Loop-thread only: each target's latest totals; every update calls the caller's function with
// the sums.
struct ScrubTotals {
  Client::ScrubProgressFn fn;
  std::map<std::string, std::array<uint64_t, 3>> perTarget;

  void update(const std::string& target, uint64_t objects, uint64_t bytes, uint64_t damaged) {
    perTarget[target] = {objects, bytes, damaged};
    std::array<uint64_t, 3> sum{};
    for (const auto& [t, v] : perTarget) {
      for (size_t i = 0; i < 3; ++i) sum[i] += v[i];
    }
    fn(sum[0], sum[1], sum[2]);
  }
};

class ScrubProgressServer final : public wire::ScrubProgress::Server {
 public:
  ScrubProgressServer(std::shared_ptr<ScrubTotals> totals, std::string target)
      : totals_(std::move(totals)), target_(std::move(target)) {}

 protected:
  kj::Promise<void> update(UpdateContext context) override {
    auto p = context.getParams();
    totals_->update(target_, p.getObjects(), p.getBytes(), p.getDamaged());
    return kj::READY_NOW;
  }

 private:
  std::shared_ptr<ScrubTotals> totals_;
  std::string target_;
};

}  // namespace

Result<std::vector<ValidateResult>> Client::validateBucket(const std::string& bucket,
                                                           ScrubProgressFn progress) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  auto smap = impl_->currentSmap();
  std::vector<const meta::NodeInfo*> targets = smap->activeTargets();
  if (targets.empty()) return Status(Code::kNoTargets);
  using Results = std::vector<ValidateResult>;
  std::shared_ptr<ScrubTotals> totals;
  if (progress) totals = std::make_shared<ScrubTotals>(ScrubTotals{std::move(progress), {}});
  return impl_->onLoop<Results>(
      [&]() -> kj::Promise<Result<Results>> {
        kj::Vector<kj::Promise<ValidateResult>> asks;
        for (const meta::NodeInfo* t : targets) {
          std::string ep = t->rpcEndpoint, id = t->id;
          auto req = impl_->pool_->get(ep).validateBucketRequest();
          req.setBucket(bucket);
          if (totals) req.setProgress(kj::heap<ScrubProgressServer>(totals, id));
          asks.add(req.send()
                       .then([id](capnp::Response<wire::Node::ValidateBucketResults>&& r) {
                         ValidateResult v;
                         v.targetId = id;
                         v.status = proto::toStatus(r.getStatus());
                         auto rep = r.getReport();
                         v.objects = rep.getObjects();
                         v.bytes = rep.getBytes();
                         for (auto n : rep.getCorrupt()) v.corrupt.push_back(proto::str(n));
                         for (auto n : rep.getMissing()) v.missing.push_back(proto::str(n));
                         for (auto n : rep.getOrphaned()) v.orphaned.push_back(proto::str(n));
                         for (auto n : rep.getErrors()) v.errors.push_back(proto::str(n));
                         return v;
                       })
                       .catch_([this, ep, id](kj::Exception&& e) {
                         impl_->pool_->drop(ep);
                         ValidateResult v;
                         v.targetId = id;
                         v.status = proto::statusFromException(e);
                         return v;
                       }));
        }
        return kj::joinPromises(asks.releaseAsArray())
            .then([](kj::Array<ValidateResult>&& all) -> Result<Results> {
              Results out;
              for (auto& v : all) out.push_back(std::move(v));
              return out;
            });
      },
      std::chrono::hours(24));
}

}  // namespace ais
