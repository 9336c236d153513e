// A mountpath: one directory (normally one disk) with its own LomDb at <mp>/.ais.lomdb.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/store/lom_db.h"

namespace ais::store {

struct IntegrityStats;

struct Mountpath {
  std::string path;     // absolute, no trailing '/'
  uint64_t digest = 0;  // xxhash64(path): its HRW id
  std::unique_ptr<LomDb> db;
  // The LomDb was missing or unreadable and is new: rebuildLoms must run.
  bool lomDbLost = false;
  // The LomDb did not exist before this open (a new, wiped or lost mountpath): its objects, if
  // any, are elsewhere (Store::needsResilver).
  bool createdDb = false;
  // Disabled (by an operator, kept across restarts by <mp>/.ais.disabled): no new object or
  // copy goes here; what is here is still read until the resilver job has moved it.
  std::atomic<bool> enabled{true};
};

inline constexpr const char* kDisabledMarker = ".ais.disabled";

// Creates the directory if missing and returns its canonical absolute path.
Result<std::string> normalizeMountpath(const std::string& path);
// normalizeMountpath, then opens the LomDb. A missing LomDb beside existing objects, or one that
// cannot be opened (moved aside to .ais.lomdb.damaged.<time>), is created anew with lomDbLost set.
Result<std::unique_ptr<Mountpath>> openMountpath(const std::string& path);

// Crash recovery, run before serving: resolves pending markers, removes work files and trash,
// deletes LOMs whose file is gone and quarantines files that contradict their LOM. See README.md
// for the invariants it restores. Counts what it found in stats.
Status reconcile(Mountpath& mp, IntegrityStats* stats);
// After a lost LomDb: a LOM for every file under %ob (checksums recomputed, loudly); files stored
// by hash (their names were in the database) are quarantined.
Status rebuildLoms(Mountpath& mp, IntegrityStats* stats);

}  // namespace ais::store
