// The LZ4 StreamDecoder (liblz4 block API over the frame format): frames one after another,
// skippable frames passed over, linked or independent blocks, block and content checksums
// skipped (the shard's own checksums vouch for the bytes). Restart points are block starts,
// with the 64 KiB of output before them when blocks are linked.
#include <lz4.h>
#include <xxhash.h>

#include <algorithm>

#include "node/archive/stream_index.h"

namespace ais::archive {
namespace {

constexpr uint32_t kFrameMagic = 0x184D2204;
constexpr uint32_t kLegacyMagic = 0x184C2102;
constexpr size_t kDictBytes = 64 * 1024;
// RestartPoint::flags of an LZ4 point: the frame's properties that decoding a block needs.
constexpr uint32_t kIndependent = 1, kBlockChecksum = 2, kContentChecksum = 4;
uint32_t blockMaxCode(uint32_t flags) { return flags >> 8 & 7; }
size_t blockMaxBytes(uint32_t code) { return size_t{64 * 1024} << (2 * (code - 4)); }

class Lz4Decoder final : public StreamDecoder {
 public:
  Lz4Decoder(const ReadAt& readAt, uint64_t packed) : readAt_(readAt), packed_(packed) {}

  Status start(const RestartPoint& p) {
    out_ = p.out;
    pos_ = p.in;
    inFrame_ = !p.streamStart;
    if (inFrame_) {
      flags_ = p.flags;
      if (blockMaxCode(flags_) < 4) return badArchive("LZ4 restart point out of range");
      dict_ = p.state;
    }
    return Status::OK();
  }

  Result<size_t> next(char* out, size_t cap) override {
    while (served_ == block_.size()) {
      if (ended_) return size_t{0};
      AIS_RETURN_IF_ERROR(advance());
    }
    size_t n = std::min(cap, block_.size() - served_);
    std::copy_n(block_.data() + served_, n, out);
    served_ += n;
    out_ += n;
    return n;
  }

  bool restartable(RestartPoint* p) const override {
    if (served_ != block_.size() || ended_) return false;
    p->out = out_;
    p->in = pos_;
    p->streamStart = !inFrame_;
    p->flags = inFrame_ ? flags_ : 0;
    p->state = inFrame_ && !(flags_ & kIndependent) ? dict_ : std::string();
    return true;
  }

 private:
  Status read(char* buf, size_t len, const char* what) {
    if (len > packed_ - std::min(pos_, packed_)) {
      return badArchive(std::string("LZ4 stream truncated in ") + what + " at offset " +
                        std::to_string(pos_));
    }
    AIS_RETURN_IF_ERROR(readExactly(readAt_, buf, len, pos_, "LZ4 stream"));
    pos_ += len;
    return Status::OK();
  }

  // The next frame header, skippable frame, block or end mark.
  Status advance() {
    block_.clear();
    served_ = 0;
    if (!inFrame_) return frameHeader();
    unsigned char sz[4];
    AIS_RETURN_IF_ERROR(read(reinterpret_cast<char*>(sz), 4, "a block size"));
    uint32_t word = le32(sz);
    if (word == 0) {  // end mark
      if (flags_ & kContentChecksum) {
        char skip[4];
        AIS_RETURN_IF_ERROR(read(skip, 4, "the content checksum"));
      }
      inFrame_ = false;
      dict_.clear();
      if (pos_ == packed_) ended_ = true;
      return Status::OK();
    }
    uint64_t blockAt = pos_ - 4;
    size_t packedLen = word & 0x7fffffff;
    bool stored = word >> 31;
    size_t max = blockMaxBytes(blockMaxCode(flags_));
    if (packedLen > max) {
      return badArchive("LZ4 block at offset " + std::to_string(blockAt) + " of " +
                        std::to_string(packedLen) + " bytes, over its frame's " +
                        std::to_string(max));
    }
    packed_block_.resize(packedLen);
    AIS_RETURN_IF_ERROR(read(packed_block_.data(), packedLen, "a block"));
    if (flags_ & kBlockChecksum) {
      char skip[4];
      AIS_RETURN_IF_ERROR(read(skip, 4, "a block checksum"));
    }
    if (stored) {
      block_ = packed_block_;
    } else {
      block_.resize(max);
      int n = (flags_ & kIndependent) || dict_.empty()
                  ? LZ4_decompress_safe(packed_block_.data(), block_.data(),
                                        static_cast<int>(packedLen), static_cast<int>(max))
                  : LZ4_decompress_safe_usingDict(
                        packed_block_.data(), block_.data(), static_cast<int>(packedLen),
                        static_cast<int>(max), dict_.data(), static_cast<int>(dict_.size()));
      if (n < 0) return badArchive("corrupt LZ4 block at offset " + std::to_string(blockAt));
      block_.resize(static_cast<size_t>(n));
    }
    if (!(flags_ & kIndependent)) {
      dict_ += block_;
      if (dict_.size() > kDictBytes) dict_.erase(0, dict_.size() - kDictBytes);
    }
    return Status::OK();
  }

  Status frameHeader() {
    if (pos_ == packed_) {
      ended_ = true;
      return Status::OK();
    }
    uint64_t at = pos_;
    unsigned char h[4];
    AIS_RETURN_IF_ERROR(read(reinterpret_cast<char*>(h), 4, "a frame header"));
    uint32_t magic = le32(h);
    if ((magic & 0xfffffff0) == 0x184D2A50) {  // skippable frame
      AIS_RETURN_IF_ERROR(read(reinterpret_cast<char*>(h), 4, "a skippable frame"));
      uint32_t len = le32(h);
      if (len > packed_ - pos_)
        return badArchive("LZ4 skippable frame past the end at " + std::to_string(at));
      pos_ += len;
      return Status::OK();
    }
    if (magic == kLegacyMagic) {
      return badArchive("legacy LZ4 format (lz4 -l) at offset " + std::to_string(at) +
                        "; use the frame format (lz4 without -l)");
    }
    if (magic != kFrameMagic) {
      return badArchive(at == 0 ? "not an LZ4 frame"
                                : "undecodable data after the LZ4 frame at offset " +
                                      std::to_string(at));
    }
    unsigned char d[15];
    AIS_RETURN_IF_ERROR(read(reinterpret_cast<char*>(d), 2, "a frame header"));
    unsigned flg = d[0], bd = d[1];
    if ((flg >> 6) != 1)
      return badArchive("LZ4 frame version " + std::to_string(flg >> 6) + " at " +
                        std::to_string(at));
    if (flg & 1)
      return badArchive("LZ4 frame at offset " + std::to_string(at) +
                        " needs an outside dictionary");
    unsigned code = bd >> 4 & 7;
    if (code < 4 || (bd & 0x8f) || (flg & 2))
      return badArchive("bad LZ4 frame descriptor at offset " + std::to_string(at));
    size_t descLen = 2 + ((flg & 8) ? 8 : 0);
    AIS_RETURN_IF_ERROR(read(reinterpret_cast<char*>(d + 2), descLen - 2 + 1, "a frame header"));
    if (((XXH32(d, descLen, 0) >> 8) & 0xff) != d[descLen]) {
      return badArchive("LZ4 frame header checksum mismatch at offset " + std::to_string(at));
    }
    flags_ = (flg & 0x20 ? kIndependent : 0) | (flg & 0x10 ? kBlockChecksum : 0) |
             (flg & 0x04 ? kContentChecksum : 0) | code << 8;
    inFrame_ = true;
    dict_.clear();
    return Status::OK();
  }

  const ReadAt& readAt_;
  uint64_t packed_;
  uint64_t pos_ = 0, out_ = 0;
  bool inFrame_ = false, ended_ = false;
  uint32_t flags_ = 0;
  std::string dict_, block_, packed_block_;
  size_t served_ = 0;
};

}  // namespace

Result<std::unique_ptr<StreamDecoder>> openLz4Decoder(const ReadAt& readAt, uint64_t packedSize,
                                                      const RestartPoint& at) {
  auto d = std::make_unique<Lz4Decoder>(readAt, packedSize);
  AIS_RETURN_IF_ERROR(d->start(at));
  return std::unique_ptr<StreamDecoder>(std::move(d));
}

}  // namespace ais::archive
