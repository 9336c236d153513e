// ArchiveWriter: makes a shard in any of the four formats from files given one by one: TAR
// (ustar headers, a pax header where a name or size does not fit), TGZ (that TAR through zlib's
// gzip), TAR.LZ4 (through liblz4's frame API) and ZIP (deflated with zlib, or stored where
// deflate does not help; ZIP64 fields where sizes or offsets pass 4 GiB). Output goes to a sink
// as it is made, so a shard larger than memory streams; a member's bytes come from a reader
// called until it returns 0.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "node/archive/shard_index.h"

namespace ais::archive {

class ArchiveWriter {
 public:
  using Sink = std::function<Status(std::string_view bytes)>;
  // Fills buf with up to len bytes of the member; 0 at its end.
  using Source = std::function<Result<size_t>(char* buf, size_t len)>;

  static std::unique_ptr<ArchiveWriter> make(Format format, Sink sink);
  virtual ~ArchiveWriter() = default;
  // One regular file: its name in the archive (relative; not sanitized away), size, permission
  // bits and mtime. The source must give exactly `size` bytes.
  virtual Status add(const std::string& name, uint64_t size, uint32_t mode, int64_t mtimeSec,
                     const Source& source) = 0;
  // The archive's end (TAR end blocks, compressor flush, ZIP central directory).
  virtual Status finish() = 0;
};

// The ustar header(s) of one member: a pax extended header first when the name is over 100
// bytes (and does not split into a 155-byte prefix and a 100-byte name) or the size over 8 GiB.
std::string tarHeaders(const std::string& name, uint64_t size, uint32_t mode, int64_t mtimeSec,
                       char type = '0');

}  // namespace ais::archive
