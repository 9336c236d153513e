#include "node/archive/stream_index.h"

#include <algorithm>
#include <cstring>

namespace ais::archive {

Result<std::unique_ptr<StreamDecoder>> openGzipDecoder(const ReadAt& readAt, uint64_t packedSize,
                                                       const RestartPoint& at);
Result<std::unique_ptr<StreamDecoder>> openLz4Decoder(const ReadAt& readAt, uint64_t packedSize,
                                                      const RestartPoint& at);

namespace {

constexpr size_t kChunk = 256 * 1024;

}  // namespace

Result<std::unique_ptr<StreamDecoder>> StreamDecoder::open(Codec codec, const ReadAt& readAt,
                                                           uint64_t packedSize,
                                                           const RestartPoint& at) {
  return codec == Codec::kGzip ? openGzipDecoder(readAt, packedSize, at)
                               : openLz4Decoder(readAt, packedSize, at);
}

Result<std::shared_ptr<const StreamIndex>> StreamIndex::build(Codec codec, const ReadAt& readAt,
                                                              uint64_t packedSize,
                                                              const StreamLimits& limits,
                                                              const SegmentSink& sink) {
  auto ix = std::make_shared<StreamIndex>();
  ix->codec_ = codec;
  ix->packedSize_ = packedSize;
  RestartPoint first;
  first.streamStart = true;
  auto dec = StreamDecoder::open(codec, readAt, packedSize, first);
  if (!dec.ok()) return dec.status();
  ix->points_.push_back(std::move(first));
  std::string buf(kChunk, '\0');
  uint64_t out = 0;
  bool collecting = static_cast<bool>(sink);
  std::string segment;  // decoded since the last point, for the sink
  for (;;) {
    auto n = (*dec)->next(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    out += *n;
    if (collecting) segment.append(buf.data(), *n);
    if (out > limits.maxExpanded) {
      return Status(Code::kBadArchive, "expands to more than " +
                                           std::to_string(limits.maxExpanded) +
                                           " bytes (an archive bomb?)");
    }
    RestartPoint p;
    if (out - ix->points_.back().out >= limits.spacing && (*dec)->restartable(&p)) {
      if (collecting && p.out != out) collecting = false;  // (never: points are where next() stops)
      if (collecting) {
        // The point is at `out`: everything collected belongs to the segment it closes.
        collecting = sink(ix->points_.size() - 1, std::move(segment));
        segment = std::string();
      }
      ix->points_.push_back(std::move(p));
    }
  }
  if (collecting) sink(ix->points_.size() - 1, std::move(segment));
  ix->size_ = out;
  return std::shared_ptr<const StreamIndex>(std::move(ix));
}

size_t StreamIndex::memoryBytes() const {
  size_t n = sizeof(*this) + points_.capacity() * sizeof(RestartPoint);
  for (const auto& p : points_) n += p.state.capacity();
  return n;
}

StreamIndex::Cursor::Cursor(const StreamIndex& index, const ReadAt& readAt)
    : index_(index), readAt_(readAt) {}

StreamIndex::Cursor::~Cursor() = default;

size_t StreamIndex::segmentOf(uint64_t off) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), off,
                             [](uint64_t o, const RestartPoint& p) { return o < p.out; });
  return static_cast<size_t>(std::prev(it) - points_.begin());  // points_ starts at 0
}

Result<std::string> StreamIndex::decodeSegment(const ReadAt& readAt, size_t k) const {
  uint64_t from = points_.at(k).out;
  uint64_t to = k + 1 < points_.size() ? points_[k + 1].out : size_;
  std::string out(static_cast<size_t>(to - from), '\0');
  Cursor cursor(*this, readAt);
  for (size_t done = 0; done < out.size();) {
    auto n = cursor.read(out.data() + done, out.size() - done, from + done);
    if (!n.ok()) return n.status();
    if (*n == 0)
      return Status(Code::kBadArchive, "compressed stream ended before its indexed size");
    done += *n;
  }
  return out;
}

Status StreamIndex::Cursor::seek(uint64_t off) {
  const auto& pts = index_.points_;
  auto it = std::upper_bound(pts.begin(), pts.end(), off,
                             [](uint64_t o, const RestartPoint& p) { return o < p.out; });
  const RestartPoint& p = *std::prev(it);  // points_ starts at 0
  auto dec = StreamDecoder::open(index_.codec_, readAt_, index_.packedSize_, p);
  if (!dec.ok()) return dec.status();
  dec_ = std::move(*dec);
  pos_ = p.out;
  chunk_.clear();
  return Status::OK();
}

Result<size_t> StreamIndex::Cursor::read(char* buf, size_t len, uint64_t off) {
  if (off >= index_.size_) return size_t{0};
  len = static_cast<size_t>(std::min<uint64_t>(len, index_.size_ - off));
  size_t done = 0;
  while (done < len) {
    uint64_t at = off + done;
    uint64_t chunkAt = pos_ - chunk_.size();
    if (dec_ && at >= chunkAt && at < pos_) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, pos_ - at));
      std::memcpy(buf + done, chunk_.data() + (at - chunkAt), n);
      done += n;
      continue;
    }
    // Behind the decoder, or past a restart point it has not reached: start there.
    const auto& pts = index_.points_;
    auto after = std::upper_bound(pts.begin(), pts.end(), at,
                                  [](uint64_t o, const RestartPoint& p) { return o < p.out; });
    if (!dec_ || at < chunkAt || std::prev(after)->out > pos_) AIS_RETURN_IF_ERROR(seek(at));
    // Decode only up to the end of what was asked (a small member read stops there).
    uint64_t want = at + (len - done) - pos_;
    chunk_.resize(static_cast<size_t>(std::clamp<uint64_t>(want, 4096, kChunk)));
    auto n = dec_->next(chunk_.data(), chunk_.size());
    if (!n.ok()) {
      dec_.reset();
      return n.status();
    }
    chunk_.resize(*n);
    pos_ += *n;
    if (*n == 0) {
      dec_.reset();
      return Status(Code::kBadArchive, "compressed stream ended before its indexed size");
    }
  }
  return done;
}

}  // namespace ais::archive
