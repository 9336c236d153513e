// Memory cache of object bytes in 64 KiB blocks, shared by every open file: a random reader's
// re-reads, and bytes a sequential reader already fetched, are served from memory instead of a
// ranged GET each (a fabric round trip per 4 KiB read otherwise). Keyed by the object's stored
// version (cacheTag), so bytes of one version are never served for another. Least recently used
// blocks go first once the byte budget is full. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ais::fusefs {

class BlockCache {
 public:
  static constexpr uint64_t kBlock = 64 << 10;  // the target's block-checksum size

  explicit BlockCache(uint64_t capacityBytes) : capacity_(capacityBytes) {}
  bool enabled() const { return capacity_ >= kBlock; }

  // Block `block` (bytes [block*kBlock, +kBlock), shorter at the object's end) of `object`
  // ("bucket/name") as stored with `tag`; nullptr if not cached.
  std::shared_ptr<const std::string> get(const std::string& object, uint64_t tag, uint64_t block);
  void put(const std::string& object, uint64_t tag, uint64_t block,
           std::shared_ptr<const std::string> bytes);
  uint64_t bytes() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> bytes;
  };
  static std::string keyOf(const std::string& object, uint64_t tag, uint64_t block);

  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t bytes_ = 0;
};

}  // namespace ais::fusefs
