// The listing cache (see dir_cache.h).
#include "fusefs/dir_cache.h"

#include <algorithm>

#include "fusefs/posix_meta.h"

namespace ais::fusefs {
namespace {

// How long this mount's own edits are kept for listings in flight (a listing of a huge
// directory takes seconds; DirCache::put).
constexpr Clock::duration kOwnChangesKept = std::chrono::seconds(30);
// How long after it was listed a listing this mount edited is renewed by tokens (which leave
// this mount's writes out): every edit of this mount is made in the cached listing too (a store
// that failed, perhaps after it committed, drops the listing), and this bounds the harm of one
// that was not.
constexpr Clock::duration kOwnEditsRenewed = std::chrono::seconds(600);

}  // namespace

DirEntry DirCache::asOf(const Listing& listing, const DirEntry& entry) {
  DirEntry e = entry;
  // The tokens say nothing under the directory changed between the listing and its renewal
  // but this mount's own edits, which are in it (those made after the renewal stay as dated).
  // A hard-linked name's file attributes (the inode object's, link count included) change
  // outside the directory: they keep the time they were read (DirEntry::infoAt).
  if (e.at >= listing.listed && e.at < listing.at) {
    if (e.haveInfo && isLinked(e.info->name) && e.infoAt == Clock::time_point{}) e.infoAt = e.at;
    e.at = listing.at;
  }
  return e;
}

std::optional<std::optional<DirEntry>> DirCache::child(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& name, Clock::duration ttl,
                                                       Clock::time_point* at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || Clock::now() - it->second.at > ttl) return std::nullopt;
  if (at) *at = it->second.at;
  usedLocked(it->second);
  auto c = it->second.children.find(name);
  if (c == it->second.children.end()) {
    if (!it->second.answersMisses) return std::nullopt;
    return std::optional<DirEntry>();
  }
  return std::optional<DirEntry>(asOf(it->second, c->second));
}

std::optional<std::vector<std::pair<std::string, DirEntry>>> DirCache::snapshot(
    const std::string& bucket, const std::string& prefix, Clock::duration ttl) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || Clock::now() - it->second.at > ttl) return std::nullopt;
  it->second.answersMisses = true;
  usedLocked(it->second);
  std::vector<std::pair<std::string, DirEntry>> out;
  out.reserve(it->second.children.size());
  for (const auto& [name, entry] : it->second.children) {
    out.emplace_back(name, asOf(it->second, entry));
  }
  return out;
}

std::optional<Clock::time_point> DirCache::listedAt(const std::string& bucket,
                                                    const std::string& prefix) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end()) return std::nullopt;
  return it->second.at;
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
  Listing& listing = it->second;
  if (!listing.subdirCount) {
    listing.subdirCount = std::count_if(listing.children.begin(), listing.children.end(),
                                        [](auto& child) { return isDirKind(child.second.kind); });
  }
  return *listing.subdirCount;
}

std::vector<std::string> DirCache::staleStamped(const std::string& bucket, const std::string& after,
                                                Clock::duration ttl, Clock::time_point askedSince,
                                                size_t max) {
  std::string lead = key(bucket, "");
  std::string from = lead + after;
  auto now = Clock::now();
  std::lock_guard l(mu_);
  // The `max` first in name order after `after`, then from the start (wrapping around): a walk
  // of the index from there, which ends as soon as it has them (this runs under the lock on
  // every token fetch).
  std::vector<std::string> out;
  auto take = [&](auto it, std::string_view end) {
    for (; it != order_.end() && out.size() < max && it->first.starts_with(lead) &&
           (end.empty() || it->first < end);
         ++it) {
      const Listing& listing = *it->second;
      if ((!listing.stamp.empty() || listing.anchor) && now - listing.at > ttl &&
          listing.tokensAsked < askedSince && it->first != from) {
        out.emplace_back(it->first.substr(lead.size()));
      }
    }
  };
  take(order_.upper_bound(from), {});
  take(order_.lower_bound(lead), from);
  return out;
}

void DirCache::tokensAsked(const std::string& bucket, const std::vector<std::string>& prefixes,
                           Clock::time_point at) {
  std::lock_guard l(mu_);
  for (const auto& p : prefixes) {
    if (auto it = listings_.find(key(bucket, p)); it != listings_.end())
      it->second.tokensAsked = at;
  }
}

std::optional<std::pair<std::string, std::string>> DirCache::anchor(const std::string& bucket,
                                                                    const std::string& prefix) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || !it->second.stamp.empty()) return std::nullopt;
  return it->second.anchor;
}

std::optional<std::pair<std::string, std::string>> DirCache::anchorBelow(
    const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end()) return std::nullopt;
  if (!it->second.stamp.empty()) return std::make_pair(prefix, it->second.stamp);
  return it->second.anchor;
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
  return renewLocked(it->second, at);
}

bool DirCache::renewLocked(Listing& listing, Clock::time_point at) {
  if (listing.ownEdits && at - listing.listed > kOwnEditsRenewed) return false;
  if (at <= listing.at) return true;
  listing.at = at;  // (and its entries with it: asOf)
  return true;
}

bool DirCache::adopt(const std::string& bucket, const std::string& prefix,
                     const std::string& anchorStamp, const std::string& stamp,
                     Clock::time_point at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  return it != listings_.end() && adoptLocked(it->second, anchorStamp, stamp, at);
}

bool DirCache::adoptLocked(Listing& listing, const std::string& anchorStamp,
                           const std::string& stamp, Clock::time_point at) {
  if (!listing.stamp.empty() || !listing.anchor || listing.anchor->second != anchorStamp ||
      stamp.empty() || !renewLocked(listing, at)) {
    return false;
  }
  listing.stamp = stamp;
  listing.anchor.reset();
  return true;
}

bool DirCache::renewBatched(const std::string& bucket, const std::string& prefix,
                            const std::string& token, const std::optional<std::string>& anchorToken,
                            Clock::time_point at) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end() || token.empty()) return false;
  Listing& listing = it->second;
  Clock::time_point before = listing.at;
  bool renewed = !listing.stamp.empty()
                     ? listing.stamp == token && renewLocked(listing, at)  // (as renew)
                     : anchorToken && adoptLocked(listing, *anchorToken, token, at);
  if (!renewed) return false;
  if (listing.at > before) listing.renewedAhead = true;  // (not one fresher already)
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

void DirCache::recordLocked(const std::string& k, const std::string& name,
                            std::optional<DirEntry> entry, Clock::time_point at) {
  auto& changes = ownChanges_[k];
  while (!changes.empty() && at - changes.front().at > kOwnChangesKept) changes.pop_front();
  changes.push_back({at, name, std::move(entry)});
  if (++recordsSincePrune_ >= 4096) {  // (directories no longer written to)
    recordsSincePrune_ = 0;
    std::erase_if(ownChanges_, [&](auto& kv) {
      return kv.second.empty() || at - kv.second.back().at > kOwnChangesKept;
    });
  }
}

void DirCache::put(const std::string& bucket, const std::string& prefix, Listing listing) {
  std::string k = key(bucket, prefix);
  if (listing.listed == Clock::time_point{}) listing.listed = listing.at;
  std::lock_guard l(mu_);
  // This mount's changes made since the listing was asked for, which it may not show.
  if (auto own = ownChanges_.find(k); own != ownChanges_.end()) {
    for (const OwnChange& c : own->second) {
      if (c.at < listing.at) continue;
      listing.ownEdits = true;
      if (c.entry) {
        listing.children[c.name] = *c.entry;
      } else {
        listing.children.erase(c.name);
      }
    }
  }
  listing.subdirCount.reset();  // (built by the caller)
  storeLocked(k, std::move(listing));
}

Listing& DirCache::storeLocked(const std::string& k, Listing listing) {
  auto [it, added] = listings_.insert_or_assign(k, std::move(listing));
  if (added) order_.emplace(it->first, &it->second);
  return it->second;
}

void DirCache::upsert(const std::string& bucket, const std::string& prefix, const std::string& name,
                      const DirEntry& entry) {
  std::string k = key(bucket, prefix);
  std::lock_guard l(mu_);
  DirEntry e = entry;
  if (e.at == Clock::time_point{}) {  // this mount's change: true as of now
    e.at = Clock::now();
    recordLocked(k, name, e, e.at);
  }
  // A directory's attributes are its listing's `self` too (a stat of it reads them there).
  if (e.kind == Kind::kDir && e.haveInfo) {
    std::string sub = k + name + '/';
    if (auto s = listings_.find(sub); s != listings_.end() && s->second.listedSelf) {
      s->second.self = e.hasMarker ? std::optional<ObjectInfo>(*e.info) : std::nullopt;
    }
  }
  auto it = listings_.find(k);
  if (it != listings_.end()) {
    Listing& listing = it->second;
    if (entry.at == Clock::time_point{}) listing.ownEdits = true;
    auto [c, added] = listing.children.try_emplace(name);
    if (isDirKind(e.kind) || (!added && isDirKind(c->second.kind))) listing.subdirCount.reset();
    c->second = std::move(e);
  }
}

void DirCache::erase(const std::string& bucket, const std::string& prefix,
                     const std::string& name) {
  std::string k = key(bucket, prefix);
  std::lock_guard l(mu_);
  recordLocked(k, name, std::nullopt, Clock::now());
  auto it = listings_.find(k);
  if (it != listings_.end()) {
    it->second.ownEdits = true;
    auto c = it->second.children.find(name);
    if (c != it->second.children.end()) {
      if (isDirKind(c->second.kind)) it->second.subdirCount.reset();
      it->second.children.erase(c);
    }
  }
}

void DirCache::invalidate(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  auto it = listings_.find(key(bucket, prefix));
  if (it == listings_.end()) return;
  order_.erase(it->first);
  listings_.erase(it);
}

void DirCache::invalidateTree(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(mu_);
  std::string k = key(bucket, prefix);
  for (auto it = order_.lower_bound(k); it != order_.end() && it->first.starts_with(k);) {
    std::string_view name = it->first;
    it = order_.erase(it);
    listings_.erase(std::string(name));  // (after: the view is the key's)
  }
}

}  // namespace ais::fusefs
