// Store: a target's objects on its mountpaths. Plain domain class (no RPC): PUT is atomic and
// streaming, GET reads the LOM then the file, listing is a merge of the per-mountpath LomDbs.
// Every method is thread-safe. Names are validated here (kBadBucketName, kBadObjectName).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "node/store/deleted_names.h"
#include "node/store/disk_faults.h"
#include "node/store/lom.h"
#include "node/store/lom_db.h"
#include "node/store/mountpath.h"
#include "node/store/name_locks.h"
#include "node/store/object_reader.h"
#include "node/store/object_writer.h"
#include "node/store/prepared_files.h"

namespace ais::store {

struct Mountpath;
class MountpathSet;

// Damage found while serving or at startup, since the process started.
struct IntegrityStats {
  uint64_t corruptReads = 0;  // reads refused: a block failed its checksum or the file was short
  uint64_t missingFiles = 0;  // reads refused: the LOM's file is gone
  uint64_t quarantined = 0;   // files that contradicted their LOM, moved to <mountpath>/%lost
  uint64_t lomsDropped = 0;   // LOMs removed at startup because their file was gone
  uint64_t lomsRebuilt = 0;   // LOMs rebuilt from files (a lost or unreadable LomDb)
  uint64_t orphans = 0;       // object files without a LOM found by validate()
};

// Running totals of scrubs in progress, updated by validate() object by object (readable from any
// thread).
struct ScrubCounters {
  std::atomic<uint64_t> objects{0}, bytes{0}, damaged{0};
  std::function<bool()> stopRequested;  // polled per object: true ends the scrub (kInternal)
};

// What validate() found on one mountpath (names capped at kMaxReportedNames per list).
struct ValidateReport {
  static constexpr size_t kMaxReportedNames = 1000;
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t corruptCount = 0, missingCount = 0, orphanedCount = 0, errorCount = 0;
  uint64_t repairedCount = 0;
  std::vector<std::string> corrupt, missing, orphaned, errors;
  std::vector<std::string> repaired;  // damaged here, rewritten from an intact copy elsewhere
};

// What syncCopies did to one object.
struct SyncReport {
  uint32_t copied = 0;   // copies written (missing, damaged or stale ones)
  uint32_t removed = 0;  // copies removed from mountpaths that should not hold one
  uint64_t bytes = 0;    // bytes written
};

// S3 object versioning of a bucket (BMD objectVersioning).
enum class Versioning { kOff, kEnabled, kSuspended };

// How a bucket's objects are stored (from its BMD props).
struct BucketPolicy {
  uint32_t copies = 1;  // mirror.copies
  Versioning versioning = Versioning::kOff;
  // checksum.type: the digest kept with each object and returned with it (lom.h); every object
  // also keeps its XXH64 and block checksums, which guard every read whatever this is.
  std::string checksumType = std::string(kChecksumXxhash64);
  bool operator==(const BucketPolicy&) const = default;
};

struct MountpathState {
  std::string path;
  bool enabled = true;
  bool faulted = false;  // Mountpath::faulted
};

struct Capacity {
  uint64_t totalBytes = 0;
  uint64_t availBytes = 0;
};

// Counters in an object's custom metadata, changed atomically under the name lock (aisfs's link
// counts): each delta is added to the key's number (missingAs if absent or not a number). An
// opId equal to the object's last (kCounterOpKey) is a retry of an applied change: nothing is
// changed again.
struct CustomCounters {
  std::map<std::string, int64_t> deltas;
  int64_t missingAs = 0;
  std::string opId;
};
inline constexpr std::string_view kCounterOpKey = "ais.counter_op";

class Store {
 public:
  // Creates missing mountpath directories, opens their LomDbs and reconciles each after a crash.
  static Result<std::unique_ptr<Store>> open(std::vector<std::string> mountpaths);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // From now on PUTs take their work files from ones made ahead by a background thread
  // (prepared_files.h); aisnode turns it on. Call before the first PUT.
  void prepareWorkFiles() { prepared_ = std::make_unique<PreparedFiles>(); }

  Result<std::unique_ptr<ObjectWriter>> beginPut(std::string_view bucket, std::string_view name,
                                                 PutOptions opts = {});
  Result<Lom> putBytes(std::string_view bucket, std::string_view name, std::string_view data,
                       PutOptions opts = {});
  // Group commit (put_group.cc): stores small objects of one bucket together: per mountpath one
  // RocksDB batch for their pending markers and one for their LOMs, and, when they ask for fsync,
  // one syncfs and one fsync per directory instead of all of it per object. Each item is
  // acknowledged only as durable as a single PUT of it would be. Results in item order;
  // checksum: the sender's XXH64, refused (kChecksumMismatch) if the bytes differ.
  struct GroupPut {
    std::string name;
    std::string_view data;
    std::optional<uint64_t> checksum;
    PutOptions opts;
  };
  std::vector<Result<Lom>> putGroup(std::string_view bucket, std::vector<GroupPut>& items);

  // kObjectNotFound if there is no LOM; kObjectCorrupted if the LOM's file is missing or does not
  // match it. The reader verifies every block it reads. An object stored before block checksums
  // is verified whole here and gets them.
  Result<std::unique_ptr<ObjectReader>> openObject(std::string_view bucket, std::string_view name);
  // openObject for a network thread: only what is already in memory (LOM and block checksums in
  // RocksDB's memtables or block cache, the path in the dentry cache), never waiting for the disk
  // or for a writer's name lock. kWouldBlock when any of it would wait, and also when anything
  // is wrong (a missing or damaged copy): openObject on an I/O worker then does the full work,
  // failover and reporting. Read it with the reader's verifyCached/readCached.
  Result<std::unique_ptr<ObjectReader>> openCached(std::string_view bucket, std::string_view name);
  Result<Lom> head(std::string_view bucket, std::string_view name);
  // head() for a network thread: the main copy's LOM if it is in memory and its name is not being
  // written; kWouldBlock otherwise (no LOM there included: head() on an I/O worker decides).
  Result<Lom> headCached(std::string_view bucket, std::string_view name);
  // ifVersion (non-zero): VersionChanged, nothing removed, unless the object is that version.
  // clientDeleteNs (non-zero): a client's delete of the name at that time, noted (whether a copy
  // was here or not) so that a copy written before it that moves in later is refused
  // (deleted_names.h); zero for the store's own removals (a copy moved away, repaired).
  Status remove(std::string_view bucket, std::string_view name, uint64_t ifVersion = 0,
                int64_t clientDeleteNs = 0);
  // Removes the object only if it is still the copy `seen` (same version, time, checksum and
  // size), checked and removed under the name lock: kVersionChanged, nothing removed, if it was
  // written again since (a copy moved away must not take a newer write with it).
  Status removeIfSame(std::string_view bucket, std::string_view name, const Lom& seen);
  // A copy of bucket/name written at writtenNs moving in now would undo a client's later delete.
  bool deletedSince(std::string_view bucket, std::string_view name, int64_t writtenNs) const {
    return deleted_.deletedSince(bucket, name, writtenNs);
  }
  // Overwrites an existing `to`; kObjectNotFound if `from` is missing.
  Status rename(std::string_view bucket, std::string_view from, std::string_view to);
  // S3 object versioning (versions.cc). In a bucket with versioning on, a client's write (a PUT
  // without mtimeNs: not a move) keeps the version it replaces in the versions bucket
  // (meta::versionsBucket), a hard link made under the name lock before the new bytes go in,
  // and gets a new version id (Enabled) or "null" (Suspended, which replaces a kept "null").
  // removeVersioned is a client's DELETE there: the current version is kept likewise and a
  // delete marker becomes the latest version (versionId: the marker's).
  struct Removed {
    std::string versionId;
    bool deleteMarker = false;
  };
  Result<Removed> removeVersioned(std::string_view bucket, std::string_view name,
                                  uint64_t ifVersion = 0);
  // Removes one version for good, the current one or a kept one (kObjectNotFound if the key has
  // no such version). When the current version goes, or the latest kept one while there is no
  // current, the newest kept version becomes current again unless it is a delete marker.
  Result<Removed> removeVersion(std::string_view bucket, std::string_view name,
                                std::string_view versionId);
  // Replaces the custom metadata, or with `merge` sets the keys given and removes those given
  // empty, under the name lock (a PUT committed meanwhile is never given another version's
  // metadata); the version is unchanged (the bytes are).
  Result<Lom> setCustom(std::string_view bucket, std::string_view name,
                        std::map<std::string, std::string> custom, bool merge = false,
                        const CustomCounters* counters = nullptr);

  // Up to `limit` LOMs with name > startAfter and starting with prefix, bytewise sorted.
  Result<std::vector<Lom>> list(std::string_view bucket, std::string_view prefix,
                                std::string_view startAfter, size_t limit);
  Result<bool> bucketEmpty(std::string_view bucket);
  // All objects of the bucket on every mountpath: files and LOMs.
  Status destroyBucket(std::string_view bucket);
  // destroyBucket in two steps: detach is quick (each mountpath's tree renamed aside, the LOMs
  // dropped), so the name can be used again at once; removeTrash deletes the detached trees.
  // A crash in between leaves trash that startup reconciliation removes.
  Result<std::vector<std::string>> detachBucket(std::string_view bucket);
  Status removeTrash(const std::vector<std::string>& trash);

  // Scrub of a bucket's objects on one mountpath: every object read whole and verified block by
  // block (objects without block checksums get them), files without a LOM reported as orphans.
  // A damaged or missing copy of an object that has an intact one elsewhere is repaired
  // (syncCopies) and reported as such.
  Result<ValidateReport> validate(size_t mountpath, std::string_view bucket,
                                  ScrubCounters* progress = nullptr);

  // Each bucket's policy, from the BMD (buckets not named get the defaults).
  void setBucketPolicies(std::map<std::string, BucketPolicy, std::less<>> policies);
  BucketPolicy policyOf(std::string_view bucket) const;
  // Mirroring (mirror.cc). How many copies a bucket's objects keep on distinct mountpaths, in
  // HRW order over the mountpaths (the first is the main copy). A PUT writes every copy before it
  // returns; reads that find the main copy missing or damaged are served from another copy of
  // the same version.
  uint32_t copiesOf(std::string_view bucket) const;
  // Brings one object to its bucket's copies: the main copy if intact (else the newest intact
  // one) is written to each of the first `copies` mountpaths in HRW order that lacks it or holds
  // a damaged or different one; copies on other mountpaths are then removed (which also moves an
  // object whose HRW mountpath changed). Every existing copy is read whole to check it.
  // kObjectNotFound if no mountpath has the object, kObjectCorrupted if no copy is intact.
  Result<SyncReport> syncCopies(std::string_view bucket, std::string_view name);
  // hook(bucket, name): a read met a missing or damaged copy of the object (once per object until
  // syncCopies ran for it). Called on the reading thread, maybe under the name lock: it must only
  // queue the syncCopies.
  void setRepairHook(std::function<void(const std::string&, const std::string&)> hook);
  // True if a mountpath came up with a new LomDb beside others that had one (added, wiped or
  // lost): objects may be off their HRW mountpath or miss copies until syncCopies ran for each.
  bool needsResilver() const;

  uint64_t objectCount() const;  // estimate
  IntegrityStats integrityStats() const;
  Result<Capacity> capacity() const;
  // Closes the object files kept open for reads (OpenFiles) that no read used lately; periodic.
  void expireOpenFiles() { openFiles_.expire(); }
  size_t openFilesKept() const { return openFiles_.size(); }

  // On-disk path of an existing object's main copy.
  Result<std::string> fqn(std::string_view bucket, std::string_view name);
  // On-disk paths of every copy (with a LOM) of an object, main copy first if there is one.
  std::vector<std::string> copyFqns(std::string_view bucket, std::string_view name);
  // HRW-selected mountpath of a name (whether or not the object exists).
  const std::string& mountpathOf(std::string_view bucket, std::string_view name) const;
  // Its index in mountpaths() (I/O workers are per mountpath).
  size_t mountpathIndex(std::string_view bucket, std::string_view name) const;
  std::vector<std::string> mountpaths() const;
  std::vector<MountpathState> mountpathStates() const;
  // What this target lists of a directory of a bucket ("" the bucket, else a prefix ending in
  // '/'; another prefix counts as the directory it is in), as a token: the same token read
  // later means no LOM under it was written or removed meanwhile and the mountpaths are as they
  // were (LomDb::changes), so a listing made after the first read still holds. boot is random
  // per process. asker: as for LomDb::changes (an aisfs mount's own writes left out).
  struct Changes {
    uint64_t boot = 0;
    uint64_t fingerprint = 0;
  };
  Changes changes(std::string_view bucket, std::string_view prefix, uint64_t asker = 0) const;
  // Enables or disables a mountpath (kept across restarts). A disabled one gets no new object or
  // copy, and objects move off it as syncCopies runs for them (the resilver job); until then
  // they are read from it. The last enabled mountpath cannot be disabled. Returns whether the
  // state changed.
  Result<bool> setMountpathEnabled(const std::string& path, bool enabled);
  // Adds a mountpath while the target runs (the directory is created if missing, its LomDb opened
  // and reconciled like at start-up); a detached one comes back. New objects and copies go there
  // by HRW at once; what already is elsewhere moves in the resilver job. Its I/O runs on the
  // existing mountpaths' workers. Returns its path (canonical).
  Result<std::string> attachMountpath(const std::string& path);
  // Notes (notes.cc): small durable records of work this target still owes an object (a
  // delete to repeat on a target that was down, a copy to hand to its owner), kept in the
  // LomDbs so a restart resumes them. `kind` names the queue; one note per kind and object, a
  // put replaces it. Synced to disk before returning.
  struct Note {
    std::string bucket, name, value;
  };
  Status putNote(std::string_view kind, std::string_view bucket, std::string_view name,
                 std::string_view value);
  Status dropNote(std::string_view kind, std::string_view bucket, std::string_view name);
  Result<std::vector<Note>> notes(std::string_view kind) const;

  // Takes an empty, disabled mountpath out of use (disable it first: the resilver job moves its
  // objects off); kInvalidArgument, naming what is left, otherwise.
  Status detachMountpath(const std::string& path);

  // Tests: every object read, write and fsync goes through `faults` from now on (call before
  // serving; it must outlive the store).
  void setDiskFaults(DiskFaults* faults) { faults_ = faults; }

 private:
  friend class ObjectWriter;
  explicit Store(std::vector<std::unique_ptr<Mountpath>> mps);

  Mountpath& mountpathFor(std::string_view bucket, std::string_view name) const;
  // The mountpath (not detached) at `path`, as given or canonical; kInvalidArgument if none.
  Result<Mountpath*> findMountpath(const std::string& path) const;
  // Every mountpath's index, by decreasing HRW weight for the name (the first is mountpathFor).
  std::vector<size_t> mountpathOrder(std::string_view bucket, std::string_view name) const;
  // The object as mountpath i's LOM describes it (no failover): kObjectNotFound without a LOM,
  // kObjectCorrupted if its file is missing or not its size.
  // cachedOnly: openCached's rules (kWouldBlock instead of waiting or reporting). keepOpen: the
  // file may come from, and is kept in, openFiles_ (GETs' main copy).
  Result<std::unique_ptr<ObjectReader>> openAtLocked(size_t i, std::string_view bucket,
                                                     std::string_view name, bool cachedOnly = false,
                                                     bool keepOpen = false);
  // Lets `reader` switch to the other mountpaths' copies of the same bytes (not `tried`).
  void setFailover(ObjectReader& reader, std::string bucket, std::set<size_t> tried);
  void requestRepair(std::string_view bucket, std::string_view name);
  // Writes size bytes from readAt to a work file on mp, checks them against like.checksum and
  // installs them as `like` (times, custom metadata; its version too with keepVersion, else the
  // old LOM's + 1 on mp): a mirror copy, or a cross-mountpath rename.
  using ReadAt = std::function<Result<size_t>(char* buf, size_t len, uint64_t off)>;
  Result<Lom> copyToLocked(Mountpath& mp, std::string_view bucket, const Lom& like,
                           const ReadAt& readAt, bool sync, bool keepVersion = true);
  Result<SyncReport> syncCopiesLocked(std::string_view bucket, std::string_view name,
                                      uint32_t copies);
  // After a PUT: removes the object from the mountpaths beyond its first `copies` in HRW order.
  Status dropExtraCopiesLocked(std::string_view bucket, std::string_view name, uint32_t copies);
  // Removes the object from mountpath i (a damaged LOM included); false if it had none.
  Result<bool> removeAtLocked(size_t i, std::string_view bucket, std::string_view name);
  std::shared_mutex& lockFor(std::string_view bucket, std::string_view name);
  Result<std::optional<Lom>> readLom(Mountpath& mp, std::string_view bucket, std::string_view name,
                                     bool cachedOnly = false);
  // The LOM's block checksums ({0, {}} for an object stored before them).
  Result<BlockSums> readBlocks(Mountpath& mp, std::string_view bucket, const Lom& lom,
                               bool cachedOnly = false);
  // Hashes the whole file behind fd; if it matches the LOM, stores its block checksums.
  Result<BlockSums> addBlocksLocked(Mountpath& mp, std::string_view bucket, Lom& lom, int fd,
                                    const std::string& what);
  Result<std::unique_ptr<ObjectWriter>> newWriter(Mountpath& mp, std::string_view bucket,
                                                  std::string_view name, PutOptions opts);
  // Moves `src` into place as `lom.name` and commits the LOM (plus `extra`), under the name lock.
  // keepVersion: lom.version as given (a copy), else the old LOM's + 1. current: the name's LOM
  // as read under this lock already (nothing changed it since), not read again.
  using CurrentLom = std::optional<Result<std::optional<Lom>>>;
  Result<Lom> installLocked(Mountpath& mp, std::string_view bucket, const std::string& src, Lom lom,
                            const BlockSums& blocks, bool sync, LomDb::Batch extra,
                            bool keepVersion = false, CurrentLom current = std::nullopt);
  // One file to move into place as lom.name; `status` and `lom` are the outcome.
  struct Install {
    std::string src;
    Lom lom;
    BlockSums blocks;
    bool keepVersion = false;
    Status status;
    CurrentLom current;  // (as for installLocked)
  };
  // installLocked for several distinct names of one mountpath, all locked: one marker batch, the
  // renames, the directory fsyncs (sync), one LOM batch. `extra` is committed with the LOMs only
  // if every file was placed.
  void installGroupLocked(Mountpath& mp, std::string_view bucket, std::vector<Install>& installs,
                          bool sync, LomDb::Batch extra);
  // ObjectExists when the writer asked ifAbsent and an object it does not supersede is there;
  // VersionChanged when it asked ifVersion and the object is another version (name locked).
  Status checkConditionsLocked(const ObjectWriter& w);
  // A client's write issued before the current version was made (PutOptions::issuedNs): kept
  // as a noncurrent version (versioning enabled) or dropped, with Lom::superseded; nullopt if it
  // is to be installed as the current version. *current: the current LOM if it was read.
  std::optional<Result<Lom>> supersededLocked(ObjectWriter& w, Lom& lom, const BlockSums& blocks,
                                              Versioning v, CurrentLom* current = nullptr);
  // head() after its name checks: the main copy's LOM, else the newest copy's elsewhere.
  Result<Lom> currentLom(std::string_view bucket, std::string_view name,
                         const std::vector<size_t>& order);
  // The LOM a sealed writer's bytes get (version set at install).
  Lom newLom(const ObjectWriter& w, uint64_t checksum) const;
  // Renames src to the object's path; switches lom to hashed (and re-marks) on a collision.
  Status placeFile(Mountpath& mp, std::string_view bucket, const std::string& src, Lom& lom,
                   const std::string& marker);
  Status removeLocked(Mountpath& mp, std::string_view bucket, const Lom& lom);
  // heldByFailed if a failed mountpath holds bucket/name (its database records no change of it:
  // a change made elsewhere meanwhile would leave two objects), else OK. `refused` says what.
  Status refuseIfHeldOnFailed(std::string_view bucket, std::string_view name,
                              std::string_view refused);
  // Before a detach: the mountpath's notes go to their objects' mountpaths now.
  Status moveNotesOff(Mountpath& from);
  // Renames the main copy (LOM `from` on mountpath srcIndex) to `to` on dst (both names locked).
  Status renameMainLocked(std::string_view bucket, size_t srcIndex, Mountpath& dst, const Lom& from,
                          std::string_view to);
  Result<Lom> commitWork(ObjectWriter& w, uint64_t checksum, const BlockSums& blocks);
  // Versioning (versions.cc), all under the name's lock. The main copy's LOM, else the newest
  // copy's elsewhere, with the index of its mountpath.
  Result<std::optional<std::pair<Lom, size_t>>> currentWithIndexLocked(std::string_view bucket,
                                                                       std::string_view name);
  // Before a client's write of `lom` commits: keeps the current version as the bucket's
  // versioning `v` says and sets lom's version id.
  Status versionWriteLocked(std::string_view bucket, std::string_view name, Versioning v, Lom& lom,
                            bool sync);
  // Installs `from`'s file (a hard link: object files never change once installed) on mp as
  // `to` of toBucket, with from's block sums; kObjectCorrupted if the file is missing.
  Result<Lom> linkInstallLocked(Mountpath& mp, std::string_view fromBucket, const Lom& from,
                                std::string_view toBucket, Lom to, bool sync);
  // A version of a versioned bucket's key moving in (rebalance: mtimeNs set) where the key may
  // already have newer ones (written or deleted here while it was still on its old target): if
  // anything here is newer, it is installed as a kept version (the result); if it is the newest,
  // the current one here is kept first and nullopt lets the commit replace it as usual.
  std::optional<Result<Lom>> placeMovedLocked(ObjectWriter& w, const Lom& lom,
                                              const BlockSums& blocks);
  // Links the current version (`cur` on mountpath i) into the versions bucket under its id.
  Status keepVersionLocked(std::string_view bucket, const Lom& cur, size_t i, bool sync);
  // Removes one name from every mountpath (main copy last); false if none had it.
  Result<bool> removeAllLocked(std::string_view bucket, std::string_view name);
  // The kept versions of a key (versions bucket LOMs), newest first.
  Result<std::vector<Lom>> keptVersionsLocked(std::string_view bucket, std::string_view key);
  // With no current version: the newest kept one becomes current unless it is a delete marker.
  Status promoteLocked(std::string_view bucket, std::string_view key);

  MountpathSet mps_;
  size_t enabledCount() const;
  const uint64_t boot_;  // random per process: changes() counts restart from 0
  NameLocks locks_;
  std::atomic<uint64_t> workSeq_{0};  // unique work file and trash names
  std::atomic<uint64_t> corruptReads_{0};
  std::atomic<uint64_t> missingFiles_{0};
  std::atomic<uint64_t> orphans_{0};
  IntegrityStats startup_;  // what reconciliation found
  DiskFaults* faults_ = nullptr;
  OpenFiles openFiles_;   // forgotten wherever a name's files change (open_files.h)
  DeletedNames deleted_;  // clients' recent deletes, against moves that come in late
  std::unique_ptr<PreparedFiles> prepared_;  // null unless prepareWorkFiles()
  mutable std::mutex policiesMu_;
  std::map<std::string, BucketPolicy, std::less<>> policies_;
  std::mutex repairMu_;
  std::set<std::string> repairing_;  // uname of objects whose repair is queued
  std::function<void(const std::string&, const std::string&)> repairHook_;
};

}  // namespace ais::store
