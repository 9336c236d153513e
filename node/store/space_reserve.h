// SpaceReserve: the free space a mountpath keeps for its LOM database. Object bytes (PUTs,
// copies, moves and repairs, all written through ObjectWriter) are refused with kOutOfSpace
// once they would leave less than the reserve available, so RocksDB's log, memtable flushes
// and compactions always find room: a RocksDB that meets a full disk stops taking any write
// (deletes too) until space returns. Others filling the disk can still get it there; the
// mountpath then refuses writes until space is freed (lom_db.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/status.h"

namespace ais::store {

class SpaceReserve {
 public:
  explicit SpaceReserve(std::string path) : path_(std::move(path)) {}
  SpaceReserve(const SpaceReserve&) = delete;
  SpaceReserve& operator=(const SpaceReserve&) = delete;

  // Whether `bytes` more may be written now. Reads the file system's figures at most every
  // 100 ms, and at once when what was admitted since could cross the line.
  Status admit(uint64_t bytes);

  // What a file system of `capacity` bytes keeps free: 2% of it, at least 64 MiB (four of the
  // LomDb's memtables) but never more than a quarter of a small one, at most 1 GiB.
  static uint64_t reserveFor(uint64_t capacity);

 private:
  Status refresh(uint64_t bytes, int64_t nowNs);
  const std::string path_;
  std::mutex mu_;
  std::atomic<uint64_t> headroom_{0};  // available - reserve at the last look (0 if under it)
  std::atomic<uint64_t> admitted_{0};  // bytes admitted since that look
  std::atomic<int64_t> checkedNs_{0};  // when it was (0: never)
};

}  // namespace ais::store
