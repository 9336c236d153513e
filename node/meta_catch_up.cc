#include "node/meta_catch_up.h"

#include <kj/vector.h>

#include "common/log.h"
#include "meta/codec.h"
#include "meta/names.h"
#include "proto/wire.h"

namespace ais::node {

kj::Promise<void> MetaCatchUp::knowBucket(const std::string& bucket) {
  if (ctx_.meta.bmd().find(bucket) || !meta::validateBucketName(bucket).ok() || ctx_.isPrimary()) {
    return kj::READY_NOW;
  }
  if (!pulling_ && std::chrono::steady_clock::now() - lastPull_ < std::chrono::milliseconds(500)) {
    return kj::READY_NOW;
  }
  auto paf = kj::newPromiseAndFulfiller<void>();
  waiters_.push_back(kj::mv(paf.fulfiller));
  if (!pulling_) {
    pulling_ = true;
    pullTask_ = pull()
                    .then([this] {
                      pulling_ = false;
                      lastPull_ = std::chrono::steady_clock::now();
                      auto waiters = std::move(waiters_);
                      waiters_.clear();
                      for (auto& w : waiters) w->fulfill();
                    })
                    .eagerlyEvaluate(nullptr);
  }
  return kj::mv(paf.promise);
}

kj::Promise<void> MetaCatchUp::pull() {
  const meta::NodeInfo* primary = ctx_.meta.smap().primary();
  std::string ep = primary ? primary->rpcEndpoint : ctx_.cfg.primaryEndpoint;
  uint64_t before = ctx_.meta.bmd().version;
  auto req = ctx_.pool.get(ep).getMetaRequest();
  auto fetched = req.send().then([this, before](capnp::Response<wire::Node::GetMetaResults>&& r) {
    ctx_.meta.acceptNewer(meta::fromWire(r.getSmap()), meta::fromWire(r.getBmd()),
                          meta::fromWire(r.getConfig()));
    if (ctx_.meta.bmd().version > before) {
      log::info("caught up with the primary: BMD v{} (had v{})", ctx_.meta.bmd().version, before);
    }
  });
  return ctx_.timer()
      .timeoutAfter(2 * kj::SECONDS, kj::mv(fetched))
      .catch_([this, ep](kj::Exception&& e) {
        ctx_.pool.drop(ep);
        log::warn("cannot reach the primary at {} for metadata: {}", ep, e.getDescription().cStr());
      });
}

namespace {

// Asks every node of the Smap that `ask` accepts (never this one) for its metadata, 2 s each, and
// hands each answer to `take` on the loop; a node that does not answer has its connection
// dropped. Resolves once all answered or timed out.
template <typename Ask, typename Take>
kj::Promise<void> askNodesForMeta(NodeContext& ctx, Ask ask, Take take) {
  kj::Vector<kj::Promise<void>> asks;
  for (const auto& n : ctx.meta.smap().nodes) {
    if (n.id == ctx.cfg.id || !ask(n)) continue;
    std::string ep = n.rpcEndpoint;
    auto got = ctx.pool.get(ep).getMetaRequest().send().then(
        [take](capnp::Response<wire::Node::GetMetaResults>&& r) { take(r); });
    asks.add(
        ctx.timer().timeoutAfter(2 * kj::SECONDS, kj::mv(got)).catch_([&ctx, ep](kj::Exception&&) {
          ctx.pool.drop(ep);
        }));
  }
  return kj::joinPromises(asks.releaseAsArray());
}

}  // namespace

kj::Promise<void> pullFromProxies(NodeContext& ctx, std::string skip) {
  return askNodesForMeta(
      ctx, [skip](const meta::NodeInfo& n) { return n.isProxy() && n.id != skip; },
      [&ctx](capnp::Response<wire::Node::GetMetaResults>& r) {
        meta::Smap smap = meta::fromWire(r.getSmap());
        if (smap.version <= ctx.meta.smap().version) return;
        ctx.meta.acceptNewer(std::move(smap), meta::fromWire(r.getBmd()),
                             meta::fromWire(r.getConfig()));
      });
}

kj::Promise<void> recoverMetaFromNodes(NodeContext& ctx) {
  return askNodesForMeta(
      ctx, [](const meta::NodeInfo&) { return true; },
      [&ctx, uuid = ctx.meta.smap().uuid](capnp::Response<wire::Node::GetMetaResults>& r) {
        meta::BMD bmd = meta::fromWire(r.getBmd());
        if (bmd.uuid == uuid && bmd.version > ctx.meta.bmd().version) {
          if (Status st = ctx.meta.acceptBmd(std::move(bmd)); !st.ok())
            log::warn("{}", st.toString());
        }
        meta::ClusterConfig config = meta::fromWire(r.getConfig());
        if (config.version > ctx.meta.config().version) {
          if (Status st = ctx.meta.acceptConfig(std::move(config)); !st.ok()) {
            log::warn("{}", st.toString());
          }
        }
      });
}

kj::Promise<bool> nodeAnswers(NodeContext& ctx, std::string endpoint, kj::Duration timeout) {
  auto asked = ctx.pool.get(endpoint).getMetaRequest().send().then([](auto&&) { return true; });
  return ctx.timer().timeoutAfter(timeout, kj::mv(asked)).catch_([&ctx, endpoint](kj::Exception&&) {
    ctx.pool.drop(endpoint);
    return false;
  });
}

}  // namespace ais::node
