// Local changes to one file not yet stored. Sequential writes from offset 0 stream to the owner
// target through a PutHandle (kStream); any other pattern copies the object into an unlinked
// temp file in the spool dir (kSpool) that is PUT whole on flush/fsync/close. Guarded by the
// inode's mutex.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "proto/client.h"

namespace ais::fusefs {

struct WriteState {
  enum class Mode { kEmpty, kStream, kSpool };

  ~WriteState();
  void closeSpool();

  Mode mode = Mode::kEmpty;        // kEmpty: truncated to 0 or new, no bytes yet
  bool dirty = true;               // differs from the stored object
  uint64_t size = 0;               // logical size of the file
  std::unique_ptr<PutHandle> put;  // kStream
  std::string buf;                 // kStream: bytes not yet handed to `put` (batched to ~1 MiB)
  int fd = -1;                     // kSpool
  uint64_t spoolAccounted = 0;     // bytes counted against the spool limit
  Status error;           // first failure since the last store: reported by flush/fsync/close
  bool mtimeSet = false;  // utimens after the last write: keep posix.mtime_ns on store
  bool queued = false;    // closed and waiting in the write batcher (write-behind)
};

}  // namespace ais::fusefs
