#include "node/gateway/forward_read.h"

#include <algorithm>

#include "common/log.h"

namespace ais::gateway {

Result<std::string> fetchFirstPiece(Client& c, const std::string& bucket, const std::string& name,
                                    uint64_t off, uint64_t len, Pinned pin, const Within& within) {
  std::string first;
  uint64_t n = std::min(kForwardFirstPiece, len);
  auto got = c.getRange(
      bucket, name, ByteRange{off, n, within.archpath, within.archiveMime, pin.checksum}, &first);
  if (!got.ok()) return got.status();
  if (got->version != pin.version || first.size() != n) {
    return Status(Code::kVersionChanged, "overwritten while being read; retry");
  }
  return first;
}

void sendForwarded(Exchange& ex, Client& c, const std::string& bucket, const std::string& name,
                   uint64_t off, uint64_t len, Pinned pin, std::string_view first,
                   const Within& within) {
  first = first.substr(0, std::min<uint64_t>(first.size(), len));
  if (!first.empty() && !ex.write(first).ok()) return ex.closeAfter();
  if (first.size() >= len) return;
  ByteRange range{off + first.size(), len - first.size(), within.archpath, within.archiveMime,
                  pin.checksum};
  auto rest = c.getStream(bucket, name, range, pin.version,
                          [&](std::string_view chunk) { return ex.write(chunk); });
  if (!rest.ok()) {
    log::warn("GET {}/{} failed mid-stream after byte {}: {}", bucket, name, off + first.size(),
              rest.status().toString());
    ex.closeAfter();  // the client sees a short body, never wrong bytes
  }
}

}  // namespace ais::gateway
