// TarIndex: where each member of a TAR shard lies (ustar, pax and GNU long names), read from the
// shard's headers only, so that a member read is a ranged read of the shard. Pure: the bytes
// come through a ReadAt callback, so the same code indexes a file, an object or a buffer.
//
// Hostile shards get a clear error, never a read outside [0, shardSize): a header whose checksum
// is wrong, a member that runs past the end, a size field that is not a number, more members or
// metadata than the limits. Names are sanitized for the listing as GNU tar does on extraction
// (leading "/" and "./" dropped, "." and ".." components resolved, never above the top); a name
// that is empty afterwards, or holds a NUL (pax), is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "node/archive/read_at.h"

namespace ais::archive {

struct Member {
  enum class Type : uint8_t { kFile, kDir, kSymlink, kHardlink, kOther };
  std::string name;     // sanitized (see above); directories without the trailing '/'
  uint64_t offset = 0;  // of the member's data in the shard
  uint64_t size = 0;    // of the data (0 for anything but files)
  int64_t mtimeSec = 0;
  uint32_t mode = 0;  // permission bits
  Type type = Type::kFile;
  std::string linkTarget;  // symlinks and hard links
  // Compressed members (ZIP): how the data at `offset` is stored.
  enum class Method : uint8_t { kStored, kDeflate, kUnsupported };
  Method method = Method::kStored;
  uint16_t methodCode = 0;  // as the archive says (8: deflate)
  uint64_t packedSize = 0;  // bytes at `offset` (= size when stored)
  uint32_t crc32 = 0;
  bool encrypted = false;
};

class TarIndex {
 public:
  using ReadAt = archive::ReadAt;
  struct Limits {
    size_t maxMembers = 4'000'000;
    size_t maxNameBytes = 4096;    // a name (also a long name or pax path)
    size_t maxPaxBytes = 1 << 20;  // one pax extended header
  };

  static Result<TarIndex> build(const ReadAt& readAt, uint64_t shardSize);
  static Result<TarIndex> build(const ReadAt& readAt, uint64_t shardSize, const Limits& limits);

  const std::vector<Member>& members() const { return members_; }
  // The member by name (sanitized, or as the header had it): with duplicates, the last one, as
  // tar extraction leaves it. nullptr if none. Directories also by "name/".
  const Member* find(std::string_view name) const;
  // Where the archive's entries end: its end-of-archive blocks (or the headers left dangling
  // before them) start there; the shard's size if it has none. Entries appended go there.
  uint64_t end() const { return end_; }

 private:
  std::vector<Member> members_;
  std::unordered_map<std::string, size_t> byName_;  // sanitized name -> last index
  uint64_t end_ = 0;
};

// The sanitized form of a member name (see above); empty if nothing is left.
std::string sanitizeMemberName(std::string_view name);

}  // namespace ais::archive
