#include "node/archive/shard_index.h"

#include <algorithm>
#include <cstring>

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
                                     const Limits& limits) {
  ShardIndex ix;
  ix.format_ = format;
  if (format == Format::kZip) {
    auto zip = ZipIndex::build(readAt, shardSize, limits.zip);
    if (!zip.ok()) return zip.status();
    ix.zip_ = std::make_shared<const ZipIndex>(std::move(*zip));
    return ix;
  }
  if (format == Format::kTar) {
    auto tar = TarIndex::build(readAt, shardSize, limits.tar);
    if (!tar.ok()) return tar.status();
    ix.tar_ = std::make_shared<const TarIndex>(std::move(*tar));
    return ix;
  }
  // Compressed TAR: restart points in one pass, then the TAR headers in a second, forward pass.
  Codec codec = format == Format::kTgz ? Codec::kGzip : Codec::kLz4;
  auto stream = StreamIndex::build(codec, readAt, shardSize, limits.stream);
  if (!stream.ok()) return stream.status();
  StreamIndex::Cursor cursor(**stream, readAt);
  ReadAt plain = [&cursor](char* buf, size_t len, uint64_t off) {
    return cursor.read(buf, len, off);
  };
  auto tar = TarIndex::build(plain, (*stream)->size(), limits.tar);
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
    for (size_t done = 0; done < out.size();) {
      uint64_t at = m.offset + off + done;
      size_t k = stream_->segmentOf(at);
      SegmentCache::Bytes seg = cache->find(cacheKey, k);
      if (!seg) {
        auto decoded = stream_->decodeSegment(readAt, k);
        if (!decoded.ok()) return decoded.status();
        seg = std::make_shared<const std::string>(std::move(*decoded));
        cache->insert(cacheKey, k, seg);
      }
      uint64_t in = at - stream_->segmentStart(k);
      if (in >= seg->size()) {
        return Status(Code::kBadArchive, "member '" + m.name + "' runs past the stream");
      }
      size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, seg->size() - in));
      std::memcpy(out.data() + done, seg->data() + in, n);
      done += n;
    }
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

size_t ShardIndex::memoryBytes() const {
  size_t n = sizeof(*this) + members().size() * (sizeof(Member) + 32);
  for (const auto& m : members()) n += m.name.capacity() + m.linkTarget.capacity();
  if (stream_) n += stream_->memoryBytes();
  return n;
}

}  // namespace ais::archive
