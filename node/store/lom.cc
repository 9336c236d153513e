#include "node/store/lom.h"

#include <fmt/format.h>

namespace ais::store {
namespace {

constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kFormatV2 = 2;  // + blockSize
constexpr uint8_t kFormatV3 = 3;  // + checksumValue
constexpr uint8_t kFormatV4 = 4;  // + holeBytes
constexpr uint8_t kFlagHashed = 1;

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void putFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void putString(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

// Bounds-checked reader: every getter fails instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      auto b = static_cast<uint8_t>(in_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool fixed64(uint64_t* v) {
    if (in_.size() - pos_ < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i)
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool byte(uint8_t* v) {
    if (pos_ >= in_.size()) return false;
    *v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool string(std::string* s) {
    uint64_t len;
    if (!varint(&len) || len > in_.size() - pos_) return false;
    s->assign(in_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string encodeLom(const Lom& lom) {
  std::string out;
  out.reserve(64 + lom.name.size());
  out.push_back(static_cast<char>(lom.holeBytes != 0 ? kFormatV4 : kFormatV3));
  out.push_back(static_cast<char>(lom.hashedPath ? kFlagHashed : 0));
  putString(out, lom.name);
  putVarint(out, lom.size);
  putFixed64(out, lom.checksum);
  putString(out, lom.checksumType);
  putVarint(out, lom.version);
  putFixed64(out, static_cast<uint64_t>(lom.atimeNs));
  putFixed64(out, static_cast<uint64_t>(lom.mtimeNs));
  putVarint(out, lom.custom.size());
  for (const auto& [k, v] : lom.custom) {
    putString(out, k);
    putString(out, v);
  }
  putVarint(out, lom.blockSize);
  putString(out, lom.checksumValue);
  if (lom.holeBytes != 0) putVarint(out, lom.holeBytes);
  return out;
}

Result<Lom> decodeLom(std::string_view bytes) {
  auto bad = [](const char* why) {
    return Status(Code::kInternal, std::string("bad LOM: ") + why);
  };
  Reader r(bytes);
  uint8_t format, flags;
  if (!r.byte(&format)) return bad("empty");
  if (format < kFormatV1 || format > kFormatV4) return bad("unknown format version");
  if (!r.byte(&flags) || (flags & ~kFlagHashed)) return bad("bad flags");
  Lom lom;
  lom.hashedPath = flags & kFlagHashed;
  uint64_t atime, mtime, count;
  if (!r.string(&lom.name) || !r.varint(&lom.size) || !r.fixed64(&lom.checksum) ||
      !r.string(&lom.checksumType) || !r.varint(&lom.version) || !r.fixed64(&atime) ||
      !r.fixed64(&mtime) || !r.varint(&count)) {
    return bad("truncated");
  }
  lom.atimeNs = static_cast<int64_t>(atime);
  lom.mtimeNs = static_cast<int64_t>(mtime);
  for (uint64_t i = 0; i < count; ++i) {
    std::string k, v;
    if (!r.string(&k) || !r.string(&v)) return bad("truncated custom metadata");
    lom.custom.emplace(std::move(k), std::move(v));
  }
  if (format >= kFormatV2) {
    uint64_t bs;
    if (!r.varint(&bs) || bs > UINT32_MAX) return bad("truncated block size");
    lom.blockSize = static_cast<uint32_t>(bs);
  }
  if (format >= kFormatV3) {
    if (!r.string(&lom.checksumValue)) return bad("truncated checksum value");
  } else if (lom.checksumType == kChecksumXxhash64) {
    lom.checksumValue = fmt::format("{:016x}", lom.checksum);
  }
  if (format >= kFormatV4) {
    if (!r.varint(&lom.holeBytes) || lom.holeBytes > lom.size) return bad("bad hole bytes");
  }
  if (!r.done()) return bad("trailing bytes");
  return lom;
}

}  // namespace ais::store
