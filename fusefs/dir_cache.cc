// The listing cache (see dir_cache.h).
#include "fusefs/dir_cache.h"

namespace ais::fusefs {

std::optional<std::optional<DirEntry>> DirCache::child(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& name, Clock::duration ttl,
                                                       Clock::time_point* at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || Clock::now() - it->second.at > ttl) return std::nullopt;
  if (at) *at = it->second.at;
  auto c = it->second.children.find(name);
  if (c == it->second.children.end()) {
    if (!it->second.answersMisses) return std::nullopt;
    return std::optional<DirEntry>();
  }
  return std::optional<DirEntry>(c->second);
}

std::optional<std::vector<std::pair<std::string, DirEntry>>> DirCache::snapshot(
    const std::string& bucket, const std::string& prefix, Clock::duration ttl) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || Clock::now() - it->second.at > ttl) return std::nullopt;
  return std::vector<std::pair<std::string, DirEntry>>(it->second.children.begin(),
                                                       it->second.children.end());
}

bool DirCache::fresh(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
                     bool forMisses) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  return it != listings_.end() && Clock::now() - it->second.at <= ttl &&
         (!forMisses || it->second.answersMisses);
}

std::optional<size_t> DirCache::subdirs(const std::string& bucket, const std::string& prefix,
                                        Clock::duration ttl) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || Clock::now() - it->second.at > ttl) return std::nullopt;
  size_t n = 0;
  for (auto& [name, entry] : it->second.children) n += isDirKind(entry.kind) ? 1 : 0;
  return n;
}

std::vector<std::string> DirCache::stampedPrefixes(const std::string& bucket, size_t max) {
  std::vector<std::string> out;
  std::string lead = key(bucket, "");
  std::lock_guard l(mu_);
  for (auto& [k, listing] : listings_) {
    if (out.size() >= max) break;
    if (!listing.stamp.empty() && k.starts_with(lead)) out.push_back(k.substr(lead.size()));
  }
  return out;
}

std::optional<std::string> DirCache::stamp(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || it->second.stamp.empty()) return std::nullopt;
  return it->second.stamp;
}

bool DirCache::renew(const std::string& bucket, const std::string& prefix, const std::string& stamp,
                     Clock::time_point at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || it->second.stamp != stamp) return false;
  Listing& listing = it->second;
  if (at <= listing.at) return true;
  for (auto& [name, entry] : listing.children) {
    if (entry.at == listing.at) entry.at = at;  // (not this mount's own: those stay "now")
  }
  listing.at = at;
  return true;
}

bool DirCache::self(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
                    std::optional<ObjectInfo>* marker, Clock::time_point* at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || !it->second.listedSelf || Clock::now() - it->second.at > ttl) {
    return false;
  }
  *marker = it->second.self;
  *at = it->second.at;
  return true;
}

std::optional<size_t> DirCache::cachedSize(const std::string& bucket, const std::string& prefix,
                                           bool inUseOnly) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || (inUseOnly && !it->second.answersMisses)) return std::nullopt;
  return it->second.children.size();
}

void DirCache::put(const std::string& bucket, const std::string& prefix, Listing listing) {
  std::lock_guard l(mu_);
  listings_[key(bucket, prefix)] = std::move(listing);
}

void DirCache::upsert(const std::string& bucket, const std::string& prefix, const std::string& name,
                      const DirEntry& entry) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end()) return;
  DirEntry& e = it->second.children[name] = entry;
  if (e.at == Clock::time_point{}) e.at = Clock::now();  // this mount's change: true as of now
}

void DirCache::erase(const std::string& bucket, const std::string& prefix,
                     const std::string& name) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it != listings_.end()) it->second.children.erase(name);
}

void DirCache::invalidate(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  listings_.erase(key(bucket, prefix));
}

void DirCache::invalidateTree(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  std::string k = key(bucket, prefix);
  for (auto it = listings_.begin(); it != listings_.end();) {
    it = it->first.starts_with(k) ? listings_.erase(it) : std::next(it);
  }
}

}  // namespace ais::fusefs
