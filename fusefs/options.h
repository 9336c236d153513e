// Command line of aisfs: what to mount, where, and the knobs of its caches, read-ahead and spool.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace ais::fusefs {

struct Options {
  std::string endpoint;  // host:port of the cluster's fabric (ENDPOINT, --endpoint, AIS_ENDPOINT)
  std::string bucket;    // set when mounting one bucket (ais://BUCKET)
  std::string mountpoint;
  bool foreground = false;            // -f
  bool debug = false;                 // -d: libfuse request tracing, implies -f
  bool singleThread = false;          // -s
  bool allowOther = false;            // -o allow_other
  bool readOnly = false;              // -o ro
  std::vector<std::string> fuseOpts;  // other -o options, passed to the kernel/libfuse
  // How long the kernel and aisfs trust attributes, from when the cluster was asked (every open
  // re-checks the version anyway: close-to-open).
  std::chrono::milliseconds attrTtl{1000};
  // How long a directory listing, a name and a negative lookup are trusted, counted the same way.
  std::chrono::milliseconds listTtl{1000};
  uint64_t readAhead = 8ull << 20;       // bytes fetched ahead of a sequential reader
  uint64_t readChunk = 1ull << 20;       // size of one ranged GET of the read-ahead
  uint64_t wholeObjectMax = 1ull << 20;  // objects up to this size are fetched in one GET
  uint64_t blockCache = 256ull << 20;    // memory for read bytes (block_cache.h); 0: none
  std::string spoolDir;                  // default $TMPDIR or /tmp
  uint64_t spoolLimit = 0;               // bytes of spooled (non-sequential) writes; 0: no limit
  uint32_t uid = 0;                      // owner of objects without posix.uid (default: caller)
  uint32_t gid = 0;
  mode_t fileMode = 0644;
  mode_t dirMode = 0755;
  int maxIdleThreads = 16;
  // Write-behind of small files (0: off): close() of a file up to 1 MiB written whole returns once
  // it is queued, and queued files are stored together (Client::putBatch) within this window or
  // at fsync/unmount (write_batcher.h).
  std::chrono::milliseconds batchWrites{0};
  // -o shards=dirs: TAR shards (objects named *.tar) appear as read-only directories of their
  // members (shard_view.h); shards=files (default): as the files they are.
  bool shardsAsDirs = false;
  // -o noxattr: no extended attributes (the kernel is told ENOSYS once and stops asking). With
  // them, the kernel asks for security.capability before every write(): a round trip each.
  bool xattrs = true;
  // Lease of the locks this mount holds on the cluster (renewed every third of it): how long the
  // locks of a mount that died stay held.
  std::chrono::milliseconds lockLease{30000};
};

// Parses argv. Returns kInvalidArgument with a message on a bad command line; `help`/`version`
// are set when the caller only wants text printed.
Result<Options> parseOptions(int argc, char** argv, bool& help, bool& version);
std::string usage(const char* prog);

}  // namespace ais::fusefs
