#include "node/archive/tar_index.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

namespace ais::archive {
namespace {

constexpr size_t kBlock = 512;

uint64_t padded(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// A NUL-terminated (or full-width) header field.
std::string_view field(const char* h, size_t at, size_t len) {
  std::string_view f(h + at, len);
  return f.substr(0, f.find('\0'));
}

// A numeric header field: octal (spaces and NULs around it), or GNU base-256 (high bit set).
std::optional<uint64_t> number(const char* h, size_t at, size_t len) {
  const auto* f = reinterpret_cast<const unsigned char*>(h + at);
  if (f[0] & 0x80) {
    if (f[0] == 0xff) return std::nullopt;  // negative
    uint64_t v = f[0] & 0x7f;
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) return std::nullopt;  // over 64 bits
      v = v << 8 | f[i];
    }
    return v;
  }
  size_t i = 0;
  while (i < len && (f[i] == ' ' || f[i] == '\0')) ++i;
  size_t end = i;
  while (end < len && f[end] >= '0' && f[end] <= '7') ++end;
  for (size_t k = end; k < len; ++k) {
    if (f[k] != ' ' && f[k] != '\0') return std::nullopt;
  }
  if (end == i) return 0;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(h + at + i, h + at + end, v, 8);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

bool checksumOk(const char* h) {
  auto stored = number(h, 148, 8);
  if (!stored) return false;
  uint64_t unsignedSum = 0;
  int64_t signedSum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool inField = i >= 148 && i < 156;
    unsigned char u = inField ? ' ' : static_cast<unsigned char>(h[i]);
    signed char s = inField ? ' ' : static_cast<signed char>(h[i]);
    unsignedSum += u;
    signedSum += s;
  }
  return *stored == unsignedSum || static_cast<int64_t>(*stored) == signedSum;
}

// The bytes of the shard through readAt: exact reads, buffered in windows (headers are small
// and many; one read serves the headers of many small members).
class Cursor {
 public:
  Cursor(const TarIndex::ReadAt& readAt, uint64_t size) : readAt_(readAt), size_(size) {}

  Status read(uint64_t off, size_t len, char* out) {
    if (off > size_ || len > size_ - off)
      return badArchive("truncated at offset " + std::to_string(off));
    if (off < bufOff_ || off + len > bufOff_ + buf_.size()) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(len, kWindow), size_ - off));
      buf_.resize(want);
      size_t got = 0;
      while (got < want) {
        auto n = readAt_(buf_.data() + got, want - got, off + got);
        if (!n.ok()) return n.status();
        if (*n == 0) return badArchive("truncated at offset " + std::to_string(off + got));
        got += *n;
      }
      bufOff_ = off;
    }
    std::memcpy(out, buf_.data() + (off - bufOff_), len);
    return Status::OK();
  }

 private:
  static constexpr size_t kWindow = 256 * 1024;
  const TarIndex::ReadAt& readAt_;
  uint64_t size_;
  std::string buf_;
  uint64_t bufOff_ = 0;
};

struct Pax {
  std::optional<std::string> path, linkpath;
  std::optional<uint64_t> size;
  std::optional<int64_t> mtime;
};

// "LEN KEY=VALUE\n" records.
Status parsePax(std::string_view data, Pax* pax) {
  while (!data.empty()) {
    if (data.front() == '\0') break;  // padding some writers leave
    size_t sp = data.find(' ');
    size_t len = 0;
    auto [p, ec] = std::from_chars(data.data(), data.data() + std::min(sp, data.size()), len);
    if (sp == std::string_view::npos || ec != std::errc() || p != data.data() + sp ||
        len <= sp + 1 || len > data.size() || data[len - 1] != '\n') {
      return badArchive("malformed pax extended header");
    }
    std::string_view rec = data.substr(sp + 1, len - sp - 2);
    data.remove_prefix(len);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) return badArchive("malformed pax record");
    std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
    if (key == "path") {
      pax->path = std::string(value);
    } else if (key == "linkpath") {
      pax->linkpath = std::string(value);
    } else if (key == "size") {
      uint64_t v = 0;
      auto [q, e2] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (e2 != std::errc() || q != value.data() + value.size()) return badArchive("bad pax size");
      pax->size = v;
    } else if (key == "mtime") {
      int64_t v = 0;
      auto [q, e2] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (e2 == std::errc()) pax->mtime = v;  // fractional seconds after q: whole ones kept
    }
  }
  return Status::OK();
}

std::string trimNuls(std::string s) {
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

}  // namespace

std::string sanitizeMemberName(std::string_view name) {
  std::vector<std::string_view> parts;
  while (!name.empty()) {
    size_t slash = name.find('/');
    std::string_view part = name.substr(0, slash);
    name = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out.push_back('/');
    out.append(p);
  }
  return out;
}

Result<TarIndex> TarIndex::build(const ReadAt& readAt, uint64_t shardSize) {
  return build(readAt, shardSize, Limits{});
}

Result<TarIndex> TarIndex::build(const ReadAt& readAt, uint64_t shardSize, const Limits& limits) {
  if (shardSize < kBlock) return badArchive("not a TAR archive (shorter than one header)");
  TarIndex index;
  Cursor cur(readAt, shardSize);
  char h[kBlock];
  std::optional<std::string> longName, longLink;
  Pax pax;
  uint64_t off = 0;
  std::optional<uint64_t> pendingFrom;  // start of extended headers not yet followed by a member
  while (off < shardSize) {
    if (shardSize - off < kBlock) {
      return badArchive("truncated header at offset " + std::to_string(off));
    }
    AIS_RETURN_IF_ERROR(cur.read(off, kBlock, h));
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) break;  // end of archive
    if (!checksumOk(h)) {
      return badArchive(off == 0 ? "not a TAR archive (no valid header at offset 0)"
                                 : "corrupt header at offset " + std::to_string(off));
    }
    auto hdrSize = number(h, 124, 12);
    if (!hdrSize)
      return badArchive("bad size field in the header at offset " + std::to_string(off));
    char type = h[156];
    uint64_t size = type == 'x' || type == 'g' || type == 'L' || type == 'K' || !pax.size
                        ? *hdrSize
                        : *pax.size;
    uint64_t dataOff = off + kBlock;
    std::string headerName(field(h, 0, 100));
    if (std::memcmp(h + 257, "ustar\0", 6) == 0) {  // POSIX ustar: a prefix may lead the name
      std::string_view prefix = field(h, 345, 155);
      if (!prefix.empty()) headerName = std::string(prefix) + "/" + headerName;
    }
    if (size > shardSize - dataOff) {
      return badArchive("member '" +
                        (longName   ? *longName
                         : pax.path ? *pax.path
                                    : headerName) +
                        "' at offset " + std::to_string(off) + " declares " + std::to_string(size) +
                        " bytes, past the end of the " + std::to_string(shardSize) + "-byte shard");
    }
    uint64_t next = dataOff + padded(size);
    if (type == 'L' || type == 'K' || type == 'x') {
      if (!pendingFrom) pendingFrom = off;
      size_t limit = type == 'x' ? limits.maxPaxBytes : limits.maxNameBytes;
      if (size > limit) {
        return badArchive("extended header at offset " + std::to_string(off) + " of " +
                          std::to_string(size) + " bytes (at most " + std::to_string(limit) + ")");
      }
      std::string data(size, '\0');
      AIS_RETURN_IF_ERROR(cur.read(dataOff, size, data.data()));
      if (type == 'L') longName = trimNuls(std::move(data));
      if (type == 'K') longLink = trimNuls(std::move(data));
      if (type == 'x') AIS_RETURN_IF_ERROR(parsePax(data, &pax));
      off = std::min(next, shardSize);
      continue;
    }
    if (type == 'g') {  // pax global header: nothing we use
      off = std::min(next, shardSize);
      continue;
    }
    std::string raw = pax.path ? *pax.path : longName ? *longName : headerName;
    if (raw.size() > limits.maxNameBytes) {
      return badArchive("member name at offset " + std::to_string(off) + " is over " +
                        std::to_string(limits.maxNameBytes) + " bytes");
    }
    if (raw.find('\0') != std::string::npos) {
      return badArchive("member name at offset " + std::to_string(off) + " holds a NUL byte");
    }
    Member m;
    m.name = sanitizeMemberName(raw);
    m.offset = dataOff;
    auto mtime = number(h, 136, 12);
    m.mtimeSec = pax.mtime ? *pax.mtime : static_cast<int64_t>(mtime.value_or(0));
    m.mode = static_cast<uint32_t>(number(h, 100, 8).value_or(0) & 07777);
    switch (type) {
      case '0':
      case '7':
        m.type = Member::Type::kFile;
        break;
      case '\0':
        m.type = !raw.empty() && raw.back() == '/' ? Member::Type::kDir : Member::Type::kFile;
        break;
      case '5':
        m.type = Member::Type::kDir;
        break;
      case '2':
        m.type = Member::Type::kSymlink;
        break;
      case '1':
        m.type = Member::Type::kHardlink;
        break;
      default:
        m.type = Member::Type::kOther;  // devices, FIFOs, GNU sparse files: listed, not read
    }
    m.size = m.type == Member::Type::kFile ? size : 0;
    if (m.type == Member::Type::kSymlink || m.type == Member::Type::kHardlink) {
      m.linkTarget = pax.linkpath ? *pax.linkpath
                     : longLink   ? *longLink
                                  : std::string(field(h, 157, 100));
    }
    longName.reset();
    longLink.reset();
    pax = Pax{};
    pendingFrom.reset();
    off = std::min(next, shardSize);
    if (m.name.empty()) {
      if (m.type == Member::Type::kDir) continue;  // "./": the archive's top
      return badArchive("member name '" + raw + "' at offset " + std::to_string(m.offset - kBlock) +
                        " is empty once sanitized");
    }
    if (index.members_.size() == limits.maxMembers) {
      return badArchive("more than " + std::to_string(limits.maxMembers) + " members");
    }
    index.byName_[m.name] = index.members_.size();
    index.members_.push_back(std::move(m));
  }
  index.end_ = pendingFrom ? *pendingFrom : std::min(off, shardSize);
  return index;
}

const Member* TarIndex::find(std::string_view name) const {
  auto it = byName_.find(sanitizeMemberName(name));
  return it == byName_.end() ? nullptr : &members_[it->second];
}

}  // namespace ais::archive
