#include "node/gateway/local_read.h"

#include <algorithm>

#include "common/log.h"

namespace ais::gateway {
namespace {

constexpr uint64_t kPiece = 1 << 20;

}  // namespace

Status verifyBeforeStatus(store::ObjectReader& rd, uint64_t off, uint64_t len) {
  if (len > kVerifyBeforeStatus) return Status::OK();
  return rd.verify(off, len);
}

void sendVerified(Exchange& ex, store::ObjectReader& rd, uint64_t off, uint64_t len,
                  bool verified) {
  if (verified) {
    (void)ex.sendFile(rd.fd(), off, len);
    return;
  }
  for (uint64_t done = 0; done < len;) {
    uint64_t n = std::min(kPiece, len - done);
    if (Status st = rd.verify(off + done, n); !st.ok()) {
      log::error("GET aborted after {} of {} bytes: {}", done, len, st.toString());
      ex.closeAfter();
      return;
    }
    if (!ex.sendFile(rd.fd(), off + done, n).ok()) return;
    done += n;
  }
}

}  // namespace ais::gateway
