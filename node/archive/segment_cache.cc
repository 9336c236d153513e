#include "node/archive/segment_cache.h"

namespace ais::archive {

SegmentCache::Bytes SegmentCache::find(const std::string& shard, size_t segment) {
  std::lock_guard lock(mu_);
  auto it = byKey_.find({shard, segment});
  if (it == byKey_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void SegmentCache::insert(const std::string& shard, size_t segment, Bytes bytes) {
  if (!bytes || bytes->size() > maxBytes_) return;
  std::lock_guard lock(mu_);
  Key key{shard, segment};
  if (byKey_.count(key)) return;
  bytes_ += bytes->size();
  lru_.emplace_front(key, std::move(bytes));
  byKey_[key] = lru_.begin();
  while (bytes_ > maxBytes_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size();
    byKey_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

size_t SegmentCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace ais::archive
