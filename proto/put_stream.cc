#include "proto/put_stream.h"

#include "common/clock.h"
#include "proto/wire.h"

namespace ais::proto {

kj::Promise<Result<bool>> putStreamWrite(kj::Maybe<wire::PutStream::Client>& stream,
                                         std::string_view chunk) {
  KJ_IF_MAYBE (s, stream) {
    auto req = s->writeRequest();
    req.setChunk(asBytes(chunk));
    return req.send().then([]() -> Result<bool> { return true; });
  }
  return Result<bool>(Status(Code::kInvalidArgument, "PUT aborted"));
}

kj::Promise<Result<ObjectInfo>> putStreamCommit(
    kj::Maybe<wire::PutStream::Client>& stream, uint64_t checksum,
    const std::optional<std::map<std::string, std::string>>& custom, int64_t issuedNs) {
  KJ_IF_MAYBE (s, stream) {
    auto req = s->commitRequest();
    req.setChecksum(checksum);
    req.setIssuedNs(issuedNs ? issuedNs : unixNowNs());  // (its order among the name's writes)
    if (custom) {
      req.setReplaceCustom(true);
      if (!custom->empty()) toWire(*custom, req.initCustom(custom->size()));
    }
    return req.send().then([](auto&& r) -> Result<ObjectInfo> {
      Status st = toStatus(r.getStatus());
      if (!st.ok()) return st;
      return fromWire(r.getAttrs());
    });
  }
  return Result<ObjectInfo>(Status(Code::kInvalidArgument, "PUT aborted"));
}

}  // namespace ais::proto
