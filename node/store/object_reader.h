// ObjectReader: an open object file together with the LOM that describes exactly those bytes
// (both are taken under the name lock, so a concurrent overwrite cannot mix them).
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "node/store/lom.h"

namespace ais::store {

class ObjectReader {
 public:
  ObjectReader(Lom lom, int fd) : lom_(std::move(lom)), fd_(fd) {}
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  const Lom& lom() const { return lom_; }
  // Borrowed; valid while the reader lives (e.g. for sendfile).
  int fd() const { return fd_; }
  // Reads up to len bytes at off; fewer only at the end of the object (0 at or past the end).
  Result<size_t> pread(void* buf, size_t len, uint64_t off) const;

 private:
  Lom lom_;
  int fd_;
};

}  // namespace ais::store
