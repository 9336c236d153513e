// Client methods the HTTP gateway needs beyond the core set (client.cc).
#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

Result<ObjectInfo> Client::getRange(const std::string& bucket, const std::string& name,
                                    ByteRange range, std::string* out) {
  return impl_->getBuffered(bucket, name, range, out);
}

// The owner target of bucket/name does the work (assembleObject): part bytes go target to target,
// never through this client, and nothing is visible until its commit.
Result<ObjectInfo> Client::assemble(const std::string& bucket, const std::string& name,
                                    const std::string& partsBucket,
                                    const std::vector<std::string>& parts,
                                    const PutOptions& options) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, partsBucket));
  for (const auto& p : parts) AIS_RETURN_IF_ERROR(meta::validateObjectName(p));
  // Moving every part may take a while: each part gets a request's time.
  auto timeout = impl_->options_.requestTimeout * static_cast<int64_t>(parts.size() + 1);
  return impl_->withRetry<ObjectInfo>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto t = impl_->owner(smap, bucket, name);
        if (!t.ok()) return Result<ObjectInfo>(t.status());
        const std::string& ep = (*t)->rpcEndpoint;
        auto req = impl_->pool_->get(ep).assembleObjectRequest();
        impl_->fillRef(req.initRef(), smap, bucket, name);
        req.getRef().setIfAbsent(options.ifAbsent);
        req.getRef().setIfVersion(options.ifVersion);
        req.setPartsBucket(partsBucket);
        auto list = req.initParts(parts.size());
        for (size_t i = 0; i < parts.size(); ++i) list.set(i, parts[i]);
        if (!options.custom.empty()) {
          proto::toWire(options.custom, req.initCustom(options.custom.size()));
        }
        return impl_->guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
          Status s = toStatus(r.getStatus());
          if (!s.ok()) return s;
          return fromWire(r.getAttrs());
        }));
      },
      timeout);
}

}  // namespace ais
