// Listings kept past their TTL while their directory has not changed. Each target counts the
// writes of LOMs under every directory of a bucket (Client::bucketChanges: answered from
// memory); a listing carries the targets' tokens of its directory as they were before it was
// made (ListPage::changeStamp), and when it goes stale, tokens read now that are the same prove
// nothing under the directory changed on any target since: the listing is as good as one made
// now, without listing again. One call asks for the directory and other stale ones (nearest
// first), so a read-only pass over a tree (git status, a second rsync, make, find) asks the
// targets a few times a second instead of listing each directory once per TTL, while writes
// elsewhere in the bucket (git's index.lock) cost nothing to the directories they are not
// under. Changes made elsewhere are still seen within the TTL: freshness counts from when the
// tokens were read, as it does from a listing's time.
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"

namespace ais::fusefs {
namespace {

// Tokens read this recently serve a revalidation (what the listing gets as its time).
constexpr Clock::duration kTokenReuse = std::chrono::milliseconds(100);
// Directories asked about in one call (each a few dozen bytes each way, per target).
constexpr size_t kMaxTokenBatch = 1024;

}  // namespace

std::optional<Fs::DirToken> Fs::recentToken(const std::string& bucket, const std::string& prefix) {
  std::lock_guard l(tokensMu_);
  auto it = tokens_.find(bucket + '\0' + prefix);
  if (it == tokens_.end() || Clock::now() - it->second.at > kTokenReuse) return std::nullopt;
  return it->second;
}

void Fs::fetchTokens(const std::string& bucket, const std::string& prefix) {
  std::lock_guard fetching(tokenFetchMu_);  // threads that need them share a call
  if (recentToken(bucket, prefix)) return;
  // This directory's, and those of the other listings due for revalidation that have none this
  // recent, nearest first: a walk goes on with the directory's siblings and what is under them.
  std::vector<std::string> prefixes{prefix}, farther;
  std::string near = parentPrefix(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1));
  for (auto& p : dirs_.staleStamped(bucket, options_.listTtl, 8 * kMaxTokenBatch)) {
    if (p == prefix || recentToken(bucket, p)) continue;
    (p.starts_with(near) ? prefixes : farther).push_back(std::move(p));
  }
  for (auto& p : farther) prefixes.push_back(std::move(p));
  if (prefixes.size() > kMaxTokenBatch) prefixes.resize(kMaxTokenBatch);
  Clock::time_point asked = Clock::now();
  auto tokens = client_.bucketChanges(bucket, prefixes);
  if (!tokens.ok()) {  // (a target down: directories are listed again, as without tokens)
    log::debug("aisfs: changes of {}: {}", bucket, tokens.status().toString());
    return;
  }
  std::lock_guard l(tokensMu_);
  if (tokens_.size() > 4 * kMaxTokenBatch) {
    std::erase_if(tokens_, [&](auto& kv) { return asked - kv.second.at > kTokenReuse; });
  }
  for (size_t i = 0; i < prefixes.size(); ++i) {
    tokens_[bucket + '\0' + prefixes[i]] = DirToken{std::move((*tokens)[i]), asked};
  }
}

std::optional<std::optional<DirEntry>> Fs::cachedChild(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& name, Clock::duration ttl,
                                                       Clock::time_point* at) {
  auto cached = dirs_.child(bucket, prefix, name, ttl, at);
  if (!cached && revalidate(bucket, prefix)) cached = dirs_.child(bucket, prefix, name, ttl, at);
  return cached;
}

bool Fs::revalidate(const std::string& bucket, const std::string& prefix) {
  if (bucket.empty()) return false;  // (the bucket list: no tokens)
  auto stamp = dirs_.stamp(bucket, prefix);
  if (!stamp) return false;
  auto now = recentToken(bucket, prefix);
  if (!now) {
    fetchTokens(bucket, prefix);
    now = recentToken(bucket, prefix);
  }
  return now && now->token == *stamp && dirs_.renew(bucket, prefix, *stamp, now->at);
}

}  // namespace ais::fusefs
