#include "node/archive/read_at.h"

namespace ais::archive {

Status readExactly(const ReadAt& readAt, char* buf, size_t len, uint64_t off, const char* what) {
  size_t got = 0;
  while (got < len) {
    auto n = readAt(buf + got, len - got, off + got);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      return Status(Code::kBadArchive,
                    std::string(what) + " truncated at offset " + std::to_string(off + got));
    }
    got += *n;
  }
  return Status::OK();
}

}  // namespace ais::archive
