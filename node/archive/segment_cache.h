// SegmentCache: decoded segments of compressed TAR shards (the bytes between two restart points
// of a StreamIndex), kept in memory so that reads of neighbouring members decode their segment
// once instead of once each: random sample reads over a TGZ or TAR.LZ4 shard then cost about what
// TAR member reads cost once the segments are in. Keyed by the shard's identity (its name with
// version and checksum: a changed shard never hits) and the segment's number; least recently used
// dropped past the byte budget. Thread-safe (I/O workers decode in parallel; two that miss the
// same segment both decode it).
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace ais::archive {

class SegmentCache {
 public:
  using Bytes = std::shared_ptr<const std::string>;
  explicit SegmentCache(size_t maxBytes) : maxBytes_(maxBytes) {}

  Bytes find(const std::string& shard, size_t segment);
  void insert(const std::string& shard, size_t segment, Bytes bytes);
  size_t bytes() const;
  size_t capacity() const { return maxBytes_; }

 private:
  using Key = std::pair<std::string, size_t>;
  const size_t maxBytes_;
  mutable std::mutex mu_;
  std::list<std::pair<Key, Bytes>> lru_;  // most recent first
  std::map<Key, std::list<std::pair<Key, Bytes>>::iterator> byKey_;
  size_t bytes_ = 0;
};

}  // namespace ais::archive
