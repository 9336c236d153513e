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

Result<std::pair<std::string, uint64_t>> Client::addNode(const std::string& endpoint) {
  auto node = impl_->onLoop<meta::NodeInfo>(
      [&]() -> kj::Promise<Result<meta::NodeInfo>> {
        return impl_->guard<meta::NodeInfo>(
            endpoint, impl_->pool_->get(endpoint).nodeStatusRequest().send().then(
                          [](auto&& r) -> Result<meta::NodeInfo> {
                            return meta::fromWire(r.getStatus().getNode());
                          }));
      },
      std::chrono::milliseconds(5000));
  if (!node.ok()) {
    return Status(node.code(),
                  "no aisnode answers at " + endpoint + ": " + node.status().message());
  }
  if (node->id.empty() || node->rpcEndpoint.empty()) {
    return Status(Code::kInvalidArgument, "the node at " + endpoint + " did not say who it is");
  }
  node->flags = 0;
  AIS_RETURN_IF_ERROR(impl_->askPrimary([&](wire::Node::Client primary) {
    auto req = primary.joinRequest();
    meta::toWire(*node, req.initNode());
    return req.send();
  }));
  (void)impl_->refreshMeta();
  return std::make_pair(node->id, impl_->currentSmap()->version);
}

}  // namespace ais
