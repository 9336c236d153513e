// The gzip StreamDecoder (zlib): members one after another, as `cat a.gz b.gz` makes them.
// Restart points are deflate block boundaries: the compressed offset, the bits of the byte
// before it still to decode, and the 32 KiB window (zlib's zran technique). From a point the
// stream is raw deflate up to the member's end; its 8-byte trailer is then skipped unchecked
// (the shard's own checksums vouch for the bytes), while a pass from a member header checks it.
#include <zlib.h>

#include <algorithm>
#include <climits>

#include "node/archive/stream_index.h"

namespace ais::archive {
namespace {

constexpr size_t kInBuf =
    64 * 1024;  // compressed bytes per read: a member read fetches little more than it decodes
constexpr int kGzipOnly = 15 + 16;  // windowBits: a gzip header and trailer around deflate
constexpr int kRawDeflate = -15;

class GzipDecoder final : public StreamDecoder {
 public:
  GzipDecoder(const ReadAt& readAt, uint64_t packed) : readAt_(readAt), packed_(packed) {}
  ~GzipDecoder() override {
    if (live_) inflateEnd(&z_);
  }

  Status start(const RestartPoint& p) {
    out_ = p.out;
    if (p.streamStart) return startMember(p.in);
    AIS_RETURN_IF_ERROR(init(kRawDeflate));
    raw_ = true;
    next_ = p.in;
    if (p.flags != 0) {
      if (p.in == 0 || p.flags > 7) return badArchive("gzip restart point out of range");
      unsigned char ch = 0;
      AIS_RETURN_IF_ERROR(
          readExactly(readAt_, reinterpret_cast<char*>(&ch), 1, p.in - 1, "gzip stream"));
      if (inflatePrime(&z_, static_cast<int>(p.flags), ch >> (8 - p.flags)) != Z_OK) {
        return badArchive("gzip restart point rejected by zlib");
      }
    }
    if (!p.state.empty() &&
        inflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(p.state.data()),
                             static_cast<uInt>(p.state.size())) != Z_OK) {
      return badArchive("gzip restart window rejected by zlib");
    }
    return Status::OK();
  }

  Result<size_t> next(char* out, size_t cap) override {
    boundary_ = false;
    if (ended_ || cap == 0) return size_t{0};
    cap = std::min<size_t>(cap, UINT_MAX);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(cap);
    for (;;) {
      if (z_.avail_in == 0) {
        AIS_RETURN_IF_ERROR(fill());
        if (z_.avail_in == 0) {
          return badArchive("gzip stream truncated at compressed offset " +
                            std::to_string(packed_));
        }
      }
      int r = inflate(&z_, Z_BLOCK);
      size_t produced = cap - z_.avail_out;
      if (r == Z_STREAM_END) {
        AIS_RETURN_IF_ERROR(afterMember());
        if (produced > 0 || ended_) {
          out_ += produced;
          return produced;
        }
        z_.next_out = reinterpret_cast<Bytef*>(out);
        z_.avail_out = static_cast<uInt>(cap);
        continue;
      }
      if (r != Z_OK && !(r == Z_BUF_ERROR && z_.avail_in == 0)) {
        return badArchive("corrupt gzip data near compressed offset " + std::to_string(consumed()) +
                          (z_.msg ? std::string(" (") + z_.msg + ")" : std::string()));
      }
      boundary_ = (z_.data_type & 128) && !(z_.data_type & 64);
      if (produced > 0 && (boundary_ || z_.avail_out == 0 || produced >= cap / 2)) {
        out_ += produced;
        return produced;
      }
    }
  }

  bool restartable(RestartPoint* p) const override {
    if (!boundary_ || ended_) return false;
    p->out = out_;
    p->in = consumed();
    p->flags = static_cast<uint32_t>(z_.data_type & 7);
    p->streamStart = false;
    p->state.resize(32768);
    uInt len = 0;
    if (inflateGetDictionary(const_cast<z_stream*>(&z_), reinterpret_cast<Bytef*>(p->state.data()),
                             &len) != Z_OK) {
      return false;
    }
    p->state.resize(len);
    return true;
  }

 private:
  Status init(int windowBits) {
    if (live_) {
      if (inflateReset2(&z_, windowBits) != Z_OK) return badArchive("zlib reset failed");
    } else {
      z_ = z_stream{};
      if (inflateInit2(&z_, windowBits) != Z_OK) return Status(Code::kInternal, "zlib init failed");
      live_ = true;
    }
    z_.avail_in = 0;
    return Status::OK();
  }

  // A gzip member starting at compressed offset `at`.
  Status startMember(uint64_t at) {
    unsigned char magic[2];
    AIS_RETURN_IF_ERROR(readExactly(readAt_, reinterpret_cast<char*>(magic), 2, at, "gzip stream"));
    if (magic[0] != 0x1f || magic[1] != 0x8b) {
      return badArchive(at == 0 ? "not a gzip stream"
                                : "no gzip header at offset " + std::to_string(at));
    }
    AIS_RETURN_IF_ERROR(init(kGzipOnly));
    raw_ = false;
    next_ = at;
    return Status::OK();
  }

  // A member ended: the next one (concatenated gzip), or the end of the stream. Anything else
  // after a member is refused, as gzip -t does.
  Status afterMember() {
    uint64_t at = consumed() + (raw_ ? 8 : 0);  // a raw pass skips the trailer
    if (at > packed_) return badArchive("gzip trailer truncated");
    if (at == packed_) {
      ended_ = true;
      return Status::OK();
    }
    unsigned char b[2] = {0, 0};
    size_t n = std::min<uint64_t>(2, packed_ - at);
    AIS_RETURN_IF_ERROR(readExactly(readAt_, reinterpret_cast<char*>(b), n, at, "gzip stream"));
    if (n == 2 && b[0] == 0x1f && b[1] == 0x8b) return startMember(at);
    // Zero padding after the last member (tape blocking) is tolerated, like gzip does.
    std::string rest(static_cast<size_t>(std::min<uint64_t>(packed_ - at, 1 << 16)), '\0');
    AIS_RETURN_IF_ERROR(readExactly(readAt_, rest.data(), rest.size(), at, "gzip stream"));
    if (packed_ - at <= rest.size() &&
        std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; })) {
      ended_ = true;
      return Status::OK();
    }
    return badArchive("undecodable data after the gzip stream at offset " + std::to_string(at));
  }

  Status fill() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kInBuf, packed_ - next_));
    if (n == 0) return Status::OK();
    in_.resize(kInBuf);
    AIS_RETURN_IF_ERROR(readExactly(readAt_, in_.data(), n, next_, "gzip stream"));
    next_ += n;
    z_.next_in = reinterpret_cast<Bytef*>(in_.data());
    z_.avail_in = static_cast<uInt>(n);
    return Status::OK();
  }

  uint64_t consumed() const { return next_ - z_.avail_in; }

  const ReadAt& readAt_;
  uint64_t packed_;
  z_stream z_{};
  bool live_ = false, raw_ = false, ended_ = false, boundary_ = false;
  uint64_t next_ = 0;  // compressed offset of the next byte to load
  uint64_t out_ = 0;   // uncompressed offset reached
  std::string in_;
};

}  // namespace

Result<std::unique_ptr<StreamDecoder>> openGzipDecoder(const ReadAt& readAt, uint64_t packedSize,
                                                       const RestartPoint& at) {
  auto d = std::make_unique<GzipDecoder>(readAt, packedSize);
  AIS_RETURN_IF_ERROR(d->start(at));
  return std::unique_ptr<StreamDecoder>(std::move(d));
}

}  // namespace ais::archive
