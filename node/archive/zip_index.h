// ZipIndex: the members of a ZIP shard from its central directory (ZIP64 too), with where each
// member's data lies (from its local header), so that a member read touches that member only:
// a range of the shard when stored, one raw-deflate pass over it when deflated.
//
// Hostile archives get kBadArchive, never a read outside [0, shardSize): no end-of-central-
// directory record, a directory or member data past the end, multi-volume or encrypted
// archives, more members than the limits, sizes that lie (a stored member whose sizes differ;
// deflated data that expands past, or stops short of, its declared size; a CRC-32 that does
// not match a whole-member read). Names are sanitized as for TAR.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "node/archive/read_at.h"
#include "node/archive/tar_index.h"

namespace ais::archive {

class ZipIndex {
 public:
  struct Limits {
    size_t maxMembers = 4'000'000;
    uint64_t maxDirectoryBytes = uint64_t{512} << 20;
  };
  static Result<ZipIndex> build(const ReadAt& readAt, uint64_t shardSize);
  static Result<ZipIndex> build(const ReadAt& readAt, uint64_t shardSize, const Limits& limits);

  const std::vector<Member>& members() const { return members_; }
  const Member* find(std::string_view name) const;
  // Bytes [off, off + len) of the member (cut at its end). Whole-member reads check its CRC-32.
  static Result<std::string> read(const ReadAt& readAt, const Member& m, uint64_t off,
                                  uint64_t len);

 private:
  std::vector<Member> members_;
  std::unordered_map<std::string, size_t> byName_;
};

}  // namespace ais::archive
