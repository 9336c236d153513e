// Client membership calls: a target into or out of maintenance, or decommissioned (the primary
// decides and publishes; see Primary::setNodeState).
#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

Result<uint64_t> Client::setNodeState(const std::string& nodeId, const std::string& action,
                                      bool rmUserData) {
  auto version = impl_->withPrimary<uint64_t>([&](const meta::Smap& smap) {
    auto p = impl_->primary(smap);
    if (!p.ok()) return kj::Promise<Result<uint64_t>>(p.status());
    const std::string& ep = (*p)->rpcEndpoint;
    auto req = impl_->pool_->get(ep).setNodeStateRequest();
    req.setNodeId(nodeId);
    req.setAction(action);
    req.setRmUserData(rmUserData);
    return impl_->guard<uint64_t>(ep, req.send().then([](auto&& r) -> Result<uint64_t> {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      return r.getSmapVersion();
    }));
  });
  // The caller's next question (`ais show cluster`) should see the change.
  if (version.ok()) (void)impl_->refreshMeta();
  return version;
}

}  // namespace ais
