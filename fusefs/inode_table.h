// Inodes: the kernel's node ids mapped to (bucket, object name or directory prefix). An id is a
// hash of the name, so a name keeps its st_ino after the kernel forgot the inode (tar x compares a
// directory's st_ino at mkdir and at the end; find and du detect loops by it). An inode lives while
// the kernel holds a lookup reference on it or an open handle holds its shared_ptr.
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fusefs/shared_info.h"
#include "proto/client.h"

namespace ais::fusefs {

using Clock = std::chrono::steady_clock;

// kShard, kMemberDir, kMember: a TAR shard seen as a directory (-o shards=dirs), a directory
// and a file inside it (shard_view.h); read-only. Their names are "<shard>\0<member path>".
enum class Kind : uint8_t {
  kClusterRoot,
  kBucket,
  kDir,
  kFile,
  kSymlink,
  kSpecial,  // a FIFO, socket or device node (posix.type): metadata only
  kShard,
  kMemberDir,
  kMember
};

inline bool isDirKind(Kind k) {
  return k == Kind::kClusterRoot || k == Kind::kBucket || k == Kind::kDir || k == Kind::kShard ||
         k == Kind::kMemberDir;
}
inline bool inShard(Kind k) {
  return k == Kind::kShard || k == Kind::kMemberDir || k == Kind::kMember;
}

struct WriteState;

struct Inode {
  Inode(fuse_ino_t id, Kind k, std::string b, std::string n);
  ~Inode();

  const fuse_ino_t ino;
  std::atomic<Kind> kind;

  // bucket/name change on rename; read them through these accessors (leaf lock nameMu_).
  std::string bucket() const;
  std::string name() const;  // object name (file), prefix ending in '/' (dir), "" (bucket root)
  void setName(std::string n);

  // Guards everything below. Held across a cluster call that changes this file's bytes, which
  // serialises writers of one file; never taken while holding the table's lock.
  std::mutex mu;
  ObjectInfo info;  // last known object (file) or marker (dir)
  bool haveInfo = false;
  Clock::time_point attrAt{};  // when info was fetched
  // The listing entry's info that `info` was last made or found equal to, and attrAt then: that
  // same entry met again (a walk of the tree, pass after pass) while attrAt has not moved needs
  // no comparison of the two infos (Fs::entryFor), which was the walk's largest user-space cost.
  bool infoSynced = false;
  SharedInfo infoSyncedFrom;
  Clock::time_point infoSyncedAt{};
  bool pageCacheValid = false;  // the kernel's cached pages belong to pageCacheVersion
  uint64_t pageCacheVersion = 0;
  // Counts the versions every open descriptor here follows: this mount's stores of the file and
  // the revalidation of a lock (another mount's writes under it). Any other change of the
  // content is ESTALE for a descriptor that read the old one (read.cc).
  uint64_t followGen = 0;
  std::unique_ptr<WriteState> ws;  // local changes (or a spool kept for open writers)
  int openCount = 0;
  bool unlinked = false;  // replaced by a rename while open: nothing is stored on close
  // Unlinked while open: hidden from this mount at once; the object is removed from the cluster
  // at the last close (until then the open descriptors read and write it as before).
  bool removeAtLastClose = false;
  int pendingLinks = 0;  // names link() gave it that are not stored yet (deferred_links.cc)
  // Queued for write-behind (write_batcher.h): the table keeps it while the kernel forgets it, so
  // lookups still find the unstored file. Read without mu.
  std::atomic<bool> writeBehind{false};

 private:
  friend class InodeTable;
  uint64_t nlookup_ = 0;  // the table's lock
  mutable std::mutex nameMu_;
  std::string bucket_;
  std::string name_;
};

class InodeTable {
 public:
  explicit InodeTable(Kind rootKind, std::string rootBucket);

  std::shared_ptr<Inode> get(fuse_ino_t ino);
  // The inode for (bucket, name), made with `kind` if new; adds one kernel lookup reference.
  std::shared_ptr<Inode> lookup(const std::string& bucket, const std::string& name, Kind kind);
  // Without taking a reference; nullptr if unknown.
  std::shared_ptr<Inode> find(const std::string& bucket, const std::string& name);
  void forget(fuse_ino_t ino, uint64_t n);
  // The object moved: the inode at `from` now answers to `to`; an inode that was at `to` is
  // detached (it keeps its id until forgotten, but lookups no longer find it).
  void rename(const std::string& bucket, const std::string& from, const std::string& to);
  // Every inode under the directory prefix `from` moves under `to`.
  void renamePrefix(const std::string& bucket, const std::string& from, const std::string& to);
  void detach(const std::string& bucket, const std::string& name);
  std::vector<std::shared_ptr<Inode>> all();

 private:
  static std::string key(const std::string& bucket, const std::string& name) {
    return bucket + '\0' + name;
  }
  // The id for a new inode of `key`: its hash, or the next free number while the kernel still
  // holds another inode with that id (e.g. one renamed or unlinked while in use). mu_ held.
  fuse_ino_t idFor(const std::string& key) const;
  std::mutex mu_;
  std::unordered_map<fuse_ino_t, std::shared_ptr<Inode>> byIno_;
  // Each name's inode itself (not its number: a walk's lookups paid a second hash lookup), always
  // one byIno_ holds under its current name.
  std::unordered_map<std::string, std::shared_ptr<Inode>> byName_;
};

}  // namespace ais::fusefs
