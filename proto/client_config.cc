// Changing the cluster config at run time: a read-modify-write of the whole config, sent to the
// primary with the version it was read at (see Primary::setClusterConfig).
#include "meta/codec.h"
#include "meta/config_edit.h"
#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

Result<meta::ClusterConfig> Client::setClusterConfig(
    const std::vector<std::pair<std::string, std::string>>& edits) {
  // A change made by someone else between the read and the write is not undone: the primary
  // refuses a config read at an older version, and the edits are applied again over the new one.
  for (int attempt = 0;; ++attempt) {
    AIS_RETURN_IF_ERROR(impl_->refreshMeta());
    meta::ClusterConfig config = impl_->currentConfig();
    for (const auto& [key, value] : edits) {
      AIS_RETURN_IF_ERROR(meta::applyConfigKey(config, key, value));
    }
    AIS_RETURN_IF_ERROR(meta::checkConfig(config));
    auto version = impl_->withPrimary<uint64_t>([&](const meta::Smap& smap) {
      auto p = impl_->primary(smap);
      if (!p.ok()) return kj::Promise<Result<uint64_t>>(p.status());
      const std::string& ep = (*p)->rpcEndpoint;
      auto req = impl_->pool_->get(ep).setClusterConfigRequest();
      meta::toWire(config, req.initConfig());
      return impl_->guard<uint64_t>(ep, req.send().then([](auto&& r) -> Result<uint64_t> {
        Status st = proto::toStatus(r.getStatus());
        if (!st.ok()) return st;
        return r.getVersion();
      }));
    });
    if (!version.ok() && version.status().code() == Code::kVersionChanged && attempt < 3) continue;
    if (!version.ok()) return version.status();
    config.version = *version;
    (void)impl_->refreshMeta();
    return config;
  }
}

}  // namespace ais
