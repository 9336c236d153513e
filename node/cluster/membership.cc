#include "node/cluster/membership.h"

#include "common/log.h"
#include "meta/codec.h"
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

kj::Promise<void> Membership::join() {
  kj::Promise<void> p = joinRole(ctx_.cfg.isProxy() ? meta::Role::kProxy : meta::Role::kTarget, 0);
  if (ctx_.cfg.isProxy() && ctx_.cfg.isTarget()) {
    p = p.then([this] { return joinRole(meta::Role::kTarget, 0); });
  }
  return p;
}

kj::Promise<void> Membership::joinRole(meta::Role role, uint32_t attempt) {
  const std::string& ep = ctx_.cfg.primaryEndpoint;
  auto req = ctx_.pool.get(ep).joinRequest();
  meta::toWire(ctx_.selfInfo(role), req.initNode());
  auto p = req.send().then([this](capnp::Response<wire::Node::JoinResults>&& r) -> Status {
    Status st = proto::toStatus(r.getStatus());
    if (!st.ok()) return st;
    acceptAll(ctx_.meta, r);
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
          log::info("joined the cluster via {} (Smap v{})", ep, ctx_.meta.smap().version);
          return kj::READY_NOW;
        }
        if (attempt % 20 == 0) log::warn("join via {}: {} (retrying)", ep, st.toString());
        return ctx_.timer().afterDelay(500 * kj::MILLISECONDS).then([this, role, attempt] {
          return joinRole(role, attempt + 1);
        });
      });
}

kj::Promise<void> Membership::pullMeta() {
  const std::string& ep = ctx_.cfg.primaryEndpoint;
  return ctx_.pool.get(ep).getMetaRequest().send().then(
      [this](capnp::Response<wire::Node::GetMetaResults>&& r) { acceptAll(ctx_.meta, r); });
}

kj::Promise<void> Membership::keepaliveOnce(meta::Role role) {
  const std::string& ep = ctx_.cfg.primaryEndpoint;
  auto req = ctx_.pool.get(ep).keepaliveRequest();
  req.setNodeId(ctx_.cfg.id);
  req.setRole(role == meta::Role::kProxy ? meta::wire::Role::PROXY : meta::wire::Role::TARGET);
  req.setSmapVersion(ctx_.meta.smap().version);
  req.setBmdVersion(ctx_.meta.bmd().version);
  return req.send().then([this, role](auto&& r) -> kj::Promise<void> {
    Status st = proto::toStatus(r.getStatus());
    if (st.code() == Code::kNodeNotFound) {
      if (ctx_.leaving) return kj::READY_NOW;  // decommissioned: it is exiting
      log::warn("primary does not know this node: joining again");
      return joinRole(role, 0);
    }
    if (r.getSmapVersion() > ctx_.meta.smap().version ||
        r.getBmdVersion() > ctx_.meta.bmd().version) {
      return pullMeta();
    }
    return kj::READY_NOW;
  });
}

kj::Promise<void> Membership::keepalives() {
  const std::string ep = ctx_.cfg.primaryEndpoint;
  kj::Promise<void> p =
      keepaliveOnce(ctx_.cfg.isProxy() ? meta::Role::kProxy : meta::Role::kTarget);
  if (ctx_.cfg.isProxy() && ctx_.cfg.isTarget()) {
    p = p.then([this] { return keepaliveOnce(meta::Role::kTarget); });
  }
  uint32_t interval = std::max<uint32_t>(100, ctx_.meta.config().keepaliveIntervalMs);
  return ctx_.timer()
      .timeoutAfter(5 * kj::SECONDS, kj::mv(p))
      .catch_([this, ep](kj::Exception&& e) {
        ctx_.pool.drop(ep);
        log::debug("keepalive to {}: {}", ep, e.getDescription().cStr());
      })
      .then([this, interval] { return ctx_.timer().afterDelay(interval * kj::MILLISECONDS); })
      .then([this] { return keepalives(); });
}

}  // namespace ais::node
