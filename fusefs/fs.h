// The file system: the state every FUSE handler reaches through fuse_req_userdata(req), and the
// do* workers. Workers return an errno or a value; the handlers in ops.cc reply exactly once.
// Lock order: InodeTable/DirCache locks are leaves; Inode::mu may be held while calling them,
// never the other way round; FileHandle::mu before Inode::mu.
#pragma once

#include <sys/statvfs.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/lock_table.h"
#include "fusefs/block_cache.h"
#include "fusefs/dir_cache.h"
#include "fusefs/errno_map.h"
#include "fusefs/inode_table.h"
#include "fusefs/options.h"
#include "fusefs/posix_meta.h"
#include "fusefs/shard_view.h"
#include "fusefs/thread_pool.h"
#include "fusefs/write_batcher.h"
#include "proto/client.h"

namespace ais::fusefs {

// The mount's own table of granted locks never expires them: the target's lease does.
inline constexpr auto kLockForever = std::chrono::hours(24 * 365 * 10);

using Chunk = std::shared_future<std::shared_ptr<const Result<std::string>>>;

// One open() of a file.
struct FileHandle {
  std::shared_ptr<Inode> inode;
  bool writable = false;
  bool append = false;
  std::mutex mu;      // read state below
  uint64_t size = 0;  // object size at open (reads of a clean file stop there)
  std::shared_ptr<const std::string> whole;  // a small object, fetched in one GET
  std::map<uint64_t, Chunk> chunks;          // read-ahead by chunk index
  uint64_t lastEnd = 0;                      // end of the previous read, for sequential detection
  uint64_t tag = 0;                          // cacheTag of the version `whole` and `chunks` hold
  // The content this handle has handed out (the object's checksum; 0: none yet or unknown) and
  // the inode's followGen then: another client's version replacing it is ESTALE here, this
  // mount's own store or a lock's revalidation is followed (read.cc).
  uint64_t servedChecksum = 0;
  uint64_t servedGen = 0;
};

// One opendir(): the listing as it was then, so offsets stay stable.
struct DirHandle {
  struct Child {
    std::string name;
    DirEntry entry;
  };
  std::vector<Child> children;  // the listing as of the last readdir at offset 0
};

// The 64 KiB blocks of a read from `first` on (block_cache.h); null where not cached.
struct BlockRange {
  uint64_t first = 0;
  std::vector<std::shared_ptr<const std::string>> blocks;
};

// Bytes to hand the kernel for a read: `data` keeps them alive.
struct ReadReply {
  std::shared_ptr<const std::string> data;
  size_t offset = 0;
  size_t size = 0;
};

class Fs {
 public:
  Fs(const Options& options, Client& client);
  ~Fs();

  const Options& options() const { return options_; }
  double attrTimeout() const { return options_.attrTtl.count() / 1000.0; }
  double entryTimeout() const { return options_.listTtl.count() / 1000.0; }
  // Seconds left of ttl for what the cluster showed at `since` (0 when expired).
  double ttlLeft(Clock::duration ttl, Clock::time_point since) const;
  double attrTimeoutOf(const Inode& inode) const;  // inode.mu held

  // lookup.cc
  ErrOr<fuse_entry_param> doLookup(fuse_ino_t parent, const std::string& name);
  void doForget(fuse_ino_t ino, uint64_t n);
  // The attributes and how long the kernel may trust them (what is left of attrTtl).
  ErrOr<std::pair<struct stat, double>> doGetattr(fuse_ino_t ino);
  // attr.cc
  ErrOr<struct stat> doSetattr(fuse_ino_t ino, const struct stat& attr, int toSet, bool haveFh);
  ErrOr<struct statvfs> doStatfs();
  // inode.mu held: sets (an empty value removes) custom-metadata keys of the file's object or
  // directory's marker (made for an implicit directory), or of a dirty file's pending PUT.
  int changeMetaLocked(Inode& inode, const std::map<std::string, std::string>& changes);
  // xattr.cc (values: the bytes; a list: names each ending in NUL)
  int doSetxattr(fuse_ino_t ino, const std::string& name, std::string_view value, int flags);
  ErrOr<std::string> doGetxattr(fuse_ino_t ino, const std::string& name);
  ErrOr<std::string> doListxattr(fuse_ino_t ino, bool privileged);
  int doRemovexattr(fuse_ino_t ino, const std::string& name);
  // dir_ops.cc
  ErrOr<std::unique_ptr<DirHandle>> doOpendir(fuse_ino_t ino);
  // Fills in the markers of the subdirectories in `children` (a listing of bucket/prefix).
  void fetchMarkers(const std::string& bucket, const std::string& prefix,
                    std::vector<std::pair<std::string, DirEntry>>& children);
  // Fills a readdir(plus) reply buffer of at most `size` bytes from entry `off`.
  ErrOr<std::string> doReaddir(fuse_req_t req, fuse_ino_t ino, DirHandle& dir, size_t size,
                               off_t off, bool plus);
  ErrOr<fuse_entry_param> doMkdir(fuse_ino_t parent, const std::string& name, mode_t mode,
                                  const fuse_ctx& ctx);
  int doRmdir(fuse_ino_t parent, const std::string& name);
  // entry_ops.cc
  int doUnlink(fuse_ino_t parent, const std::string& name);
  // A file's rename (doRename's; src: the name's entry, dst: the new name's if it exists).
  int moveFile(Inode& parent, const std::string& name, Inode& newParent, const std::string& newName,
               const DirEntry& src, const ErrOr<DirEntry>& dst, const std::string& from,
               const std::string& to);
  int doRename(fuse_ino_t parent, const std::string& name, fuse_ino_t newParent,
               const std::string& newName, unsigned flags);
  ErrOr<fuse_entry_param> doSymlink(const std::string& target, fuse_ino_t parent,
                                    const std::string& name, const fuse_ctx& ctx);
  ErrOr<std::string> doReadlink(fuse_ino_t ino);
  ErrOr<fuse_entry_param> doMknod(fuse_ino_t parent, const std::string& name, mode_t mode,
                                  dev_t rdev, const fuse_ctx& ctx);
  // locks.cc: flock (flock true, whole file) and fcntl record locks ([start, end] inclusive),
  // taken on the object's owner target; type F_RDLCK/F_WRLCK/F_UNLCK; `wait` blocks (polling)
  // until granted or interrupted.
  // The last byte an fcntl lock covers (l_len 0: to the end of the file, whatever its size).
  static uint64_t lockEnd(const struct flock& lk) {
    return lk.l_len == 0 ? UINT64_MAX
                         : static_cast<uint64_t>(lk.l_start) + static_cast<uint64_t>(lk.l_len) - 1;
  }
  int doLock(fuse_req_t req, fuse_ino_t ino, FileHandle* fh, uint64_t lockOwner, bool flock,
             int type, uint64_t start, uint64_t end, pid_t pid, bool wait);
  ErrOr<struct flock> doGetlk(fuse_ino_t ino, uint64_t lockOwner, const struct flock& lk);
  // close() of a descriptor: the record locks of its lock owner on the file go (POSIX).
  void releaseRecordLocks(fuse_ino_t ino, uint64_t lockOwner);
  void startLockRenewer();
  void stopLockRenewer();
  void setSession(fuse_session* se) { session_ = se; }
  // On a thread of its own (mount_records.cc; after startLockRenewer): removes what mounts that
  // died left of files removed while open, finishes their directory renames, then finishes this
  // mount's own renames that were cut short.
  void startRecordKeeper();
  // Starts the thread that writes directories' new mtimes to their markers (dir_times.cc);
  // stopDirTimes writes what is pending and stops it (unmount).
  void startDirTimes();
  void stopDirTimes();
  void startLinkSettler();  // deferred_links.cc: stores the links left waiting
  void stopLinkSettler();   // (and stores what waits)
  // links.cc
  ErrOr<fuse_entry_param> doLink(fuse_ino_t ino, fuse_ino_t newParent, const std::string& newName);
  // file_ops.cc
  ErrOr<std::unique_ptr<FileHandle>> doOpen(fuse_ino_t ino, int flags, bool& keepCache);
  ErrOr<std::pair<fuse_entry_param, std::unique_ptr<FileHandle>>> doCreate(fuse_ino_t parent,
                                                                           const std::string& name,
                                                                           mode_t mode, int flags,
                                                                           const fuse_ctx& ctx);
  int doFlush(FileHandle& fh);  // close(): stores the file's changes (or queues them)
  int doFsync(FileHandle& fh);  // stores them now, queued or not
  // Makes the move pending for the file of inode `ino` now (or waits for the thread making it;
  // deferred_links.cc): what follows uses the file's object under its new name.
  void settleMoveOf(fuse_ino_t ino);
  void doRelease(std::unique_ptr<FileHandle> fh);
  void doDestroy();  // unmount: store what is still dirty
  // read.cc
  ErrOr<ReadReply> doRead(FileHandle& fh, size_t size, off_t off);
  // One try of doRead: every GET is pinned to the checksum of the version the mount knows (ESTALE
  // if the cluster holds another).
  ErrOr<ReadReply> readOnce(FileHandle& fh, size_t size, off_t off);
  ErrOr<ReadReply> readVersion(FileHandle& fh, const ByteRange& pin, const std::string& bucket,
                               const std::string& name, uint64_t tag, uint64_t objSize,
                               uint64_t off, size_t size);
  // The block cache's name of an object (of a shard's member when archpath is set).
  static std::string blockKey(const std::string& bucket, const std::string& name,
                              const std::string& archpath = "") {
    return bucket + "/" + name + (archpath.empty() ? "" : '\0' + archpath);
  }
  // The cached blocks of [off, off+n) (null where missing; none with the cache off).
  BlockRange cachedBlocks(const std::string& object, uint64_t tag, uint64_t off, size_t n);
  // A random read: the range's missing blocks in one GET (then cached), the reply from them.
  // (archpath non-empty: name is a shard and the bytes are of that member.)
  ErrOr<ReadReply> readBlocks(const std::string& object, uint64_t tag, const std::string& bucket,
                              const std::string& name, const ByteRange& pin, uint64_t objSize,
                              uint64_t off, size_t n, BlockRange cached);
  // Caches the 64 KiB blocks of bytes fetched at `start` (a block boundary).
  void cacheBlocks(const std::string& object, uint64_t tag, uint64_t start,
                   const std::string& bytes);
  // write.cc
  ErrOr<size_t> doWrite(FileHandle& fh, const char* data, size_t size, off_t off);
  // fallocate(2): allocation grows the size (nothing to reserve in the cluster); PUNCH_HOLE and
  // ZERO_RANGE zero a range in the spool (stored at close); other modes EOPNOTSUPP.
  int doFallocate(FileHandle& fh, int mode, off_t offset, off_t length);

  // write.cc, with inode.mu held: the file's local state.
  Status storeLocked(Inode& inode);  // PUT local changes, if any
  // The object now stored from the inode's local changes: they are dropped (a spool stays).
  void storedLocked(Inode& inode, ObjectInfo stored);
  // The file's changes are small bytes in memory that write-behind may store later.
  bool batchableLocked(const Inode& inode) const;
  int truncateLocked(Inode& inode, uint64_t size);
  ErrOr<size_t> readDirtyLocked(Inode& inode, char* out, size_t size, uint64_t off);

 private:
  struct Child {
    Kind kind;
    std::string bucket;
    std::string name;  // object name or directory prefix
  };
  // lookup.cc
  // What an object found in a listing or by a HEAD is on the mount.
  Kind objectKind(const ObjectInfo& info, const std::string& name) const;
  // Resolves (parent, component) to a child: the inode table's dirty files first, then the
  // listing cache, then the cluster (HEAD of the object, else a 1-entry list of the prefix).
  // missingSince: on ENOENT, since when the cluster is known not to have it.
  ErrOr<DirEntry> resolve(Inode& parent, const std::string& component,
                          Clock::time_point* missingSince = nullptr);
  // maxPages (0: no limit): EFBIG for a directory longer than that many pages of 1,000.
  ErrOr<Listing> fetchListing(const std::string& bucket, const std::string& prefix,
                              size_t maxPages = 0);
  ErrOr<Listing> listFromCluster(const std::string& bucket, const std::string& prefix,
                                 size_t maxPages = 0);
  // A name's entry from the cluster: the object (or its file, if a hard-linked name), or a
  // directory if anything has its prefix; ENOENT otherwise.
  ErrOr<DirEntry> askCluster(const std::string& bucket, const std::string& object,
                             Clock::time_point asked);
  // Lists a directory again into the cache unless it is younger than ttl. Threads that find it
  // stale together share one LIST: the others wait for it and use what it fetched.
  // forMisses: a stat's listing (Listing::answersMisses false) does not count as fresh.
  int relist(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
             size_t maxPages = 0, bool forMisses = false);  // errno
  // A directory's st_nlink: 2 + its subdirectories when a fresh listing (or the shard's tree)
  // tells, else 1, which find and fts read as "not counted" (inode.mu held).
  nlink_t dirLinks(const Inode& dir);
  // getattr of a directory: lists it (when not too large) so that dirLinks can count.
  void listToCountLinks(Inode& dir);
  // Fresh listing of a directory (fetched when stale); nullopt on a failure.
  ErrOr<std::vector<std::pair<std::string, DirEntry>>> listDir(Inode& dir);
  // listDir with the subdirectories' markers fetched: what a directory handle serves.
  ErrOr<std::vector<DirHandle::Child>> dirSnapshot(Inode& dir);
  fuse_entry_param entryFor(const std::string& bucket, const std::string& name,
                            const DirEntry& entry);
  // The same, moving the entry's info into the inode instead of copying it (a lookup's own).
  fuse_entry_param entryFor(const std::string& bucket, const std::string& name, DirEntry&& entry);
  // ownInfo: entry's info, which the inode may take (nullptr: copied).
  fuse_entry_param entryFor(const std::string& bucket, const std::string& name,
                            const DirEntry& entry, SharedInfo* ownInfo);
  struct stat statOf(Inode& inode);  // inode.mu held
  // Re-reads an inode's object/marker from the cluster when older than attrTtl (inode.mu held).
  Status refreshLocked(Inode& inode, bool force);
  // What a HEAD (or a GET) of the inode's object answered, taken into the inode (inode.mu held).
  Status takeInfoLocked(Inode& inode, std::string bucket, std::string name,
                        Result<ObjectInfo> head);
  // Close-to-open's question to the cluster (inode.mu held). A small plain file opened for
  // reading whose bytes this mount does not hold is read in the same round trip (a GET of up to
  // kOpenFetchMax in place of the HEAD); *bytes is then the whole object, else left empty.
  Status refreshForOpenLocked(Inode& inode, bool reading,
                              std::shared_ptr<const std::string>* bytes);
  // A file's attributes from its parent's listing younger than attrTtl (a small parent is
  // re-listed once); nullopt when no such listing exists (inode.mu held).
  std::optional<Status> refreshFromListingLocked(Inode& inode, const std::string& bucket,
                                                 const std::string& name);
  // The object name of a child; EINVAL/ENAMETOOLONG for names the store cannot hold; EROFS in
  // a shard seen as a directory.
  ErrOr<std::string> childObject(Inode& parent, const std::string& component, bool dir);
  // The inode name of a child found by lookup or readdir (objects, or members in a shard).
  std::string childKey(const Inode& parent, const std::string& component);
  // A child of a shard or of a directory in one (shard_view.h).
  ErrOr<DirEntry> resolveMember(Inode& parent, const std::string& component);
  ErrOr<std::vector<std::pair<std::string, DirEntry>>> listShardDir(Inode& dir);
  // entry_ops.cc: an empty object that is all metadata (a symlink, a special file), made only if
  // the name is free (EEXIST).
  ErrOr<fuse_entry_param> createEmpty(fuse_ino_t parent, const std::string& name, Kind kind,
                                      std::map<std::string, std::string> custom);
  // A new entry's POSIX metadata: its creator's uid and gid and the mode asked, except in a
  // set-group-ID directory, whose group it takes (a subdirectory the bit too), as on ext4; a
  // file asking for set-group-ID with group execute there keeps the bit only if its creator is
  // root or in that group.
  std::map<std::string, std::string> newEntryCustom(fuse_ino_t parent, mode_t mode, bool isDir,
                                                    const fuse_ctx& ctx);
  // A FIFO, socket or device node.
  ErrOr<fuse_entry_param> makeSpecial(fuse_ino_t parent, const std::string& name, mode_t mode,
                                      dev_t rdev, const fuse_ctx& ctx);
  // links.cc
  // A name entry's info becomes its inode object's (a HEAD); other objects stay as they are.
  Status followLink(const std::string& bucket, ObjectInfo& info);
  // The same for the entries of a listing, in parallel; dangling entries are dropped.
  void followLinks(const std::string& bucket, std::map<std::string, DirEntry>& children);
  // Removes the name entry `name` of the inode object `target` and counts down (the last name
  // removes the file, at its last close if open on this mount).
  int dropLinkName(const std::string& bucket, const std::string& name, const std::string& target);
  // The count down of dropLinkName (inode.mu held if inode).
  int countDownLocked(const std::string& bucket, const std::string& target,
                      const std::shared_ptr<Inode>& inode);
  // The id of the inode object of a file getting its second name (links.cc).
  uint64_t linkIdNear(const std::string& bucket, const std::string& name, uint64_t ino);
  // Stores the file's name `object` as a hard link and returns its entry (the file is moved to
  // its inode object if it had one name). pending: a deferred link being stored.
  ErrOr<DirEntry> linkNow(const std::shared_ptr<Inode>& inode, const std::string& object,
                          bool pending);
  // deferred_links.cc: link() of a file with one name, kept in memory for a moment; its file's
  // name unlinked meanwhile makes the pair a rename (git's objects), else it is stored.
  struct PendingLink {
    std::string bucket;
    std::string file;  // the file's object: its one stored name
    std::string name;  // the new name's object
    std::shared_ptr<Inode> inode;
    std::shared_ptr<Inode> newParent;
    std::string newComponent;
    Clock::time_point at;
    bool settling = false;  // a thread is dealing with it: others wait (pendingLinksCv_)
    // The file's own name was unlinked: the pair is a move to the new name, made at once by the
    // settler thread, or by the first operation on the file that cannot wait for it. moveFrom
    // is the old name's entry (already gone from its listing) in oldParent.
    bool move = false;
    std::shared_ptr<Inode> oldParent;
    std::string oldComponent;
    DirEntry moveFrom;
  };
  // nullopt: not deferred (the caller stores the link now).
  std::optional<ErrOr<fuse_entry_param>> deferLink(const std::shared_ptr<Inode>& inode,
                                                   const std::shared_ptr<Inode>& newParent,
                                                   const std::string& newName,
                                                   const std::string& object);
  // The file a pending link's new name `object` stands for.
  std::optional<std::string> pendingLinkFile(const std::string& bucket, const std::string& object);
  // The pending link whose new name is `object` (pendingLinksMu_ held), or end().
  std::map<std::string, PendingLink>::iterator pendingByNameLocked(const std::string& bucket,
                                                                   const std::string& object);
  // The pending link whose file or new name is `object`, marked as being dealt with by the
  // caller (who ends with releasePendingLink); waits while another thread deals with it.
  // movesOnly: only a pending move whose file is `object`.
  std::optional<PendingLink> claimPendingLink(const std::string& bucket, const std::string& object,
                                              bool movesOnly = false);
  void releasePendingLink(const PendingLink& p);
  void storePendingLink(const PendingLink& p);  // as a hard link or a move; then released
  // Stores the pending link of which `object` is the file or the new name, if any.
  void settleLinks(const std::string& bucket, const std::string& object);
  void settleAllLinks();
  // unlink of a pending link's file (a rename to the new name) or new name (nothing stored);
  // nullopt when `object` is neither.
  std::optional<int> unlinkPending(Inode& parent, const std::string& name,
                                   const std::string& object);
  std::mutex pendingLinksMu_;
  std::condition_variable pendingLinksCv_;
  std::map<std::string, PendingLink> pendingLinks_;  // by "bucket\0file"
  std::atomic<int> pendingMoves_{0};                 // of pendingLinks_, those with move set
  bool stopLinkSettler_ = false;
  std::thread linkSettler_;
  // locks.cc
  // The object a file's locks are taken on; nullopt for what has none (directories, shards).
  std::optional<std::pair<std::string, std::string>> lockTarget(const Inode& inode);
  // A lock was granted: drop what this mount cached of an older version of the file.
  void revalidateForLock(Inode& inode, FileHandle* fh);
  void revalidateSiblings(const Inode& inode);
  std::string lockOwnerName(uint64_t lockOwner) const;
  fuse_session* session_ = nullptr;
  std::string mountId_;
  std::mutex heldMu_;
  std::condition_variable heldCv_;
  bool stopRenewing_ = false;
  // (bucket, name, owner, flock) of the locks held on the cluster, renewed by lockRenewer_.
  std::set<std::tuple<std::string, std::string, std::string, bool>> held_;
  // The granted ranges themselves (key: bucket '\0' name), cut as the target cuts them: what
  // to reclaim when a target forgot them (restarted, or a new owner).
  LockTable granted_;
  std::thread lockRenewer_;
  // Renews (or reclaims) the locks of one held_ entry (heldMu_ not held).
  void renewLocks(const std::string& bucket, const std::string& name, const std::string& owner,
                  bool flock);
  // mount_records.cc: files removed while open, directory renames (an intent first), and what a
  // dead mount left of either.
  std::string recordName(const char* prefix, const std::string& id) const;
  Status holdMountLease(const std::string& bucket);  // before the first record in a bucket
  // Moves every object under `from` to `to` (both end in '/') under an intent record; on a
  // failure the intent stays and the move is finished in the background.
  Status renameDirectory(const std::string& bucket, const std::string& from, const std::string& to,
                         size_t* moved);
  Status moveTree(const std::string& bucket, const std::string& from, const std::string& to,
                  const std::string& intent, size_t* moved);
  // rename_wait.cc: other mounts' (and this one's) directory renames in progress are waited for
  // before the cluster is asked about a path they cover, so none is seen half done.
  static constexpr uint64_t kOpenFetchMax = 64 << 10;  // refreshForOpenLocked: one cache block
  static constexpr auto kIntentsFresh = std::chrono::milliseconds(100);
  static constexpr auto kRenameSettle = std::chrono::milliseconds(250);  // > 2 x kIntentsFresh
  static constexpr auto kRenameAlive = std::chrono::seconds(5);
  static constexpr auto kRenameStale = std::chrono::seconds(30);
  static constexpr auto kRenameWaitMax = std::chrono::seconds(60);
  struct RenameSpan {
    std::string intent, from, to;
  };
  struct RenameSnapshot {
    Clock::time_point at;
    Clock::time_point warnedAt;
    std::vector<RenameSpan> spans;
  };
  static bool intentsFresh(const RenameSnapshot& snap, Clock::time_point now);
  // The bucket's renames in progress, read anew if older than kIntentsFresh (or fresh is set).
  std::vector<RenameSpan> renameSpans(const std::string& bucket, bool fresh);
  // Waits while a rename in progress covers path (an object name, or a directory prefix ending
  // in '/'); true if it waited (then what was read before may hold part of a move).
  bool awaitRenames(const std::string& bucket, const std::string& path);
  // Runs ask (a query of the cluster about path that keeps its answer; false if it failed) so
  // that its answer is from before or after any rename covering path, never from halfway.
  void askUnmoved(const std::string& bucket, const std::string& path,
                  const std::function<bool()>& ask);
  std::mutex renameSpansMu_;
  std::map<std::string, RenameSnapshot> renameSpans_;
  std::atomic<int> ownRenames_{0};  // this mount's directory renames running now
  Status replayRename(const std::string& bucket, const std::string& intent);
  void sweepRecords(const std::string& bucket);
  std::set<std::pair<std::string, std::string>> unfinishedRenames_;  // (bucket, intent); heldMu_
  std::thread recordKeeper_;
  // revalidate.cc
  struct DirToken {
    std::string token;     // Client::bucketChanges
    Clock::time_point at;  // when it was asked
    // For a listing this mount made: its anchor's token, read in the same call after this one
    // (what DirCache::adopt needs; the anchor's own entry may be from a later call by then).
    std::optional<std::pair<std::string, std::string>> anchorToken;  // (prefix, token)
  };
  // The directory's token if read within kTokenReuse.
  std::optional<DirToken> recentToken(const std::string& bucket, const std::string& prefix);
  // Whether the directory's token was read within kTokenReuse, with its anchor's if it has one.
  bool tokensFresh(const std::string& bucket, const std::string& prefix);
  // Reads the tokens of the directory and of the bucket's other stale stamped or anchored
  // listings (and their anchors), in one call; `aging`: how old another listing is to be taken
  // along (renewAhead).
  void fetchTokens(const std::string& bucket, const std::string& prefix, Clock::duration aging);
  // A stale listing of (bucket, prefix) made fresh if the directory's token has not changed
  // since it was made (or, made by this mount, its anchor's: DirCache::adopt); false if it
  // has, or there is no stamped or anchored listing.
  bool revalidate(const std::string& bucket, const std::string& prefix) {
    return revalidate(bucket, prefix, options_.listTtl / 2);
  }
  bool revalidate(const std::string& bucket, const std::string& prefix, Clock::duration aging);
  // A listing past half its TTL (`aging`) renewed if its directory's token has not changed
  // (tokens are read in batches, so a walk renews its next directories in the same call): what
  // the kernel is answered from it then keeps most of a TTL instead of what is left of it. A
  // stale one is renewed now (whether it was: the return); an aging one by a pool thread
  // (renewSoon), as the request goes on with it as it is. A readdir renews sooner
  // (kReaddirAging): the kernel keeps its entries for the TTL left, and the next pass of a walk
  // that takes longer than the TTL (git status's lstat of every file, then its readdir of every
  // directory) would find them all expired.
  bool renewAhead(const std::string& bucket, const std::string& prefix, Clock::time_point at) {
    return renewAhead(bucket, prefix, at, options_.listTtl / 2);
  }
  bool renewAhead(const std::string& bucket, const std::string& prefix, Clock::time_point at,
                  Clock::duration aging);
  // One renewal (with its batch) at a time on readPool_; none while one is queued or running.
  void renewSoon(const std::string& bucket, const std::string& prefix, Clock::duration aging);
  std::atomic<bool> renewing_{false};
  // DirCache::child, from the listing revalidated if it is stale (or renewed if aging).
  std::optional<std::optional<DirEntry>> cachedChild(const std::string& bucket,
                                                     const std::string& prefix,
                                                     const std::string& name, Clock::duration ttl,
                                                     Clock::time_point* at);
  std::mutex tokensMu_;
  std::unordered_map<std::string, DirToken> tokens_;  // by "bucket\0prefix"; tokensMu_
  // A hard-linked file's stale attributes (its inode object under ./aisfs-links/, which no
  // listing's token covers) renewed as of now, without a HEAD, when they were read after the
  // bucket's links base (the token of ./aisfs-links/ and when it was read) and that token has
  // not changed since: no one else changed any hard-linked file of the bucket meanwhile, and
  // this mount's own changes are in its inodes. inode.mu held. Whether it renewed them.
  bool renewLinked(Inode& inode);
  std::mutex linksMu_;
  std::unordered_map<std::string, DirToken> linksBase_;  // by bucket; linksMu_
  std::mutex tokenFetchMu_;
  // How many other stale directories a token fetch takes along (revalidate.cc): grown while
  // the last batch's tokens served revalidations before they aged, shrunk while they did not.
  size_t tokenBatch_ = 256;    // tokenFetchMu_
  size_t lastTokenBatch_ = 0;  // tokenFetchMu_: the other directories the last fetch asked for
  std::atomic<size_t> tokenHits_{0};  // revalidations served by tokens fetched before
  // xattr.cc
  static constexpr int kNoHolder = -1;
  int xattrHolderLocked(Inode& inode, bool change);
  // write.cc
  Status ensureSpoolLocked(Inode& inode);
  void dropWriteStateLocked(Inode& inode);
  ErrOr<size_t> writeLocked(Inode& inode, const char* data, size_t size, uint64_t off);
  Status growSpool(WriteState& ws, uint64_t newSize);
  // read.cc
  // (pin: the archpath and ifChecksum of every GET of the read.)
  Chunk startChunk(const std::string& bucket, const std::string& name, const ByteRange& pin,
                   uint64_t index, uint64_t objSize);

 public:
  const Options options_;
  Client& client_;
  AttrDefaults defaults_;
  InodeTable inodes_;
  DirCache dirs_;
  ShardView shards_;
  std::array<std::mutex, 64> relistMu_;  // by a hash of the directory (relist)
  // Directories whose listing failed with EIO (a target down or hung), and when: not listed
  // again within the listing TTL, so each lookup under them asks its name's owner at once.
  std::mutex listFailedMu_;
  std::unordered_map<std::string, Clock::time_point> listFailedAt_;
  // dir_times.cc: when entries of a directory ("bucket\0prefix") were last created, removed or
  // renamed through this mount: its mtime and ctime, here at once and on its marker within a
  // second (dirTimesPending_: the markers to update; a thread does it).
  std::mutex dirTimesMu_;
  std::condition_variable dirTimesCv_;
  std::unordered_map<std::string, int64_t> dirTimes_;
  std::set<std::string> dirTimesPending_;
  bool stopDirTimes_ = false;
  std::thread dirTimesWriter_;
  void dirChanged(const Inode& dir);
  int64_t dirChangedAt(const Inode& dir);
  void forgetDirChanges(const Inode& dir);  // an explicit mtime replaces them (inode.mu held)
  void forgetDirChanges(const std::string& bucket, const std::string& marker);  // (rmdir)
  void writeDirTimes();  // the pending ones, now
  // "bucket/name" of files unlinked while open: hidden from listings and lookups of this mount
  // until their last close removes them from the cluster.
  std::mutex unlinkedMu_;
  std::set<std::string> unlinkedOpen_;
  bool unlinkedOpen(const std::string& bucket, const std::string& object);
  void setUnlinkedOpen(const std::string& bucket, const std::string& object, bool unlinked);
  // The inode still holds its name on this mount: not created again as another file since it
  // was unlinked while open.
  bool holdsName(const Inode& inode);
  // inode.mu held: the last close (or unmount) of a file unlinked while open removes its object.
  void removeUnlinkedLocked(Inode& inode);
  ThreadPool readPool_;
  BlockCache blockCache_;
  std::atomic<uint64_t> spoolBytes_{0};
  std::mutex statfsMu_;
  Clock::time_point statfsAt_{};
  struct statvfs statfs_ {};
  std::unique_ptr<WriteBatcher> batcher_;  // --batch-writes; last: stopped before the rest goes
};

}  // namespace ais::fusefs
