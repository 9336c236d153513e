// StreamIndex: restart points of a compressed stream (gzip, including concatenated members; LZ4
// frames, linked or independent blocks), made in one pass over it, so that reading at any offset
// of the uncompressed stream decompresses at most about `spacing` bytes before it instead of
// everything from the start. A gzip point is a deflate block boundary (bit offset and the 32 KiB
// window before it), an LZ4 point a block (and the 64 KiB before it if blocks are linked).
//
// Hostile streams get kBadArchive, never a read outside [0, packedSize): corrupt or truncated
// data, a block larger than its frame allows, an LZ4 frame that needs an outside dictionary, an
// uncompressed size over Limits::maxExpanded (an archive bomb).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/archive/read_at.h"

namespace ais::archive {

enum class Codec : uint8_t { kGzip, kLz4 };

struct StreamLimits {
  uint64_t spacing = 256 << 10;               // uncompressed bytes between restart points
  uint64_t maxExpanded = uint64_t{64} << 30;  // larger uncompressed streams are refused
};

// Where decoding can start again. Codec-specific state travels in `state`: the deflate window
// (gzip) or the 64 KiB dictionary (linked LZ4 blocks); flags and bits as the decoder needs them.
struct RestartPoint {
  uint64_t out = 0;  // uncompressed offset
  uint64_t in = 0;   // compressed offset of the next byte to decode
  uint32_t flags =
      0;  // codec-specific (gzip: bits pending in the byte before `in`; LZ4: frame flags)
  bool streamStart = false;  // a gzip member header or LZ4 frame header begins at `in`
  std::string state;
};

class StreamDecoder;

class StreamIndex {
 public:
  // Called with each segment's decoded bytes as the build pass makes them (k, bytes); it
  // answers whether it wants more.
  using SegmentSink = std::function<bool(size_t k, std::string bytes)>;
  static Result<std::shared_ptr<const StreamIndex>> build(Codec codec, const ReadAt& readAt,
                                                          uint64_t packedSize,
                                                          const StreamLimits& limits = {},
                                                          const SegmentSink& sink = nullptr);
  Codec codec() const { return codec_; }
  uint64_t size() const { return size_; }  // uncompressed
  uint64_t packedSize() const { return packedSize_; }
  size_t points() const { return points_.size(); }
  size_t memoryBytes() const;
  // Segment k: the uncompressed bytes from restart point k to the next (or the end).
  size_t segmentOf(uint64_t off) const;
  uint64_t segmentStart(size_t k) const { return points_[k].out; }
  Result<std::string> decodeSegment(const ReadAt& readAt, size_t k) const;

  // Reads the uncompressed stream through readAt (the compressed bytes), keeping its place:
  // reads that go forward (TAR headers while indexing, a member read in pieces) continue
  // decoding; one behind the place, or far ahead, starts again at the nearest restart point.
  class Cursor {
   public:
    Cursor(const StreamIndex& index, const ReadAt& readAt);
    ~Cursor();
    // Up to len bytes at off (fewer only at the end of the stream).
    Result<size_t> read(char* buf, size_t len, uint64_t off);

   private:
    Status seek(uint64_t off);
    const StreamIndex& index_;
    const ReadAt& readAt_;
    std::unique_ptr<StreamDecoder> dec_;
    uint64_t pos_ = 0;  // uncompressed offset the decoder is at
    std::string chunk_;
  };

 private:
  friend class Cursor;
  Codec codec_ = Codec::kGzip;
  uint64_t size_ = 0, packedSize_ = 0;
  std::vector<RestartPoint> points_;  // by `out`, first at 0
};

// A decoder positioned at a restart point; next() yields the following uncompressed bytes.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Up to cap bytes; 0 at the end of the stream.
  virtual Result<size_t> next(char* out, size_t cap) = 0;
  // At a place next() can start again from (build pass): the point, else nullopt-like false.
  virtual bool restartable(RestartPoint* point) const = 0;
  static Result<std::unique_ptr<StreamDecoder>> open(Codec codec, const ReadAt& readAt,
                                                     uint64_t packedSize, const RestartPoint& at);
};

}  // namespace ais::archive
