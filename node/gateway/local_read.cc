#include "node/gateway/local_read.h"

#include <algorithm>

#include "common/log.h"

namespace ais::gateway {
namespace {

constexpr uint64_t kPiece = 1 << 20;

}  // namespace

Result<LocalObject> openLocal(Gateway& gw, Exchange& ex, const std::string& bucket,
                              const std::string& name, uint64_t verifyWholeUpTo) {
  // On this thread when all of it is in memory (the common case for hot objects), else on the
  // object's I/O worker, which also handles and reports whatever is wrong with it.
  if (auto rd = gw.localStore()->openCached(bucket, name); rd.ok()) {
    LocalObject obj{bucket, name, std::move(*rd)};
    uint64_t size = obj.reader->lom().size;
    if (size > verifyWholeUpTo) return obj;
    // (Then sent with sendfile: a copy through a write would cost more, even for 16 KiB.)
    if (obj.reader->verifyCached(0, size).ok()) {
      obj.verifiedWhole = true;
      return obj;
    }
  }
  return gw.onDisk(ex, bucket, name, [&]() -> Result<LocalObject> {
    auto rd = gw.localStore()->openObject(bucket, name);
    if (!rd.ok()) return rd.status();
    LocalObject obj{bucket, name, std::move(*rd)};
    uint64_t size = obj.reader->lom().size;
    if (size <= verifyWholeUpTo) {
      AIS_RETURN_IF_ERROR(obj.reader->verify(0, size));
      obj.verifiedWhole = true;
    }
    return obj;
  });
}

Status verifyBeforeStatus(Gateway& gw, Exchange& ex, LocalObject& obj, uint64_t off, uint64_t len) {
  if (obj.verifiedWhole || len > kVerifyBeforeStatus) return Status::OK();
  if (obj.reader->verifyCached(off, len).ok()) return Status::OK();
  return gw.onDisk(ex, obj.bucket, obj.name, [&] { return obj.reader->verify(off, len); });
}

void countFailedGet(Gateway& gw, const std::string& bucket, const Status& st) {
  gw.metrics().record(node::MetricOp::kGet, bucket, 0, node::Metrics::Clock::now(), st);
}

void sendVerified(Gateway& gw, Exchange& ex, LocalObject& obj, uint64_t off, uint64_t len,
                  bool verified) {
  store::ObjectReader& rd = *obj.reader;
  auto count = [&](const Status& st) {
    gw.metrics().record(node::MetricOp::kGet, obj.bucket, st.ok() ? len : 0, obj.opened, st);
  };
  if (verified) {
    count(ex.sendFile(rd.fd(), off, len));
    return;
  }
  for (uint64_t done = 0; done < len;) {
    uint64_t n = std::min(kPiece, len - done);
    // Verified from the page cache here if it is all there, else on a worker into the page
    // cache, which sendfile then reads without waiting.
    Status st = rd.verifyCached(off + done, n);
    if (!st.ok())
      st = gw.onDisk(ex, obj.bucket, obj.name, [&] { return rd.verify(off + done, n); });
    if (!st.ok()) {
      log::error("GET aborted after {} of {} bytes: {}", done, len, st.toString());
      ex.closeAfter();
      return count(st);
    }
    if (Status sent = ex.sendFile(rd.fd(), off + done, n); !sent.ok()) return count(sent);
    done += n;
  }
  count(Status::OK());
}

}  // namespace ais::gateway
