// Listing cache: the children of a directory (bucket, prefix) as last listed, with the time of the
// listing. Our own creates/unlinks/renames edit cached listings in place, so a directory we just
// made answers lookups (mostly negative, e.g. during tar x) without asking the cluster.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fusefs/inode_table.h"
#include "proto/client.h"

namespace ais::fusefs {

struct DirEntry {
  Kind kind = Kind::kFile;
  bool haveInfo = false;  // directories: whether `info` (the marker) was fetched
  bool hasMarker = false;
  ObjectInfo info;
  // When the cluster showed it: the time its listing or HEAD was asked. {}: this mount's own
  // change, true now. Replies to the kernel are trusted for the TTL left from then.
  Clock::time_point at{};
};

struct Listing {
  Clock::time_point at;
  std::map<std::string, DirEntry> children;  // by path component
};

class DirCache {
 public:
  // nullopt: not cached or older than ttl. Otherwise whether the child exists, and its entry;
  // `at`, if given, gets the time of the listing.
  std::optional<std::optional<DirEntry>> child(const std::string& bucket, const std::string& prefix,
                                               const std::string& name, Clock::duration ttl,
                                               Clock::time_point* at = nullptr);
  // A copy of the listing if fresh.
  std::optional<std::vector<std::pair<std::string, DirEntry>>> snapshot(const std::string& bucket,
                                                                        const std::string& prefix,
                                                                        Clock::duration ttl);
  bool fresh(const std::string& bucket, const std::string& prefix, Clock::duration ttl);
  // Children of a cached listing, fresh or not; nullopt if the directory was never listed.
  std::optional<size_t> cachedSize(const std::string& bucket, const std::string& prefix);
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
  std::mutex mu_;
  std::unordered_map<std::string, Listing> listings_;
};

}  // namespace ais::fusefs
