// DiskFaults: a disk that fails or lies, for tests. A Store given one (Store::setDiskFaults)
// consults it on every object-file read, write and fsync, so the layers above — block
// verification, the target's object service — can be tested against EIO, ENOSPC and bytes that
// come back different from what was written. Production stores have none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ais::store {

class DiskFaults {
 public:
  virtual ~DiskFaults() = default;
  // After a pread of n bytes at `off` of an object file (`what`: "<mountpath>: ais://b/name"):
  // may change the bytes in buf (the disk lies) or return an errno to fail the read.
  virtual int afterRead(const std::string& what, uint64_t off, char* buf, size_t n) {
    (void)what, (void)off, (void)buf, (void)n;
    return 0;
  }
  // Before a write of n bytes to a PUT's work file (`path`): an errno fails it.
  virtual int beforeWrite(const std::string& path, size_t n) {
    (void)path, (void)n;
    return 0;
  }
  // Before the fsync of a PUT's work file (buckets with fsync on): an errno fails it.
  virtual int beforeFsync(const std::string& path) {
    (void)path;
    return 0;
  }
};

}  // namespace ais::store
