// ShardIndex: one archive shard's members whatever its format (TAR, TGZ/TAR.GZ, TAR.LZ4, ZIP),
// and how to read one. A TAR member, and a stored ZIP member, is a range of the shard; a member
// of a compressed TAR is a range of the uncompressed stream, read from the restart point before
// it (stream_index.h); a deflated ZIP member is inflated from its own start (zip_index.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "node/archive/format.h"
#include "node/archive/read_at.h"
#include "node/archive/segment_cache.h"
#include "node/archive/stream_index.h"
#include "node/archive/tar_index.h"
#include "node/archive/zip_index.h"

namespace ais::archive {

// By the first bytes: gzip, LZ4 frame or ZIP magic; anything else is taken for TAR.
Result<Format> sniffFormat(const ReadAt& readAt, uint64_t shardSize);

class ShardIndex {
 public:
  struct Limits {
    TarIndex::Limits tar;
    ZipIndex::Limits zip;
    StreamLimits stream;
  };
  // With a cache, what the build pass reads or decodes is kept in it under cacheKey (the shard's
  // identity) for the member reads that follow: a TAR's verified blocks (shard_blocks.h), a
  // compressed TAR's decoded segments; only for shards up to a quarter of the cache.
  static Result<ShardIndex> build(Format format, const ReadAt& readAt, uint64_t shardSize,
                                  const Limits& limits = {}, SegmentCache* cache = nullptr,
                                  const std::string& cacheKey = "");

  Format format() const { return format_; }
  const std::vector<Member>& members() const;
  const Member* find(std::string_view name) const;
  // The member's bytes [off, off + len) are the shard's [m.offset + off, ...): a plain ranged
  // read serves them.
  bool isRange(const Member& m) const {
    return format_ == Format::kTar ||
           (format_ == Format::kZip && m.method == Member::Method::kStored && !m.encrypted);
  }
  // Bytes [off, off + len) of the member (cut at its end), decoded as its format needs. With a
  // cache, a compressed TAR's segments are taken from it or decoded whole and put in it, under
  // cacheKey (the shard's identity: name, version, checksum).
  Result<std::string> read(const ReadAt& readAt, const Member& m, uint64_t off, uint64_t len,
                           SegmentCache* cache = nullptr, const std::string& cacheKey = "") const;
  // read() from the cache alone (a compressed TAR's kept segments): nullopt if a segment it
  // needs is not there, or the member is not in a compressed TAR.
  std::optional<std::string> readCached(const Member& m, uint64_t off, uint64_t len,
                                        SegmentCache& cache, const std::string& cacheKey) const;
  size_t memoryBytes() const;
  size_t restartPoints() const { return stream_ ? stream_->points() : 0; }

 private:
  Format format_ = Format::kTar;
  std::shared_ptr<const TarIndex> tar_;  // TAR and compressed TAR
  std::shared_ptr<const ZipIndex> zip_;
  std::shared_ptr<const StreamIndex> stream_;  // compressed TAR
  // Fills out with the member's bytes at off from segments of the cache; when one is missing,
  // decodes it through readAt and keeps it (readAt null: false instead).
  Result<bool> fromSegments(const ReadAt* readAt, const Member& m, uint64_t off, std::string& out,
                            SegmentCache& cache, const std::string& cacheKey) const;
};

}  // namespace ais::archive
