#include "fusefs/block_cache.h"

namespace ais::fusefs {

std::string BlockCache::keyOf(const std::string& object, uint64_t tag, uint64_t block) {
  std::string key = object;
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(&tag), sizeof tag);
  key.append(reinterpret_cast<const char*>(&block), sizeof block);
  return key;
}

std::shared_ptr<const std::string> BlockCache::get(const std::string& object, uint64_t tag,
                                                   uint64_t block) {
  if (!enabled()) return nullptr;
  std::string key = keyOf(object, tag, block);
  std::lock_guard l(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bytes;
}

void BlockCache::put(const std::string& object, uint64_t tag, uint64_t block,
                     std::shared_ptr<const std::string> bytes) {
  if (!enabled() || !bytes || bytes->size() > kBlock) return;
  std::string key = keyOf(object, tag, block);
  std::lock_guard l(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes->size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  bytes_ += bytes->size();
  lru_.push_front(Entry{key, std::move(bytes)});
  index_[std::move(key)] = lru_.begin();
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes->size();
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

uint64_t BlockCache::bytes() const {
  std::lock_guard l(mu_);
  return bytes_;
}

}  // namespace ais::fusefs
