// Client methods the HTTP gateway needs beyond the core set (client.cc).
#include "proto/client.h"

namespace ais {

namespace {
constexpr uint64_t kAssembleChunk = 8 << 20;
}  // namespace

// Streams each part through this client into one PUT: bounded memory, nothing visible until the
// commit. (A target-side assemble over the fabric would save the extra hop; see docs/s3.md.)
Result<ObjectInfo> Client::assemble(const std::string& bucket, const std::string& name,
                                    const std::string& partsBucket,
                                    const std::vector<std::string>& parts,
                                    const PutOptions& options) {
  std::vector<uint64_t> sizes;
  for (const auto& p : parts) {
    auto info = head(partsBucket, p);
    if (!info.ok()) return info.status();
    sizes.push_back(info->size);
  }
  auto handle = beginPut(bucket, name, options);
  if (!handle.ok()) return handle.status();
  for (size_t i = 0; i < parts.size(); ++i) {
    for (uint64_t off = 0; off < sizes[i];) {
      uint64_t n = std::min(kAssembleChunk, sizes[i] - off);
      auto data = get(partsBucket, parts[i], ByteRange{off, n});
      if (!data.ok()) {
        (*handle)->abort();
        return data.status();
      }
      if (data->size() != n) {
        (*handle)->abort();
        return Status(Code::kIoError, "part " + parts[i] + " changed while assembling");
      }
      if (Status st = (*handle)->write(*data); !st.ok()) {
        (*handle)->abort();
        return st;
      }
      off += n;
    }
  }
  return (*handle)->commit();
}

}  // namespace ais
