// Listings kept past their TTL while their directory has not changed. Each target counts the
// writes of LOMs under every directory of a bucket (Client::bucketChanges: answered from
// memory); a listing carries the targets' tokens of its directory as they were before it was
// made (ListPage::changeStamp), and when it goes stale, tokens read now that are the same prove
// nothing under the directory changed on any target since: the listing is as good as one made
// now, without listing again. One call asks for the directory and other stale ones (those after
// it in name order first, as a walk meets them), and renews those others at once (as of the
// call: DirCache::renewBatched), so a read-only pass over a tree (git status, a
// second rsync, make, find) asks the targets a few times a second instead of listing each directory
// once per TTL, while writes elsewhere in the bucket (git's index.lock) cost nothing to the
// directories they are not under. Changes made elsewhere are still seen within the TTL: freshness
// counts from when the tokens were read, as it does from a listing's time. The batch size
// follows how many of the last batch's listings were used (fetchTokens).
//
// A listing is renewed ahead too, once past half its TTL, and a readdir's once 100 ms old
// (renewAhead; batches take those as well), by a pool thread while the request goes on: the
// kernel keeps what it is answered for what is left of the TTL, so a walk answered from
// listings renewed a while ago got ever shorter timeouts and looked every name up again on its
// next pass (git status run twice; measured in docs/performance.md).
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
#include "fusefs/posix_meta.h"

namespace ais::fusefs {
namespace {

// Tokens read this recently serve a revalidation (what the listing gets as its time).
constexpr Clock::duration kTokenReuse = std::chrono::milliseconds(100);
// Directories asked about in one call (each a few dozen bytes each way, per target), at most
// and at least (besides the one asked about).
constexpr size_t kMaxTokenBatch = 1024;
constexpr size_t kMinTokenBatch = 16;

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
  return own->anchorToken || !dirs_.anchor(bucket, prefix);  // (read together: fetchTokens)
}

void Fs::fetchTokens(const std::string& bucket, const std::string& prefix, Clock::duration aging) {
  std::lock_guard fetching(tokenFetchMu_);  // threads that need them share a call
  if (tokensFresh(bucket, prefix)) return;
  // This directory's, and those of the other listings due for revalidation whose tokens were not
  // asked for this recently: the ones after it in name order first, as a walk of the tree (ls
  // -R, find, git status) goes on with its subdirectories and then its next siblings.
  // How many: a walk (ls -lR, git status) uses most listings of the last batch while they are
  // fresh, and so do directories met again and again (git add's .git/objects/xx), so the batch
  // doubles; lookups that wander over a big tree once (git add's source files) use few of them,
  // so it halves: a batch costs the targets and this mount's cache lock time by its size.
  size_t hits = tokenHits_.exchange(0) + dirs_.takeBatchHits();
  if (lastTokenBatch_ > 0 && hits * 4 >= lastTokenBatch_) {
    tokenBatch_ = std::min(tokenBatch_ * 2, kMaxTokenBatch);
  } else if (lastTokenBatch_ > 0 && hits * 16 < lastTokenBatch_) {
    tokenBatch_ = std::max(tokenBatch_ / 2, kMinTokenBatch);
  }
  Clock::time_point asked = Clock::now();
  std::vector<std::string> candidates{prefix};
  for (auto& p : dirs_.staleStamped(bucket, prefix, aging, asked - kTokenReuse, tokenBatch_)) {
    candidates.push_back(std::move(p));
  }
  // Anchors (the listings this mount made: DirCache::adopt) go last: each target reads the
  // prefixes in order, so a directory's token is read before its anchor's, and the anchor found
  // unchanged then covers the directory up to its own token's reading.
  std::vector<std::string> prefixes;
  std::set<std::string> anchors;
  std::map<std::string, std::string> anchorOf;  // a listing this mount made -> its anchor
  for (auto& p : candidates) {
    auto anchor = dirs_.anchor(bucket, p);
    size_t more = anchor && !anchors.contains(anchor->first) ? 2 : 1;
    if (prefixes.size() + anchors.size() + more > kMaxTokenBatch) break;
    if (anchor) {
      anchors.insert(anchor->first);
      anchorOf.emplace(p, anchor->first);
    }
    prefixes.push_back(std::move(p));
  }
  std::erase_if(prefixes, [&](const std::string& p) { return anchors.contains(p); });
  prefixes.insert(prefixes.end(), anchors.begin(), anchors.end());
  lastTokenBatch_ = prefixes.size() - 1;
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
  std::map<std::string_view, const std::string*> inCall;  // prefix -> its token
  for (size_t i = 0; i < prefixes.size(); ++i) inCall.emplace(prefixes[i], &(*tokens)[i]);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    DirToken t{(*tokens)[i], asked, std::nullopt};
    if (auto a = anchorOf.find(prefixes[i]); a != anchorOf.end()) {
      t.anchorToken = std::pair{a->second, *inCall.at(a->second)};  // (every anchor is in it)
    }
    // The others asked along are renewed now, as their own use of these tokens would (within
    // kTokenReuse) renew them: a directory met again a while later (git add's .git/objects/xx,
    // each met about once per TTL) finds its listing fresh instead of asking once more.
    if (prefixes[i] != prefix) {
      std::optional<std::string> anchorToken;
      if (t.anchorToken) anchorToken = t.anchorToken->second;
      dirs_.renewBatched(bucket, prefixes[i], t.token, anchorToken, asked);
    }
    tokens_[bucket + '\0' + prefixes[i]] = std::move(t);
  }
}

bool Fs::renewLinked(Inode& inode) {
  std::string bucket = inode.bucket();
  // (Kept with the directories' tokens: a stat pass asks once per kTokenReuse, not per file.)
  auto now = recentToken(bucket, kLinksPrefix);
  if (!now) {
    Clock::time_point asked = Clock::now();
    auto tokens = client_.bucketChanges(bucket, {kLinksPrefix});
    if (!tokens.ok() || tokens->size() != 1) return false;  // (a target down: HEAD)
    now = DirToken{std::move((*tokens)[0]), asked, std::nullopt};
    std::lock_guard l(tokensMu_);
    auto& kept = tokens_[bucket + '\0' + kLinksPrefix];
    if (now->at > kept.at) kept = *now;
  }
  std::lock_guard l(linksMu_);
  auto base = linksBase_.find(bucket);
  if (base == linksBase_.end() || base->second.token != now->token) {
    // The first read, or a change: what is read from now on is covered by this token.
    if (base == linksBase_.end() || now->at > base->second.at) linksBase_[bucket] = *now;
    return false;
  }
  if (inode.attrAt < base->second.at) return false;  // read before the base: not covered
  inode.attrAt = std::max(inode.attrAt, now->at);
  return true;
}

bool Fs::renewAhead(const std::string& bucket, const std::string& prefix, Clock::time_point at,
                    Clock::duration aging) {
  auto age = Clock::now() - at;
  if (age > options_.listTtl) return revalidate(bucket, prefix, aging);
  if (age > aging) renewSoon(bucket, prefix, aging);
  return false;
}

void Fs::renewSoon(const std::string& bucket, const std::string& prefix, Clock::duration aging) {
  if (renewing_.exchange(true)) return;
  readPool_.submit([this, bucket, prefix, aging] {
    struct Done {
      std::atomic<bool>& renewing;
      ~Done() { renewing = false; }
    } done{renewing_};
    revalidate(bucket, prefix, aging);
  });
}

std::optional<std::optional<DirEntry>> Fs::cachedChild(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& name, Clock::duration ttl,
                                                       Clock::time_point* at) {
  Clock::time_point listed{};
  auto cached = dirs_.child(bucket, prefix, name, ttl, &listed);
  if (listed != Clock::time_point{} && renewAhead(bucket, prefix, listed)) {
    cached = dirs_.child(bucket, prefix, name, ttl, &listed);
  }
  if (!cached && revalidate(bucket, prefix))
    cached = dirs_.child(bucket, prefix, name, ttl, &listed);
  if (at && listed != Clock::time_point{}) *at = listed;
  return cached;
}

bool Fs::revalidate(const std::string& bucket, const std::string& prefix, Clock::duration aging) {
  if (bucket.empty()) return false;  // (the bucket list: no tokens)
  auto stamp = dirs_.stamp(bucket, prefix);
  auto anchor = stamp ? std::nullopt : dirs_.anchor(bucket, prefix);
  if (!stamp && !anchor) return false;
  if (!tokensFresh(bucket, prefix)) {
    fetchTokens(bucket, prefix, aging);
  } else {
    ++tokenHits_;
  }
  auto now = recentToken(bucket, prefix);
  if (!now) return false;
  if (stamp) return now->token == *stamp && dirs_.renew(bucket, prefix, *stamp, now->at);
  // A listing this mount made: its anchor unchanged since before it was made, read after the
  // directory's token, proves the listing right as of that token.
  return now->anchorToken && *now->anchorToken == *anchor &&
         dirs_.adopt(bucket, prefix, anchor->second, now->token, now->at);
}

}  // namespace ais::fusefs
