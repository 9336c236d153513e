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
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "node/store/disk_faults.h"
#include "node/store/lom.h"
#include "node/store/lom_db.h"
#include "node/store/name_locks.h"
#include "node/store/object_reader.h"
#include "node/store/object_writer.h"

namespace ais::store {

struct Mountpath;

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
  std::vector<std::string> corrupt, missing, orphaned, errors;
};

struct Capacity {
  uint64_t totalBytes = 0;
  uint64_t availBytes = 0;
};

class Store {
 public:
  // Creates missing mountpath directories, opens their LomDbs and reconciles each after a crash.
  static Result<std::unique_ptr<Store>> open(std::vector<std::string> mountpaths);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<std::unique_ptr<ObjectWriter>> beginPut(std::string_view bucket, std::string_view name,
                                                 PutOptions opts = {});
  Result<Lom> putBytes(std::string_view bucket, std::string_view name, std::string_view data,
                       PutOptions opts = {});

  // kObjectNotFound if there is no LOM; kObjectCorrupted if the LOM's file is missing or does not
  // match it. The reader verifies every block it reads. An object stored before block checksums
  // is verified whole here and gets them.
  Result<std::unique_ptr<ObjectReader>> openObject(std::string_view bucket, std::string_view name);
  Result<Lom> head(std::string_view bucket, std::string_view name);
  Status remove(std::string_view bucket, std::string_view name);
  // Overwrites an existing `to`; kObjectNotFound if `from` is missing.
  Status rename(std::string_view bucket, std::string_view from, std::string_view to);
  // Replaces the custom metadata; the version is unchanged (the bytes are).
  Result<Lom> setCustom(std::string_view bucket, std::string_view name,
                        std::map<std::string, std::string> custom);

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
  Result<ValidateReport> validate(size_t mountpath, std::string_view bucket,
                                  ScrubCounters* progress = nullptr);

  uint64_t objectCount() const;  // estimate
  IntegrityStats integrityStats() const;
  Result<Capacity> capacity() const;

  // On-disk path of an existing object.
  Result<std::string> fqn(std::string_view bucket, std::string_view name);
  // HRW-selected mountpath of a name (whether or not the object exists).
  const std::string& mountpathOf(std::string_view bucket, std::string_view name) const;
  // Its index in mountpaths() (I/O workers are per mountpath).
  size_t mountpathIndex(std::string_view bucket, std::string_view name) const;
  std::vector<std::string> mountpaths() const;

  // Tests: every object read, write and fsync goes through `faults` from now on (call before
  // serving; it must outlive the store).
  void setDiskFaults(DiskFaults* faults) { faults_ = faults; }

 private:
  friend class ObjectWriter;
  explicit Store(std::vector<std::unique_ptr<Mountpath>> mps);

  Mountpath& mountpathFor(std::string_view bucket, std::string_view name) const;
  std::mutex& lockFor(std::string_view bucket, std::string_view name);
  Result<std::optional<Lom>> readLom(Mountpath& mp, std::string_view bucket, std::string_view name);
  // The LOM's block checksums ({0, {}} for an object stored before them).
  Result<BlockSums> readBlocks(Mountpath& mp, std::string_view bucket, const Lom& lom);
  // Hashes the whole file behind fd; if it matches the LOM, stores its block checksums.
  Result<BlockSums> addBlocksLocked(Mountpath& mp, std::string_view bucket, Lom& lom, int fd,
                                    const std::string& what);
  Result<std::unique_ptr<ObjectWriter>> newWriter(Mountpath& mp, std::string_view bucket,
                                                  std::string_view name, PutOptions opts);
  // Moves `src` into place as `lom.name` and commits the LOM (plus `extra`), under the name lock.
  Result<Lom> installLocked(Mountpath& mp, std::string_view bucket, const std::string& src, Lom lom,
                            const BlockSums& blocks, bool sync, LomDb::Batch extra);
  // Renames src to the object's path; switches lom to hashed (and re-marks) on a collision.
  Status placeFile(Mountpath& mp, std::string_view bucket, const std::string& src, Lom& lom,
                   const std::string& marker);
  Status removeLocked(Mountpath& mp, std::string_view bucket, const Lom& lom);
  Result<Lom> commitWork(ObjectWriter& w, uint64_t checksum, const BlockSums& blocks);

  std::vector<std::unique_ptr<Mountpath>> mps_;
  std::vector<uint64_t> digests_;  // mps_[i]->digest, for hrwSelect
  NameLocks locks_;
  std::atomic<uint64_t> workSeq_{0};  // unique work file and trash names
  std::atomic<uint64_t> corruptReads_{0};
  std::atomic<uint64_t> missingFiles_{0};
  std::atomic<uint64_t> orphans_{0};
  IntegrityStats startup_;  // what reconciliation found
  DiskFaults* faults_ = nullptr;
};

}  // namespace ais::store
