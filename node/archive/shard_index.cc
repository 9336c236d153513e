#include "node/archive/shard_index.h"

#include <algorithm>

namespace ais::archive {
namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::optional<Format> formatOfName(std::string_view name) {
  std::string n = lowered(name);
  if (endsWith(n, ".tar")) return Format::kTar;
  if (endsWith(n, ".tgz") || endsWith(n, ".tar.gz")) return Format::kTgz;
  if (endsWith(n, ".tar.lz4")) return Format::kTarLz4;
  if (endsWith(n, ".zip")) return Format::kZip;
  return std::nullopt;
}

std::optional<Format> parseFormat(std::string_view mime) {
  std::string m = lowered(mime);
  if (!m.empty() && m[0] == '.') m.erase(0, 1);
  if (m == "tar" || m == "application/x-tar") return Format::kTar;
  if (m == "tgz" || m == "tar.gz" || m == "application/x-gtar" || m == "application/gzip" ||
      m == "application/x-gzip" || m == "application/x-tgz") {
    return Format::kTgz;
  }
  if (m == "tar.lz4" || m == "application/x-lz4") return Format::kTarLz4;
  if (m == "zip" || m == "application/zip" || m == "application/x-zip-compressed") {
    return Format::kZip;
  }
  return std::nullopt;
}

std::string_view formatName(Format f) {
  switch (f) {
    case Format::kTar:
      return "tar";
    case Format::kTgz:
      return "tgz";
    case Format::kTarLz4:
      return "tar.lz4";
    case Format::kZip:
      return "zip";
  }
  return "?";
}

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
                                     uint64_t len) const {
  if (zip_) return ZipIndex::read(readAt, m, off, len);
  if (off >= m.size) return std::string();
  len = std::min(len, m.size - off);
  std::string out(static_cast<size_t>(len), '\0');
  if (!stream_) {
    AIS_RETURN_IF_ERROR(readExactly(readAt, out.data(), out.size(), m.offset + off, "TAR member"));
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
