#include "node/archive/zip_index.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>

namespace ais::archive {
namespace {

constexpr uint32_t kEndSig = 0x06054b50, kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEndLen = 22, kCentralLen = 46, kLocalLen = 30;
constexpr size_t kMaxComment = 0xffff;

const unsigned char* u(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

// MS-DOS date and time (as UTC: ZIP does not say which zone).
int64_t dosTime(uint16_t date, uint16_t time) {
  std::tm t{};
  t.tm_year = (date >> 9) + 80;
  t.tm_mon = std::max(((date >> 5) & 15) - 1, 0);
  t.tm_mday = std::max(date & 31, 1);
  t.tm_hour = time >> 11;
  t.tm_min = (time >> 5) & 63;
  t.tm_sec = (time & 31) * 2;
  return static_cast<int64_t>(timegm(&t));
}

struct End {
  uint64_t entries = 0, dirSize = 0, dirOffset = 0, at = 0;
};

// The end-of-central-directory record (the last one whose comment reaches the end), then the
// ZIP64 one it points to, if any field overflowed.
Result<End> findEnd(const ReadAt& readAt, uint64_t size) {
  if (size < kEndLen) return badArchive("not a ZIP archive (shorter than its end record)");
  size_t tailLen = static_cast<size_t>(std::min<uint64_t>(size, kEndLen + kMaxComment));
  std::string tail(tailLen, '\0');
  AIS_RETURN_IF_ERROR(readExactly(readAt, tail.data(), tailLen, size - tailLen, "ZIP archive"));
  for (size_t i = tailLen - kEndLen + 1; i-- > 0;) {
    const unsigned char* p = u(tail.data() + i);
    if (le32(p) != kEndSig) continue;
    if (i + kEndLen + le16(p + 20) != tailLen) continue;  // the comment must reach the end
    if (le16(p + 4) != 0 || le16(p + 6) != 0)
      return badArchive("multi-volume ZIP archives are not served");
    End e;
    e.at = size - tailLen + i;
    e.entries = le16(p + 10);
    e.dirSize = le32(p + 12);
    e.dirOffset = le32(p + 16);
    if (e.entries == 0xffff || e.dirSize == 0xffffffff || e.dirOffset == 0xffffffff) {
      if (e.at < 20) return badArchive("ZIP64 locator missing");
      char loc[20];
      AIS_RETURN_IF_ERROR(readExactly(readAt, loc, 20, e.at - 20, "ZIP archive"));
      if (le32(u(loc)) != kLocator64Sig) return badArchive("ZIP64 locator missing");
      uint64_t at64 = le64(u(loc) + 8);
      if (at64 > e.at || e.at - at64 < 56) return badArchive("ZIP64 end record out of place");
      char rec[56];
      AIS_RETURN_IF_ERROR(readExactly(readAt, rec, 56, at64, "ZIP archive"));
      if (le32(u(rec)) != kEnd64Sig) return badArchive("ZIP64 end record missing");
      e.entries = le64(u(rec) + 32);
      e.dirSize = le64(u(rec) + 40);
      e.dirOffset = le64(u(rec) + 48);
      e.at = at64;
    }
    if (e.dirOffset > e.at || e.dirSize > e.at - e.dirOffset) {
      return badArchive("ZIP central directory lies past its end record");
    }
    return e;
  }
  return badArchive("not a ZIP archive (no end-of-central-directory record)");
}

}  // namespace

Result<ZipIndex> ZipIndex::build(const ReadAt& readAt, uint64_t shardSize) {
  return build(readAt, shardSize, Limits{});
}

Result<ZipIndex> ZipIndex::build(const ReadAt& readAt, uint64_t shardSize, const Limits& limits) {
  auto end = findEnd(readAt, shardSize);
  if (!end.ok()) return end.status();
  if (end->dirSize > limits.maxDirectoryBytes) {
    return badArchive("ZIP central directory of " + std::to_string(end->dirSize) +
                      " bytes (at most " + std::to_string(limits.maxDirectoryBytes) + ")");
  }
  if (end->entries > limits.maxMembers) {
    return badArchive("more than " + std::to_string(limits.maxMembers) + " members");
  }
  std::string dir(static_cast<size_t>(end->dirSize), '\0');
  AIS_RETURN_IF_ERROR(readExactly(readAt, dir.data(), dir.size(), end->dirOffset, "ZIP archive"));
  struct Entry {
    Member m;
    uint64_t localAt;
    std::string raw;
  };
  std::vector<Entry> entries;
  size_t at = 0;
  while (at < dir.size()) {
    if (dir.size() - at < kCentralLen || le32(u(dir.data() + at)) != kCentralSig) {
      return badArchive("corrupt ZIP central directory at offset " +
                        std::to_string(end->dirOffset + at));
    }
    const unsigned char* h = u(dir.data() + at);
    size_t nameLen = le16(h + 28), extraLen = le16(h + 30), commentLen = le16(h + 32);
    if (dir.size() - at - kCentralLen < nameLen + extraLen + commentLen) {
      return badArchive("corrupt ZIP central directory at offset " +
                        std::to_string(end->dirOffset + at));
    }
    if (entries.size() == limits.maxMembers) {
      return badArchive("more than " + std::to_string(limits.maxMembers) + " members");
    }
    Entry e;
    e.raw.assign(dir.data() + at + kCentralLen, nameLen);
    Member& m = e.m;
    uint16_t flags = le16(h + 8);
    m.encrypted = flags & 1;
    m.methodCode = le16(h + 10);
    m.method = m.methodCode == 0   ? Member::Method::kStored
               : m.methodCode == 8 ? Member::Method::kDeflate
                                   : Member::Method::kUnsupported;
    m.mtimeSec = dosTime(le16(h + 14), le16(h + 12));
    m.crc32 = le32(h + 16);
    m.packedSize = le32(h + 20);
    m.size = le32(h + 24);
    e.localAt = le32(h + 42);
    if (le16(h + 34) != 0) return badArchive("multi-volume ZIP archives are not served");
    uint32_t external = le32(h + 38);
    bool unixAttrs = (le16(h + 4) >> 8) == 3;
    uint32_t mode = unixAttrs ? external >> 16 : 0;
    // Extra fields: ZIP64 sizes and offset (those that overflowed, in order); Unix mtime.
    const unsigned char* x = h + kCentralLen + nameLen;
    for (size_t k = 0; k + 4 <= extraLen;) {
      uint16_t id = le16(x + k), len = le16(x + k + 2);
      if (k + 4 + len > extraLen) break;
      const unsigned char* v = x + k + 4;
      if (id == 0x0001) {
        size_t q = 0;
        auto take = [&](uint64_t* field) {
          if (*field == 0xffffffff && q + 8 <= len) {
            *field = le64(v + q);
            q += 8;
          }
        };
        take(&m.size);
        take(&m.packedSize);
        take(&e.localAt);
      } else if (id == 0x5455 && len >= 5 && (v[0] & 1)) {
        m.mtimeSec = static_cast<int32_t>(le32(v + 1));
      }
      k += 4 + len;
    }
    if (e.raw.find('\0') != std::string::npos) {
      return badArchive("member name at central directory offset " + std::to_string(at) +
                        " holds a NUL byte");
    }
    bool dirName = !e.raw.empty() && (e.raw.back() == '/' || e.raw.back() == '\\');
    if (dirName || (mode & 0170000) == 0040000) {
      m.type = Member::Type::kDir;
    } else if ((mode & 0170000) == 0120000) {
      m.type = Member::Type::kSymlink;
    } else if (mode != 0 && (mode & 0170000) != 0100000) {
      m.type = Member::Type::kOther;
    }
    m.mode = mode & 07777 ? mode & 07777 : (m.type == Member::Type::kDir ? 0755 : 0644);
    m.name = sanitizeMemberName(e.raw);
    if (m.name.empty() && m.type != Member::Type::kDir) {
      return badArchive("member name '" + e.raw + "' is empty once sanitized");
    }
    if (m.method == Member::Method::kStored && m.packedSize != m.size && !m.encrypted) {
      return badArchive("member '" + m.name + "' is stored with sizes that differ (" +
                        std::to_string(m.packedSize) + " and " + std::to_string(m.size) + ")");
    }
    entries.push_back(std::move(e));
    at += kCentralLen + nameLen + extraLen + commentLen;
  }
  // Local headers in file order through one forward window: the data offsets.
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return entries[a].localAt < entries[b].localAt; });
  std::string win;
  uint64_t winAt = 0;
  for (size_t i : order) {
    Entry& e = entries[i];
    if (e.localAt > end->dirOffset || end->dirOffset - e.localAt < kLocalLen) {
      return badArchive("member '" + e.m.name + "': local header past the central directory");
    }
    if (e.localAt < winAt || e.localAt + kLocalLen > winAt + win.size()) {
      win.resize(static_cast<size_t>(std::min<uint64_t>(1 << 20, end->dirOffset - e.localAt)));
      AIS_RETURN_IF_ERROR(readExactly(readAt, win.data(), win.size(), e.localAt, "ZIP archive"));
      winAt = e.localAt;
    }
    const unsigned char* l = u(win.data() + (e.localAt - winAt));
    if (le32(l) != kLocalSig) {
      return badArchive("member '" + e.m.name + "': no local header at offset " +
                        std::to_string(e.localAt));
    }
    uint64_t dataAt = e.localAt + kLocalLen + le16(l + 26) + le16(l + 28);
    if (dataAt > end->dirOffset || e.m.packedSize > end->dirOffset - dataAt) {
      return badArchive("member '" + e.m.name + "' declares " + std::to_string(e.m.packedSize) +
                        " bytes past the end of its data");
    }
    e.m.offset = dataAt;
  }
  ZipIndex index;
  index.members_.reserve(entries.size());
  for (auto& e : entries) {
    if (e.m.name.empty()) continue;  // "./"
    index.byName_[e.m.name] = index.members_.size();
    index.members_.push_back(std::move(e.m));
  }
  // Symlink targets are the members' data.
  for (auto& m : index.members_) {
    if (m.type != Member::Type::kSymlink || m.size > 4096) continue;
    auto target = read(readAt, m, 0, m.size);
    if (target.ok()) m.linkTarget = std::move(*target);
  }
  return index;
}

const Member* ZipIndex::find(std::string_view name) const {
  auto it = byName_.find(sanitizeMemberName(name));
  return it == byName_.end() ? nullptr : &members_[it->second];
}

Result<std::string> ZipIndex::read(const ReadAt& readAt, const Member& m, uint64_t off,
                                   uint64_t len) {
  if (m.encrypted) return badArchive("member '" + m.name + "' is encrypted");
  if (m.method == Member::Method::kUnsupported) {
    return badArchive("member '" + m.name + "' uses compression method " +
                      std::to_string(m.methodCode) + " (stored and deflate are served)");
  }
  if (off >= m.size) return std::string();
  len = std::min(len, m.size - off);
  bool whole = off == 0 && len == m.size;
  std::string out;
  if (m.method == Member::Method::kStored) {
    out.resize(static_cast<size_t>(len));
    AIS_RETURN_IF_ERROR(readExactly(readAt, out.data(), out.size(), m.offset + off, "ZIP member"));
  } else {
    // One raw-deflate pass from the member's start: bytes before `off` are decoded and dropped.
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) return Status(Code::kInternal, "zlib init failed");
    std::string in(64 * 1024, '\0'), buf(256 * 1024, '\0');
    uint64_t fed = 0, produced = 0;
    out.reserve(static_cast<size_t>(len));
    int r = Z_OK;
    Status st;
    while (r != Z_STREAM_END && produced < off + len) {
      if (z.avail_in == 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), m.packedSize - fed));
        if (n == 0) {
          st = badArchive("member '" + m.name + "': deflate data ends before its declared " +
                          std::to_string(m.size) + " bytes");
          break;
        }
        st = readExactly(readAt, in.data(), n, m.offset + fed, "ZIP member");
        if (!st.ok()) break;
        fed += n;
        z.next_in = reinterpret_cast<Bytef*>(in.data());
        z.avail_in = static_cast<uInt>(n);
      }
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      r = inflate(&z, Z_NO_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END && !(r == Z_BUF_ERROR && z.avail_in == 0)) {
        st = badArchive("member '" + m.name + "': corrupt deflate data");
        break;
      }
      uint64_t n = buf.size() - z.avail_out;
      if (produced + n > m.size) {
        st = badArchive("member '" + m.name + "' expands past its declared " +
                        std::to_string(m.size) + " bytes");
        break;
      }
      uint64_t from = std::max(produced, off), to = std::min(produced + n, off + len);
      if (from < to) out.append(buf.data() + (from - produced), static_cast<size_t>(to - from));
      produced += n;
    }
    inflateEnd(&z);
    if (!st.ok()) return st;
    if (r == Z_STREAM_END && produced < off + len) {
      return badArchive("member '" + m.name + "' ends at " + std::to_string(produced) +
                        " bytes, short of its declared " + std::to_string(m.size));
    }
  }
  if (whole) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (size_t at = 0; at < out.size(); at += UINT_MAX / 2) {
      size_t n = std::min<size_t>(out.size() - at, UINT_MAX / 2);
      crc = ::crc32(crc, reinterpret_cast<const Bytef*>(out.data() + at), static_cast<uInt>(n));
    }
    if (crc != m.crc32) return badArchive("member '" + m.name + "' fails its CRC-32");
  }
  return out;
}

}  // namespace ais::archive
