// Client mountpath calls: one target's mountpaths, and enabling or disabling one.
#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {
namespace {

Result<std::string> targetEndpoint(const meta::Smap& smap, const std::string& id) {
  for (const auto& n : smap.nodes) {
    if (n.id == id && n.role == meta::Role::kTarget) return n.rpcEndpoint;
  }
  return Status(Code::kInvalidArgument, "no target '" + id + "' in the cluster map");
}

// One call to a target, again once on a fresh connection if the pooled one turned out dead (the
// target restarted).
template <typename T, typename Call>
Result<T> callTarget(Client::Impl& impl, const std::string& ep, Call call) {
  Result<T> r = Status(Code::kUnavailable);
  for (int attempt = 0; attempt < 2; ++attempt) {
    r = impl.onLoop<T>([&]() -> kj::Promise<Result<T>> {
      return call(impl.pool_->get(ep)).catch_([&impl, ep](kj::Exception&& e) -> Result<T> {
        impl.pool_->drop(ep);
        return proto::statusFromException(e);
      });
    });
    if (r.code() != Code::kUnavailable) break;
  }
  return r;
}

}  // namespace

Result<std::vector<MountpathInfo>> Client::mountpaths(const std::string& targetId) {
  auto ep = targetEndpoint(*impl_->currentSmap(), targetId);
  AIS_RETURN_IF_ERROR(ep);
  using Out = std::vector<MountpathInfo>;
  return callTarget<Out>(*impl_, *ep, [](wire::Node::Client node) {
    return node.mountpathsRequest().send().then([](auto&& r) -> Result<Out> {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      Out out;
      for (auto m : r.getMountpaths())
        out.push_back({proto::str(m.getPath()), m.getEnabled(), m.getFaulted()});
      return out;
    });
  });
}

Result<std::string> Client::setMountpath(const std::string& targetId, const std::string& path,
                                         bool enabled) {
  auto ep = targetEndpoint(*impl_->currentSmap(), targetId);
  AIS_RETURN_IF_ERROR(ep);
  return callTarget<std::string>(*impl_, *ep, [&](wire::Node::Client node) {
    auto req = node.setMountpathRequest();
    req.setPath(path);
    req.setEnabled(enabled);
    return req.send().then([](auto&& r) -> Result<std::string> {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      return proto::str(r.getJobId());
    });
  });
}

Result<std::string> Client::attachMountpath(const std::string& targetId, const std::string& path) {
  auto ep = targetEndpoint(*impl_->currentSmap(), targetId);
  AIS_RETURN_IF_ERROR(ep);
  return callTarget<std::string>(*impl_, *ep, [&](wire::Node::Client node) {
    auto req = node.attachMountpathRequest();
    req.setPath(path);
    return req.send().then([](auto&& r) -> Result<std::string> {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      return proto::str(r.getJobId());
    });
  });
}

Status Client::detachMountpath(const std::string& targetId, const std::string& path) {
  auto ep = targetEndpoint(*impl_->currentSmap(), targetId);
  AIS_RETURN_IF_ERROR(ep);
  return callTarget<bool>(*impl_, *ep,
                          [&](wire::Node::Client node) {
                            auto req = node.detachMountpathRequest();
                            req.setPath(path);
                            return req.send().then([](auto&& r) -> Result<bool> {
                              Status st = proto::toStatus(r.getStatus());
                              if (!st.ok()) return st;
                              return true;
                            });
                          })
      .status();
}

}  // namespace ais
