// A mountpath: one directory (normally one disk) with its own LomDb at <mp>/.ais.lomdb.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/store/lom_db.h"
#include "node/store/space_reserve.h"

namespace ais::store {

struct IntegrityStats;

struct Mountpath {
  std::string path;     // absolute, no trailing '/'
  uint64_t digest = 0;  // xxhash64(path): its HRW id
  std::unique_ptr<LomDb> db;
  std::unique_ptr<SpaceReserve> space;  // what object bytes leave free for db (openMountpath)
  // The LomDb was missing or unreadable and is new: rebuildLoms must run.
  bool lomDbLost = false;
  // The LomDb did not exist before this open (a new, wiped or lost mountpath): its objects, if
  // any, are elsewhere (Store::needsResilver).
  bool createdDb = false;
  // Disabled (by an operator, kept across restarts by <mp>/.ais.disabled): no new object or
  // copy goes here; what is here is still read until the resilver job has moved it.
  std::atomic<bool> enabled{true};
  // Its file system went read-only (an error made the kernel remount it, or it was mounted so):
  // out of HRW for new objects like a disabled one (in memory only: nothing can be written on it),
  // its objects still read. Set at open or by noteWriteFault.
  std::atomic<bool> faulted{false};
  // Detached at runtime (empty, and disabled): out of every use until the process restarts
  // without it (the node's mountpath overrides drop it from the list).
  std::atomic<bool> detached{false};
};

// The target's mountpaths. Attached ones are appended while the node runs and none is removed
// before it restarts (a detached one stays, empty and disabled), so threads that read them take
// no lock: a slot is filled first, then published by the count (release/acquire). Appends are
// serialized by the caller.
class MountpathSet {
 public:
  static constexpr size_t kMax = 64;
  size_t size() const { return size_.load(std::memory_order_acquire); }
  const std::unique_ptr<Mountpath>& operator[](size_t i) const { return slots_[i]; }
  const std::unique_ptr<Mountpath>* begin() const { return slots_.data(); }
  const std::unique_ptr<Mountpath>* end() const { return slots_.data() + size(); }
  uint64_t digest(size_t i) const { return digests_[i]; }  // its HRW id
  Status append(std::unique_ptr<Mountpath> mp) {
    size_t n = size_.load(std::memory_order_relaxed);
    if (n == kMax) {
      return Status(Code::kInvalidArgument,
                    "a target has at most " + std::to_string(kMax) + " mountpaths");
    }
    digests_[n] = mp->digest;
    slots_[n] = std::move(mp);
    size_.store(n + 1, std::memory_order_release);
    return Status::OK();
  }

 private:
  std::array<std::unique_ptr<Mountpath>, kMax> slots_;
  std::array<uint64_t, kMax> digests_{};
  std::atomic<size_t> size_{0};
};

inline constexpr const char* kDisabledMarker = ".ais.disabled";

// Creates the directory if missing and returns its canonical absolute path.
Result<std::string> normalizeMountpath(const std::string& path);
// normalizeMountpath, then opens the LomDb. A missing LomDb beside existing objects, or one that
// cannot be opened (moved aside to .ais.lomdb.damaged.<time>), is created anew with lomDbLost set.
Result<std::unique_ptr<Mountpath>> openMountpath(const std::string& path);
// openMountpath, reconcile and, for a lost LomDb, rebuildLoms: a mountpath ready to serve. A
// LomDb that opens but fails RocksDB's block checksums while reconcile reads it is moved aside
// and rebuilt too.
Result<std::unique_ptr<Mountpath>> openAndRecover(const std::string& path, IntegrityStats* found);

// The refusal of a change (`refused`: "replaced", "removed") to an object a failed mountpath
// holds: its copy there could not be removed, and would come back once the disk is repaired.
Status heldByFailed(const Mountpath& mp, std::string_view bucket, std::string_view name,
                    std::string_view refused);
// A write on mp failed with err: if its file system is now read-only (or err is EIO), mp is
// faulted and taken out of HRW for new objects, loudly, once. True if it is (or was) faulted.
bool noteWriteFault(Mountpath& mp, int err);

// Crash recovery, run before serving: resolves pending markers, removes work files and trash,
// deletes LOMs whose file is gone and quarantines files that contradict their LOM. See README.md
// for the invariants it restores. Counts what it found in stats.
Status reconcile(Mountpath& mp, IntegrityStats* stats);
// After a lost LomDb: a LOM for every file under %ob (checksums recomputed, loudly); files stored
// by hash (their names were in the database) are quarantined.
Status rebuildLoms(Mountpath& mp, IntegrityStats* stats);

}  // namespace ais::store
