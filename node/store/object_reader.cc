#include "node/store/object_reader.h"

#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/log.h"
#include "node/store/fs.h"

namespace ais::store {

bool verifyReadsEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("AIS_BENCH_SKIP_VERIFY");
    bool skip = v && std::string_view(v) == "1";
    if (skip) log::error("AIS_BENCH_SKIP_VERIFY=1: reads are NOT verified (benchmarks only)");
    return !skip;
  }();
  return enabled;
}

ObjectReader::ObjectReader(Lom lom, BlockSums blocks, std::shared_ptr<const OpenFile> file,
                           std::string what, std::atomic<uint64_t>* corruptCount, size_t mountpath,
                           DiskFaults* faults)
    : lom_(std::move(lom)),
      blocks_(std::move(blocks)),
      file_(std::move(file)),
      fd_(file_->fd()),
      what_(std::move(what)),
      corruptCount_(corruptCount),
      mountpath_(mountpath),
      faults_(faults),
      verify_(verifyReadsEnabled()) {}

ObjectReader::~ObjectReader() = default;

uint64_t ObjectReader::blockBytes(uint64_t b) const {
  uint64_t start = b * blocks_.blockSize;
  return std::min<uint64_t>(blocks_.blockSize, lom_.size - start);
}

Status ObjectReader::rawRead(char* dst, size_t len, uint64_t off, bool report) {
  size_t done = 0;
  while (done < len) {
    struct iovec iov {
      dst + done, len - done
    };
    ssize_t n =
        ::preadv2(fd_, &iov, 1, static_cast<off_t>(off + done), cachedOnly_ ? RWF_NOWAIT : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (cachedOnly_) return Status(Code::kWouldBlock, what_);
      return ioError("pread", what_, errno);
    }
    if (n == 0) {
      if (cachedOnly_) return Status(Code::kWouldBlock, what_);
      if (!report) return Status(Code::kObjectCorrupted, what_);
      if (corruptCount_) corruptCount_->fetch_add(1, std::memory_order_relaxed);
      log::error("{}: file ends at {} but its LOM says {} bytes", what_, off + done, lom_.size);
      return Status(Code::kObjectCorrupted, what_ + ": file shorter than its metadata");
    }
    done += static_cast<size_t>(n);
  }
  if (faults_) {
    if (int err = faults_->afterRead(what_, off, dst, len)) {
      if (cachedOnly_) return Status(Code::kWouldBlock, what_);
      return ioError("pread", what_, err);
    }
  }
  return Status::OK();
}

Status ObjectReader::readBlock(uint64_t b, char* dst) {
  uint64_t n = blockBytes(b);
  AIS_RETURN_IF_ERROR(rawRead(dst, n, b * blocks_.blockSize));
  if (!verify_) return Status::OK();
  uint64_t got = blockSum(blocks_.hash, dst, n);
  if (got != blocks_.sums[b]) {
    std::memset(dst, 0, n);  // never leave bad bytes in a caller's buffer
    if (cachedOnly_) return Status(Code::kWouldBlock, what_);  // verify() reports it
    if (corruptCount_) corruptCount_->fetch_add(1, std::memory_order_relaxed);
    log::error("{}: block {} (bytes {}..{}) has checksum {:016x}, expected {:016x}", what_, b,
               b * blocks_.blockSize, b * blocks_.blockSize + n, got, blocks_.sums[b]);
    return Status(Code::kObjectCorrupted,
                  fmt::format("{}: bad block at offset {}", what_, b * blocks_.blockSize));
  }
  return Status::OK();
}

Status ObjectReader::readBlockAnyCopy(uint64_t b, char* dst) {
  Status st = readBlock(b, dst);
  if (cachedOnly_) return st;  // (failing over may wait for a disk)
  while (!st.ok() && failover_) {
    auto other = failover_(*this);
    if (!other) break;
    if (other->blocks_.blockSize != blocks_.blockSize || other->lom_.size != lom_.size) continue;
    log::warn("{}: reading {} instead", what_, other->what_);
    std::swap(file_, other->file_);
    std::swap(fd_, other->fd_);
    std::swap(blocks_, other->blocks_);
    std::swap(what_, other->what_);
    mountpath_ = other->mountpath_;
    degraded_ = true;
    st = readBlock(b, dst);
  }
  return st;
}

Result<size_t> ObjectReader::read(void* buf, size_t len, uint64_t off) {
  if (off >= lom_.size || len == 0) return size_t{0};
  len = std::min<uint64_t>(len, lom_.size - off);
  const uint64_t bs = blocks_.blockSize;
  auto out = static_cast<char*>(buf);
  uint64_t end = off + len;
  for (uint64_t b = off / bs; b * bs < end; ++b) {
    uint64_t start = b * bs, n = blockBytes(b);
    if (start >= off && start + n <= end) {
      AIS_RETURN_IF_ERROR(
          readBlockAnyCopy(b, out + (start - off)));  // whole block wanted: in place
      continue;
    }
    if (!scratch_) scratch_.reset(new char[bs]);  // (not zeroed: always written before read)
    AIS_RETURN_IF_ERROR(readBlockAnyCopy(b, scratch_.get()));
    uint64_t from = std::max(start, off), to = std::min(start + n, end);
    std::memcpy(out + (from - off), scratch_.get() + (from - start), to - from);
  }
  return len;
}

Status ObjectReader::verifyAll() {
  bool typed = !lom_.checksumValue.empty() && lom_.checksumType != kChecksumXxhash64 &&
               lom_.checksumType != "none";
  Hasher h(typed ? lom_.checksumType : "");
  if (!h.valid()) return verify(0, lom_.size);
  std::vector<char> buf(std::min<uint64_t>(lom_.size, 1 << 20));
  for (uint64_t off = 0; off < lom_.size;) {
    auto n = read(buf.data(), buf.size(), off);
    AIS_RETURN_IF_ERROR(n);
    if (*n == 0) break;
    h.update(std::string_view(buf.data(), *n));
    off += *n;
  }
  std::string got = toHex(h.finish());
  if (got != lom_.checksumValue) {
    if (corruptCount_) corruptCount_->fetch_add(1, std::memory_order_relaxed);
    log::error("{}: {} checksum {} does not match the stored {}", what_, lom_.checksumType, got,
               lom_.checksumValue);
    return Status(Code::kObjectCorrupted,
                  what_ + ": content does not match its " + lom_.checksumType + " checksum");
  }
  return Status::OK();
}

Status ObjectReader::verify(uint64_t off, uint64_t len) {
  if (off >= lom_.size || len == 0 || !verify_) return Status::OK();
  uint64_t end = std::min(off + len, lom_.size);
  const uint64_t bs = blocks_.blockSize;
  // Several blocks per read (a 1 MiB piece: 4 system calls, not 16) into a buffer of the thread
  // that stays in its core's cache; verify() never suspends, so the buffer is this call's.
  const uint64_t per = std::max<uint64_t>(1, kVerifyReadBytes / bs);
  thread_local std::vector<char> buf;
  if (buf.size() < per * bs) buf.resize(per * bs);
  uint64_t b = off / bs, last = (end - 1) / bs;
  while (b <= last) {
    uint64_t k = std::min(per, last - b + 1);
    uint64_t from = b * bs, to = std::min((b + k) * bs, lom_.size);
    uint64_t good = 0;  // blocks of this read that check out
    if (rawRead(buf.data(), to - from, from, /*report=*/false).ok()) {
      while (good < k && blockSum(blocks_.hash, buf.data() + good * bs, blockBytes(b + good)) ==
                             blocks_.sums[b + good]) {
        ++good;
      }
    }
    b += good;
    if (good == k) continue;
    // A read that failed or a bad block: block by block, which reports, counts and fails over.
    AIS_RETURN_IF_ERROR(readBlockAnyCopy(b, buf.data()));
    ++b;
  }
  return Status::OK();
}

Status ObjectReader::verifyCached(uint64_t off, uint64_t len) {
  cachedOnly_ = true;
  Status st = verify(off, len);
  cachedOnly_ = false;
  return st;
}

Result<size_t> ObjectReader::readCached(void* buf, size_t len, uint64_t off) {
  cachedOnly_ = true;
  auto n = read(buf, len, off);
  cachedOnly_ = false;
  return n;
}

}  // namespace ais::store
