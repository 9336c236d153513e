// Listings kept past their TTL while their directory has not changed. Each target counts the
// writes of LOMs under every directory of a bucket (Client::bucketChanges: answered from
// memory); a listing carries the targets' tokens of its directory as they were before it was
// made (ListPage::changeStamp), and when it goes stale, tokens read now that are the same prove
// nothing under the directory changed on any target since: the listing is as good as one made
// now, without listing again. One call asks for the directory and other stale ones (those after
// it in name order first, as a walk meets them), so a read-only pass over a tree (git status, a
// second rsync, make, find) asks the targets a few times a second instead of listing each directory
// once per TTL, while writes elsewhere in the bucket (git's index.lock) cost nothing to the
// directories they are not under. Changes made elsewhere are still seen within the TTL: freshness
// counts from when the tokens were read, as it does from a listing's time.
//
// This mount's own writes do not move the tokens it is answered (the targets leave out the
// writes of the mount's id, Client::Options::changeWriter): it edits its cached listings as it
// writes, so a tree it is writing (tar x, git add) stays revalidated, not listed again. A
// directory it makes (mkdir) gets an empty listing with no stamp but an anchor: the nearest
// stamped listing above it then. Read together later, the anchor's token unchanged stamps the
// new listing with its own token (DirCache::adopt), so `ls -lR` after `tar x` lists nothing.
#include <set>

#include "common/log.h"
#include "fusefs/fs.h"

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

bool Fs::tokensFresh(const std::string& bucket, const std::string& prefix) {
  auto own = recentToken(bucket, prefix);
  if (!own) return false;
  auto anchor = dirs_.anchor(bucket, prefix);
  if (!anchor) return true;
  auto above = recentToken(bucket, anchor->first);
  return above && above->at == own->at;  // (read together: see fetchTokens)
}

void Fs::fetchTokens(const std::string& bucket, const std::string& prefix) {
  std::lock_guard fetching(tokenFetchMu_);  // threads that need them share a call
  if (tokensFresh(bucket, prefix)) return;
  // This directory's, and those of the other listings due for revalidation whose tokens were not
  // asked for this recently: the ones after it in name order first, as a walk of the tree (ls
  // -R, find, git status) goes on with its subdirectories and then its next siblings.
  Clock::time_point asked = Clock::now();
  std::vector<std::string> candidates{prefix};
  for (auto& p :
       dirs_.staleStamped(bucket, prefix, options_.listTtl, asked - kTokenReuse, kMaxTokenBatch)) {
    candidates.push_back(std::move(p));
  }
  // Anchors (the listings this mount made: DirCache::adopt) go last: each target reads the
  // prefixes in order, so a directory's token is read before its anchor's, and the anchor found
  // unchanged then covers the directory up to its own token's reading.
  std::vector<std::string> prefixes;
  std::set<std::string> anchors;
  for (auto& p : candidates) {
    auto anchor = dirs_.anchor(bucket, p);
    size_t more = anchor && !anchors.contains(anchor->first) ? 2 : 1;
    if (prefixes.size() + anchors.size() + more > kMaxTokenBatch) break;
    if (anchor) anchors.insert(anchor->first);
    prefixes.push_back(std::move(p));
  }
  std::erase_if(prefixes, [&](const std::string& p) { return anchors.contains(p); });
  prefixes.insert(prefixes.end(), anchors.begin(), anchors.end());
  auto tokens = client_.bucketChanges(bucket, prefixes);
  if (!tokens.ok()) {  // (a target down: directories are listed again, as without tokens)
    log::debug("aisfs: changes of {}: {}", bucket, tokens.status().toString());
    return;
  }
  dirs_.tokensAsked(bucket, prefixes, asked);
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
  auto anchor = stamp ? std::nullopt : dirs_.anchor(bucket, prefix);
  if (!stamp && !anchor) return false;
  if (!tokensFresh(bucket, prefix)) fetchTokens(bucket, prefix);
  auto now = recentToken(bucket, prefix);
  if (!now) return false;
  if (stamp) return now->token == *stamp && dirs_.renew(bucket, prefix, *stamp, now->at);
  // A listing this mount made: its anchor unchanged since before it was made, read after the
  // directory's token, proves the listing right as of that token.
  auto above = recentToken(bucket, anchor->first);
  return above && above->at == now->at && above->token == anchor->second &&
         dirs_.adopt(bucket, prefix, anchor->second, now->token, now->at);
}

}  // namespace ais::fusefs
