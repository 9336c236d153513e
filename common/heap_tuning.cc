#include "common/heap_tuning.h"

#include <malloc.h>

namespace ais {

namespace {
// The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2): blocks up to it are
// carved from the arenas, where a freed block is reused by the next allocation.
constexpr int kMmapThreshold = 32 << 20;
// Free memory at the top of an arena kept before trimming: a few hundred MiB of buffers in
// flight (16 connections x 4 MiB pieces, I/O workers' reads) stay mapped between requests.
constexpr int kTrimThreshold = 512 << 20;
}  // namespace

bool keepFreedMemory() {
  bool ok = ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  ok = ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1 && ok;
  return ok;
}

}  // namespace ais
