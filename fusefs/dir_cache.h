// Listing cache: the children of a directory (bucket, prefix) as last listed, with the time of the
// listing. Our own creates/unlinks/renames edit cached listings in place, so a directory we just
// made answers lookups (mostly negative, e.g. during tar x) without asking the cluster.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fusefs/inode_table.h"
#include "fusefs/shared_info.h"
#include "proto/client.h"

namespace ais::fusefs {

struct DirEntry {
  Kind kind = Kind::kFile;
  bool haveInfo = false;  // directories: whether `info` (the marker) was fetched
  bool hasMarker = false;
  SharedInfo info;  // (shared by the entry's copies: snapshots, lookups)
  // When the cluster showed it: the time its listing or HEAD was asked. {}: this mount's own
  // change, true now. Replies to the kernel are trusted for the TTL left from then. A renewal
  // of its listing moves it (to Listing::at) as the entry leaves the cache (DirCache::asOf).
  Clock::time_point at{};
  // A hard-linked name's: when its file's attributes (`info`, the inode object's) were read;
  // {}: at `at`. A renewal moves `at` (the name is still there) but not this: the directory's
  // tokens say nothing of the inode object.
  Clock::time_point infoAt{};
};

struct Listing {
  Clock::time_point at;
  // false for a listing made by a stat of the directory (its st_nlink): it serves readdir and
  // the names it holds, but a name it lacks is asked of the cluster, so that a file made
  // elsewhere is not hidden because its directory was walked through or stat'ed.
  bool answersMisses = true;
  // A directory's listing from the cluster also shows its own marker (self; nullopt: it has
  // none), which a stat takes as the directory's attributes instead of asking again.
  bool listedSelf = false;
  std::optional<ObjectInfo> self;
  // The targets' change tokens of the directory as they were before the listing was made
  // (ListPage::changeStamp, revalidate.cc); "" if none. They leave this mount's own writes out,
  // which it edits into the listing itself.
  std::string stamp;
  // A directory this mount made (mkdir) starts with an empty listing and no stamp; `anchor` is
  // the nearest directory above it whose listing had one then (prefix, stamp). The anchor's
  // token found unchanged later proves that nothing under it changed but this mount's own
  // writes, so the listing is then stamped with its directory's token read with it (adopt).
  std::optional<std::pair<std::string, std::string>> anchor;
  // When the cluster listed it, or this mount made it (renewals move `at`, not this), and
  // whether this mount edited it since: such a listing is renewed only for kOwnEditsRenewed
  // after that, then listed again (a bound on what an edit this mount missed can hide).
  Clock::time_point listed{};
  bool ownEdits = false;
  Clock::time_point tokensAsked{};  // when its tokens were last asked for (revalidate.cc)
  bool renewedAhead = false;  // renewed by a batch of tokens and not used since (renewBatched)
  std::map<std::string, DirEntry> children;  // by path component
  // How many children are directories, counted at the first DirCache::subdirs after a change
  // of a directory entry (a create of a file keeps it: a stat of a huge directory being filled
  // would count it for every file).
  std::optional<size_t> subdirCount;
};

class DirCache {
 public:
  // nullopt: not cached or older than ttl. Otherwise whether the child exists, and its entry;
  // `at`, if given, gets the time of the listing.
  std::optional<std::optional<DirEntry>> child(const std::string& bucket, const std::string& prefix,
                                               const std::string& name, Clock::duration ttl,
                                               Clock::time_point* at = nullptr);
  // A copy of the listing if fresh, for a readdir. The directory is in use from then on: a
  // listing made for a stat answers misses too (what the reader saw is what a readdir's own
  // listing would hold; git status reads each directory, then looks up its .gitignore).
  std::optional<std::vector<std::pair<std::string, DirEntry>>> snapshot(const std::string& bucket,
                                                                        const std::string& prefix,
                                                                        Clock::duration ttl);
  // When the listing was made or last renewed (Listing::at); nullopt without one.
  std::optional<Clock::time_point> listedAt(const std::string& bucket, const std::string& prefix);
  // A listing no older than ttl (and, with forMisses, one that answers misses).
  bool fresh(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
             bool forMisses = false);
  // How many children are directories (a directory's st_nlink is 2 + that, as on ext4), from a
  // listing no older than ttl; nullopt when there is none.
  std::optional<size_t> subdirs(const std::string& bucket, const std::string& prefix,
                                Clock::duration ttl);
  // Up to max directories of the bucket, other than `after`, whose stamped or anchored listing is
  // older than ttl and whose tokens were not asked for since askedSince (tokensAsked): those
  // after `after` in name order first (a walk of the tree goes on with them), then from the
  // start.
  std::vector<std::string> staleStamped(const std::string& bucket, const std::string& after,
                                        Clock::duration ttl, Clock::time_point askedSince,
                                        size_t max);
  // The tokens of these directories' listings were asked for at `at`.
  void tokensAsked(const std::string& bucket, const std::vector<std::string>& prefixes,
                   Clock::time_point at);
  // The stamp of a cached listing (fresh or not); nullopt if none or unstamped.
  std::optional<std::string> stamp(const std::string& bucket, const std::string& prefix);
  // The anchor of an unstamped listing (Listing::anchor); nullopt if none.
  std::optional<std::pair<std::string, std::string>> anchor(const std::string& bucket,
                                                            const std::string& prefix);
  // What a directory made now under this one gets as its anchor: this listing's stamp if it
  // has one, else its own anchor.
  std::optional<std::pair<std::string, std::string>> anchorBelow(const std::string& bucket,
                                                                 const std::string& prefix);
  // The listing, if it still has this stamp, made as of `at` (its entries too); false if it is
  // gone, was listed again, or has carried this mount's edits for longer than kOwnEditsRenewed.
  bool renew(const std::string& bucket, const std::string& prefix, const std::string& stamp,
             Clock::time_point at);
  // An anchored listing whose anchor still had anchorStamp when `stamp` (its directory's token)
  // was read, at `at`: stamped with it and renewed as of `at`.
  bool adopt(const std::string& bucket, const std::string& prefix, const std::string& anchorStamp,
             const std::string& stamp, Clock::time_point at);
  // A listing a batch of tokens asked for along with another (revalidate.cc), renewed at once
  // as renew() or adopt() would on its own use, and marked so that its first use counts toward
  // takeBatchHits. anchorToken: the anchor's token read in the same call, if it has an anchor.
  bool renewBatched(const std::string& bucket, const std::string& prefix, const std::string& token,
                    const std::optional<std::string>& anchorToken, Clock::time_point at);
  // Listings renewed by renewBatched that lookups or readdirs used since the last call.
  size_t takeBatchHits() { return batchHits_.exchange(0); }
  // The directory's own marker as a listing no older than ttl showed it (Listing::self), and
  // when; false when there is no such listing.
  bool self(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
            std::optional<ObjectInfo>* marker, Clock::time_point* at);
  // Children of a cached listing, fresh or not; nullopt if the directory was never listed.
  // inUseOnly: only a listing that answers misses (one a readdir or a lookup made).
  std::optional<size_t> cachedSize(const std::string& bucket, const std::string& prefix,
                                   bool inUseOnly = false);
  void put(const std::string& bucket, const std::string& prefix, Listing listing);
  // Edits of a cached listing (no-ops when the directory is not cached).
  void upsert(const std::string& bucket, const std::string& prefix, const std::string& name,
              const DirEntry& entry);
  void erase(const std::string& bucket, const std::string& prefix, const std::string& name);
  void invalidate(const std::string& bucket, const std::string& prefix);
  // Drops every listing at or under prefix.
  void invalidateTree(const std::string& bucket, const std::string& prefix);

 private:
  static std::string key(const std::string& bucket, const std::string& prefix) {
    return bucket + '\0' + prefix;
  }
  // An entry as of its listing's renewals: one the listing showed (or learnt since it was made)
  // before its last renewal is true as of that renewal. (Renewing a listing is then one store,
  // not one per entry: a batch renews up to a thousand listings inside one request.)
  static DirEntry asOf(const Listing& listing, const DirEntry& entry);
  // listings_[k] made or replaced, and indexed by name (order_).
  Listing& storeLocked(const std::string& k, Listing listing);
  // This mount's own edits of a directory (upsert with no time, erase), kept kOwnChangesKept
  // whether or not it is cached: a listing asked before one of them and put after it gets it
  // again, so a listing in flight while this mount stored or removed a name never undoes that
  // (rsync's rename of the temp file it just closed would find no file).
  struct OwnChange {
    Clock::time_point at;
    std::string name;
    std::optional<DirEntry> entry;  // nullopt: removed
  };
  void recordLocked(const std::string& k, const std::string& name, std::optional<DirEntry> entry,
                    Clock::time_point at);
  bool renewLocked(Listing& listing, Clock::time_point at);
  // adopt() on a listing (mu_ held).
  bool adoptLocked(Listing& listing, const std::string& anchorStamp, const std::string& stamp,
                   Clock::time_point at);
  // A renewedAhead listing's first use (mu_ held).
  void usedLocked(Listing& listing) {
    if (listing.renewedAhead) {
      listing.renewedAhead = false;
      batchHits_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::mutex mu_;
  std::atomic<size_t> batchHits_{0};
  std::unordered_map<std::string, Listing> listings_;
  // The listings in name order (keys and values are listings_'s: nodes that stay put), for
  // staleStamped's walk from a directory on, and invalidateTree's.
  std::map<std::string_view, Listing*> order_;
  std::unordered_map<std::string, std::deque<OwnChange>> ownChanges_;  // by key
  size_t recordsSincePrune_ = 0;
};

}  // namespace ais::fusefs
