#include "node/archive/shard_index.h"

#include <algorithm>
#include <cstring>

#include "node/archive/shard_blocks.h"

namespace ais::archive {

Result<Format> sniffFormat(const ReadAt& readAt, uint64_t shardSize) {
  unsigned char m[4] = {0, 0, 0, 0};
  if (shardSize >= 4) {
    AIS_RETURN_IF_ERROR(readExactly(readAt, reinterpret_cast<char*>(m), 4, 0, "archive"));
  }
  if (m[0] == 0x1f && m[1] == 0x8b) return Format::kTgz;
  if (le32(m) == 0x184D2204) return Format::kTarLz4;
  if (m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6))) {
    return Format::kZip;
  }
  return Format::kTar;
}

Result<ShardIndex> ShardIndex::build(Format format, const ReadAt& readAt, uint64_t shardSize,
                                     const Limits& limits, SegmentCache* cache,
                                     const std::string& cacheKey) {
  uint64_t budget = cache ? cache->capacity() / 4 : 0;
  ShardIndex ix;
  ix.format_ = format;
  if (format == Format::kZip) {
    auto zip = ZipIndex::build(readAt, shardSize, limits.zip);
    if (!zip.ok()) return zip.status();
    ix.zip_ = std::make_shared<const ZipIndex>(std::move(*zip));
    return ix;
  }
  if (format == Format::kTar) {
    auto tar =
        cache && shardSize <= budget
            ? TarIndex::build(cachingReadAt(*cache, rawBlocksKey(cacheKey), readAt, shardSize),
                              shardSize, limits.tar)
            : TarIndex::build(readAt, shardSize, limits.tar);
    if (!tar.ok()) return tar.status();
    ix.tar_ = std::make_shared<const TarIndex>(std::move(*tar));
    return ix;
  }
  // Compressed TAR: restart points in one pass, then the TAR headers in a second, forward pass.
  Codec codec = format == Format::kTgz ? Codec::kGzip : Codec::kLz4;
  // The decoded segments go to the cache as the first pass makes them, while they fit the
  // budget; the TAR headers pass then reads from memory what it can.
  uint64_t kept = 0;
  StreamIndex::SegmentSink keep = [&](size_t k, std::string bytes) {
    kept += bytes.size();
    if (kept > budget) return false;
    cache->insert(cacheKey, k, std::make_shared<const std::string>(std::move(bytes)));
    return true;
  };
  auto stream = StreamIndex::build(codec, readAt, shardSize, limits.stream,
                                   budget > 0 ? keep : StreamIndex::SegmentSink());
  if (!stream.ok()) return stream.status();
  const StreamIndex& six = **stream;
  StreamIndex::Cursor cursor(six, readAt);
  ReadAt plain = [&](char* buf, size_t len, uint64_t off) -> Result<size_t> {
    if (cache && off < six.size()) {
      size_t k = six.segmentOf(off);
      if (SegmentCache::Bytes seg = cache->find(cacheKey, k)) {
        uint64_t in = off - six.segmentStart(k);
        if (in < seg->size()) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(len, seg->size() - in));
          std::memcpy(buf, seg->data() + in, n);
          return n;
        }
      }
    }
    return cursor.read(buf, len, off);
  };
  auto tar = TarIndex::build(plain, six.size(), limits.tar);
  if (!tar.ok()) return tar.status();
  ix.tar_ = std::make_shared<const TarIndex>(std::move(*tar));
  ix.stream_ = std::move(*stream);
  return ix;
}

const std::vector<Member>& ShardIndex::members() const {
  return zip_ ? zip_->members() : tar_->members();
}

const Member* ShardIndex::find(std::string_view name) const {
  return zip_ ? zip_->find(name) : tar_->find(name);
}

Result<std::string> ShardIndex::read(const ReadAt& readAt, const Member& m, uint64_t off,
                                     uint64_t len, SegmentCache* cache,
                                     const std::string& cacheKey) const {
  if (zip_) return ZipIndex::read(readAt, m, off, len);
  if (off >= m.size) return std::string();
  len = std::min(len, m.size - off);
  std::string out(static_cast<size_t>(len), '\0');
  if (!stream_) {
    AIS_RETURN_IF_ERROR(readExactly(readAt, out.data(), out.size(), m.offset + off, "TAR member"));
    return out;
  }
  if (cache) {
    auto filled = fromSegments(&readAt, m, off, out, *cache, cacheKey);
    if (!filled.ok()) return filled.status();
    return out;
  }
  StreamIndex::Cursor cursor(*stream_, readAt);
  size_t done = 0;
  while (done < out.size()) {
    auto n = cursor.read(out.data() + done, out.size() - done, m.offset + off + done);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kBadArchive, "member '" + m.name + "' runs past the stream");
    done += *n;
  }
  return out;
}

Result<bool> ShardIndex::fromSegments(const ReadAt* readAt, const Member& m, uint64_t off,
                                      std::string& out, SegmentCache& cache,
                                      const std::string& cacheKey) const {
  for (size_t done = 0; done < out.size();) {
    uint64_t at = m.offset + off + done;
    size_t k = stream_->segmentOf(at);
    SegmentCache::Bytes seg = cache.find(cacheKey, k);
    if (!seg) {
      if (!readAt) return false;
      auto decoded = stream_->decodeSegment(*readAt, k);
      if (!decoded.ok()) return decoded.status();
      seg = std::make_shared<const std::string>(std::move(*decoded));
      cache.insert(cacheKey, k, seg);
    }
    uint64_t in = at - stream_->segmentStart(k);
    if (in >= seg->size()) {
      return Status(Code::kBadArchive, "member '" + m.name + "' runs past the stream");
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, seg->size() - in));
    std::memcpy(out.data() + done, seg->data() + in, n);
    done += n;
  }
  return true;
}

std::optional<std::string> ShardIndex::readCached(const Member& m, uint64_t off, uint64_t len,
                                                  SegmentCache& cache,
                                                  const std::string& cacheKey) const {
  if (!stream_ || zip_) return std::nullopt;
  if (off >= m.size) return std::string();
  len = std::min(len, m.size - off);
  std::string out(static_cast<size_t>(len), '\0');
  auto filled = fromSegments(nullptr, m, off, out, cache, cacheKey);
  if (!filled.ok() || !*filled) return std::nullopt;
  return out;
}

size_t ShardIndex::memoryBytes() const {
  size_t n = sizeof(*this) + members().size() * (sizeof(Member) + 32);
  for (const auto& m : members()) n += m.name.capacity() + m.linkTarget.capacity();
  if (stream_) n += stream_->memoryBytes();
  return n;
}

}  // namespace ais::archive
