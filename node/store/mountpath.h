// A mountpath: one directory (normally one disk) with its own LomDb at <mp>/.ais.lomdb.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/store/lom_db.h"

namespace ais::store {

struct Mountpath {
  std::string path;     // absolute, no trailing '/'
  uint64_t digest = 0;  // xxhash64(path): its HRW id
  std::unique_ptr<LomDb> db;
};

// Creates the directory if missing and returns its canonical absolute path.
Result<std::string> normalizeMountpath(const std::string& path);
// normalizeMountpath, then opens the LomDb.
Result<std::unique_ptr<Mountpath>> openMountpath(const std::string& path);

// Crash recovery, run before serving: resolves pending markers, removes work files and trash, and
// deletes LOMs whose file is gone. See README.md for the invariants it restores.
Status reconcile(Mountpath& mp);

}  // namespace ais::store
