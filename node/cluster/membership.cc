#include "node/cluster/membership.h"

#include <algorithm>

#include "common/log.h"
#include "meta/codec.h"
#include "node/meta_catch_up.h"
#include "proto/wire.h"

namespace ais::node {

namespace {
// Accepts whatever the response carries; older versions are simply not taken.
template <typename Resp>
void acceptAll(MetaHolder& meta, Resp& r) {
  meta.acceptNewer(meta::fromWire(r.getSmap()), meta::fromWire(r.getBmd()),
                   meta::fromWire(r.getConfig()));
}
}  // namespace

std::string Membership::primaryEndpoint() const {
  const meta::NodeInfo* p = ctx_.meta.smap().primary();
  return p && p->id != ctx_.cfg.id ? p->rpcEndpoint : ctx_.cfg.primaryEndpoint;
}

std::string Membership::joinEndpoint(uint32_t attempt) const {
  std::vector<std::string> eps{primaryEndpoint()};
  auto add = [&](const std::string& ep) {
    if (!ep.empty() && ep != ctx_.cfg.rpcEndpoint &&
        std::find(eps.begin(), eps.end(), ep) == eps.end()) {
      eps.push_back(ep);
    }
  };
  add(ctx_.cfg.primaryEndpoint);
  for (const auto& n : ctx_.meta.smap().nodes) {
    if (n.isProxy()) add(n.rpcEndpoint);
  }
  // Every other attempt goes to the primary as the Smap names it (it may just have learnt it).
  if (attempt % 2 == 0 || eps.size() == 1) return eps[0];
  return eps[1 + (attempt / 2) % (eps.size() - 1)];
}

kj::Promise<void> Membership::join() {
  kj::Promise<void> p = joinRole(ctx_.cfg.isProxy() ? meta::Role::kProxy : meta::Role::kTarget, 0);
  if (ctx_.cfg.isProxy() && ctx_.cfg.isTarget()) {
    p = p.then([this] { return joinRole(meta::Role::kTarget, 0); });
  }
  return p;
}

kj::Promise<void> Membership::joinRole(meta::Role role, uint32_t attempt) {
  std::string ep = joinEndpoint(attempt);
  auto req = ctx_.pool.get(ep).joinRequest();
  meta::toWire(ctx_.selfInfo(role), req.initNode());
  auto p = req.send().then([this](capnp::Response<wire::Node::JoinResults>&& r) -> Status {
    Status st = proto::toStatus(r.getStatus());
    // (A proxy that is not the primary answers with its metadata: it names the primary.)
    if (r.hasSmap()) acceptAll(ctx_.meta, r);
    if (!st.ok()) return st;
    if (!ctx_.meta.smap().find(ctx_.cfg.id, meta::Role::kTarget) &&
        !ctx_.meta.smap().find(ctx_.cfg.id, meta::Role::kProxy)) {
      return Status(Code::kInternal, "joined, but not in the Smap");
    }
    return Status::OK();
  });
  return ctx_.timer()
      .timeoutAfter(10 * kj::SECONDS, kj::mv(p))
      .catch_([this, ep](kj::Exception&& e) {
        ctx_.pool.drop(ep);
        return proto::statusFromException(e);
      })
      .then([this, role, attempt, ep](Status st) -> kj::Promise<void> {
        if (st.ok()) {
          primaryAnswered_ = Clock::now();
          log::info("joined the cluster via {} (Smap v{})", ep, ctx_.meta.smap().version);
          return kj::READY_NOW;
        }
        if (ctx_.isPrimary()) return kj::READY_NOW;  // (elected meanwhile: nobody to join)
        if (attempt % 20 == 0) log::warn("join via {}: {} (retrying)", ep, st.toString());
        return ctx_.timer().afterDelay(500 * kj::MILLISECONDS).then([this, role, attempt] {
          return joinRole(role, attempt + 1);
        });
      });
}

kj::Promise<void> Membership::pullMeta(std::string ep) {
  return ctx_.pool.get(ep).getMetaRequest().send().then(
      [this](capnp::Response<wire::Node::GetMetaResults>&& r) { acceptAll(ctx_.meta, r); });
}

kj::Promise<Status> Membership::keepaliveOnce(meta::Role role, std::string ep) {
  auto req = ctx_.pool.get(ep).keepaliveRequest();
  req.setNodeId(ctx_.cfg.id);
  req.setRole(role == meta::Role::kProxy ? meta::wire::Role::PROXY : meta::wire::Role::TARGET);
  req.setSmapVersion(ctx_.meta.smap().version);
  req.setBmdVersion(ctx_.meta.bmd().version);
  return req.send().then([this, role, ep](auto&& r) -> kj::Promise<Status> {
    Status st = proto::toStatus(r.getStatus());
    if (st.code() == Code::kNotPrimary) {
      // Not (or no longer) the primary: it knows the newer Smap that says who is.
      return pullMeta(ep).then([st] { return st; });
    }
    if (st.code() == Code::kNodeNotFound) {
      if (ctx_.leaving) return Status::OK();  // decommissioned: it is exiting
      log::warn("primary does not know this node: joining again");
      return joinRole(role, 0).then([] { return Status::OK(); });
    }
    kj::Promise<void> pulled = kj::READY_NOW;
    // (A config push missed, e.g. while frozen, is caught up here like a BMD.)
    if (r.getSmapVersion() > ctx_.meta.smap().version ||
        r.getBmdVersion() > ctx_.meta.bmd().version ||
        r.getConfigVersion() > ctx_.meta.config().version) {
      pulled = pullMeta(ep);
    }
    return pulled.then([] { return Status::OK(); });
  });
}

kj::Promise<void> Membership::primarySilent() {
  if (election_) {
    return election_->run().then([this](bool won) {
      if (!won) primaryAnswered_ = Clock::now() - election_->silenceLimit() / 2;
    });
  }
  // A target: a primary elected meanwhile has published its Smap; one missed while away is
  // learnt from the proxies.
  primaryAnswered_ = Clock::now() - std::chrono::seconds(1);
  return pullFromProxies(ctx_);
}

kj::Promise<void> Membership::follow() {
  primaryAnswered_ = Clock::now();
  return keepalives();
}

kj::Promise<void> Membership::keepalives() {
  if (ctx_.isPrimary()) return kj::READY_NOW;
  const std::string ep = primaryEndpoint();
  kj::Promise<Status> p =
      keepaliveOnce(ctx_.cfg.isProxy() ? meta::Role::kProxy : meta::Role::kTarget, ep);
  if (ctx_.cfg.isProxy() && ctx_.cfg.isTarget()) {
    p = p.then([this, ep](Status st) -> kj::Promise<Status> {
      if (!st.ok()) return st;
      return keepaliveOnce(meta::Role::kTarget, ep);
    });
  }
  uint32_t interval = std::max<uint32_t>(100, ctx_.meta.config().keepaliveIntervalMs);
  // (A frozen primary answers nothing: the wait is bounded by the silence an election needs.)
  auto limit = election_ ? election_->silenceLimit() : std::chrono::milliseconds(5000);
  return ctx_.timer()
      .timeoutAfter(std::min<int64_t>(5000, limit.count()) * kj::MILLISECONDS, kj::mv(p))
      .catch_([this, ep](kj::Exception&& e) {
        ctx_.pool.drop(ep);
        log::debug("keepalive to {}: {}", ep, e.getDescription().cStr());
        return proto::statusFromException(e);
      })
      .then([this](Status st) -> kj::Promise<void> {
        if (st.ok()) primaryAnswered_ = Clock::now();
        auto limit = election_ ? election_->silenceLimit() : std::chrono::milliseconds(3000);
        if (!ctx_.isPrimary() && Clock::now() - primaryAnswered_ > limit) return primarySilent();
        return kj::READY_NOW;
      })
      .then([this, interval] {
        if (ctx_.isPrimary()) return kj::Promise<void>(kj::READY_NOW);
        return ctx_.timer().afterDelay(interval * kj::MILLISECONDS);
      })
      .then([this] { return keepalives(); });
}

}  // namespace ais::node
