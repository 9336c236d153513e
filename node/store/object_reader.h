// ObjectReader: an open object file together with the LOM and block checksums that describe
// exactly those bytes (all taken under the name lock, so a concurrent overwrite cannot mix them).
// Every byte it hands out has been verified against its block checksum first: a block that does
// not match fails the read with kObjectCorrupted, and nothing of that block is returned — unless a
// failover is set (mirrored objects): then the reader switches to another copy of the same bytes
// (same version and checksum, on another mountpath) and goes on from the same block.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/store/block_sums.h"
#include "node/store/disk_faults.h"
#include "node/store/lom.h"
#include "node/store/open_files.h"

namespace ais::store {

// Benchmarks only: AIS_BENCH_SKIP_VERIFY=1 in a target's environment turns block verification
// off (logged as an error at startup), to measure what verification costs. Never in production.
bool verifyReadsEnabled();

// verify() reads up to this many bytes of whole blocks per system call.
inline constexpr uint64_t kVerifyReadBytes = 256 << 10;

class ObjectReader {
 public:
  // corruptCount (may be null) is incremented on each corrupt block found; faults (tests, may be
  // null) sees every pread.
  ObjectReader(Lom lom, BlockSums blocks, std::shared_ptr<const OpenFile> file, std::string what,
               std::atomic<uint64_t>* corruptCount = nullptr, size_t mountpath = 0,
               DiskFaults* faults = nullptr);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Another copy of the same bytes for a reader that met a bad block, a short file or an I/O
  // error; nullptr when there is none left. Called without any Store lock held.
  using Failover = std::function<std::unique_ptr<ObjectReader>(const ObjectReader& failed)>;
  void setFailover(Failover failover) { failover_ = std::move(failover); }
  // True if the bytes come (or came) from a copy because another one was missing or damaged.
  bool degraded() const { return degraded_; }
  void setDegraded() { degraded_ = true; }

  const Lom& lom() const { return lom_; }
  size_t mountpathIndex() const { return mountpath_; }  // of the Store that opened it
  // Borrowed; valid while the reader lives, and may change when a read fails over to another
  // copy. For sendfile: call verify() on the range first, then fd().
  int fd() const { return fd_; }
  // Reads min(len, size - off) verified bytes at off (0 at or past the end).
  Result<size_t> read(void* buf, size_t len, uint64_t off);
  // Reads and verifies every block that [off, off+len) touches (leaving them in the page cache),
  // without copying them out.
  Status verify(uint64_t off, uint64_t len);
  // verify() for a network thread: only from the page cache (preadv2 RWF_NOWAIT), no failover.
  // kWouldBlock if a block is not in memory, and also if one fails (verify() on an I/O worker
  // then fails over, counts and reports it).
  Status verifyCached(uint64_t off, uint64_t len);
  // read() under verifyCached's rules.
  Result<size_t> readCached(void* buf, size_t len, uint64_t off);
  // The whole object: every block, and the typed checksum of the LOM (md5, sha256, crc32c) when it
  // has one (a scrub's check; reads rely on the blocks).
  Status verifyAll();

 private:
  // Reads block b whole into dst (its size: blockBytes(b)) and checks it.
  Status readBlock(uint64_t b, char* dst);
  // readBlock, switching to other copies (failover_) while it fails.
  Status readBlockAnyCopy(uint64_t b, char* dst);
  uint64_t blockBytes(uint64_t b) const;
  // report: a file shorter than its LOM is logged and counted as corrupt (else only failed).
  Status rawRead(char* dst, size_t len, uint64_t off, bool report = true);

  Lom lom_;
  BlockSums blocks_;
  std::shared_ptr<const OpenFile> file_;  // may be shared with Store's OpenFiles
  int fd_;                                // file_'s
  std::string what_;                      // "<mountpath>: ais://bucket/name" for errors
  std::atomic<uint64_t>* corruptCount_;
  size_t mountpath_;
  DiskFaults* faults_;
  bool verify_;
  std::unique_ptr<char[]> scratch_;  // one block, for partially requested blocks
  Failover failover_;
  bool degraded_ = false;
  bool cachedOnly_ = false;  // during verifyCached and readCached
};

}  // namespace ais::store
