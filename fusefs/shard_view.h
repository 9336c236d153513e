// ShardView (-o shards=dirs): archive shards (TAR and the compressed formats) seen as read-only
// directory trees of their members, so data loaders open train/shard-0001.tar/sample42.jpg. A
// shard's tree comes from its owner's member index (Client::listArchive) and is kept for the
// listing TTL; member bytes are read with ByteRange.archpath (a ranged read of the shard on its
// owner, block-verified, or decoded there for compressed formats). Inodes inside a shard are named
// "<shard object>\0<member path>" (directories with a trailing '/').
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "fusefs/dir_cache.h"
#include "fusefs/errno_map.h"
#include "node/archive/format.h"
#include "proto/client.h"

namespace ais::fusefs {

struct ShardTree {
  ObjectInfo shard;
  Clock::time_point at;
  // Directory path in the shard ("" the top, "a/b" without a trailing '/') -> its children.
  std::map<std::string, std::map<std::string, DirEntry>> dirs;
};

class ShardView {
 public:
  explicit ShardView(Client& client) : client_(client) {}

  // Objects shown as shard directories: the names the targets serve members of by extension
  // (archive::formatOfName: .tar, .tgz, .tar.gz, .tar.lz4, .zip, any case).
  static bool isShardName(std::string_view object) {
    return archive::formatOfName(object).has_value();
  }
  // The member tree of bucket/shard, listed again when older than ttl.
  ErrOr<std::shared_ptr<const ShardTree>> tree(const std::string& bucket, const std::string& shard,
                                               Clock::duration ttl);
  // The tree of bucket/shard if one was listed, whatever its age; never asks the cluster.
  std::shared_ptr<const ShardTree> cached(const std::string& bucket, const std::string& shard);
  // Builds a tree from a listing: symlink members carry their target (posix.symlink), hard links
  // to file members are files of that member's size; special members are left out.
  static std::shared_ptr<const ShardTree> build(ArchiveListing listing);

 private:
  static constexpr size_t kMaxTrees = 1024;
  Client& client_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const ShardTree>> trees_;  // bucket\0shard
};

// The inode name of a member (or member directory, path ending in '/') of a shard.
inline std::string memberKey(const std::string& shard, const std::string& path) {
  return shard + '\0' + path;
}
// (shard object, member path without a trailing '/') of a member inode's name.
inline std::pair<std::string, std::string> splitMemberKey(const std::string& key) {
  size_t nul = key.find('\0');
  if (nul == std::string::npos) return {key, ""};
  std::string path = key.substr(nul + 1);
  if (!path.empty() && path.back() == '/') path.pop_back();
  return {key.substr(0, nul), path};
}

}  // namespace ais::fusefs
