#include "node/store/object_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

#include "common/zeros.h"
#include "node/store/change_writer.h"
#include "node/store/fs.h"
#include "node/store/space_reserve.h"
#include "node/store/store.h"

namespace ais::store {

ObjectWriter::ObjectWriter(Store& store, Mountpath& mp, std::string bucket, std::string name,
                           std::string workPath, int fd, PutOptions opts)
    : store_(store),
      mp_(mp),
      bucket_(std::move(bucket)),
      name_(std::move(name)),
      workPath_(std::move(workPath)),
      fd_(fd),
      opts_(std::move(opts)) {}

namespace {

constexpr size_t kHoleBlock = 4096;  // the unit of holes: a filesystem block

}  // namespace

ObjectWriter::~ObjectWriter() { discard(); }

void ObjectWriter::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!finished_) {
    ::unlink(workPath_.c_str());  // best effort: startup reconciliation removes leftovers
    finished_ = true;
  }
}

void ObjectWriter::setChecksumType(std::string type) {
  checksumType_ = std::move(type);
  typed_.reset();
  if (checksumType_ != kChecksumXxhash64 && checksumType_ != "none") {
    typed_ = std::make_unique<Hasher>(checksumType_);
  }
}

Status ObjectWriter::write(const void* data, size_t len) {
  if (finished_) return Status(Code::kInternal, "write after commit: " + name_);
  if (!writeError_.ok()) return writeError_;
  int injected = store_.faults_ ? store_.faults_->beforeWrite(workPath_, len) : 0;
  Status s = injected ? ioError("write", workPath_, injected) : Status::OK();
  if (s.ok() && mp_.space) s = mp_.space->admit(len);
  // Runs of data are written; whole aligned blocks of zeros are skipped (holes).
  const char* p = static_cast<const char*>(data);
  size_t i = 0;
  while (s.ok() && i < len) {
    size_t start = i;
    bool zero = false;
    while (i < len) {
      uint64_t at = size_ + i;
      size_t end = std::min(len, i + (kHoleBlock - at % kHoleBlock));
      zero = end - i == kHoleBlock && allZero(p + i, kHoleBlock);
      if (zero) break;
      i = end;
    }
    if (i > start) {
      s = pwriteAll(fd_, p + start, i - start, size_ + start, workPath_);
      // Runs are written in order; one may begin in the block where the last one ended.
      uint64_t first = (size_ + start) / kHoleBlock, last = (size_ + i - 1) / kHoleBlock;
      bool shared = fileEnd_ != 0 && (fileEnd_ - 1) / kHoleBlock == first;
      dataBlocks_ += last - first + (shared ? 0 : 1);
      fileEnd_ = size_ + i;
    }
    if (zero) i += kHoleBlock;
  }
  if (!s.ok()) {
    writeError_ = s;
    return s;
  }
  hasher_.update(data, len);
  if (typed_) typed_->update(std::string_view(static_cast<const char*>(data), len));
  size_ += len;
  return Status::OK();
}

void ObjectWriter::hashZeros(uint64_t len) {
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, kZeroPageBytes));
    hasher_.update(zeroPage(), n);
    if (typed_) typed_->update(std::string_view(zeroPage(), n));
    len -= n;
  }
}

Status ObjectWriter::writeZeros(uint64_t len) {
  if (finished_) return Status(Code::kInternal, "write after commit: " + name_);
  if (!writeError_.ok()) return writeError_;
  if (len > kMaxSparseObjectBytes || size_ > kMaxSparseObjectBytes - len) {
    writeError_ =
        Status(Code::kInvalidArgument, fmt::format("{}/{}: a sparse object may not exceed {} bytes",
                                                   bucket_, name_, kMaxSparseObjectBytes));
    return writeError_;
  }
  hashZeros(len);
  size_ += len;
  return Status::OK();
}

uint64_t ObjectWriter::holeBytes() const {
  uint64_t stored = dataBlocks_ * kHoleBlock;
  return size_ > stored ? size_ - stored : 0;
}

Status ObjectWriter::extendToSize() {
  if (fileEnd_ >= size_) return Status::OK();
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
    return ioError("truncate", workPath_, errno);
  fileEnd_ = size_;
  return Status::OK();
}

Result<size_t> ObjectWriter::readBack(char* buf, size_t len, uint64_t off) const {
  if (finished_) return Status(Code::kInternal, "read back after commit: " + name_);
  if (off >= size_) return size_t{0};
  len = static_cast<size_t>(std::min<uint64_t>(len, size_ - off));
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd_, buf + got, len - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ioError("read back", workPath_, errno);
    if (n == 0) {
      if (off + got < fileEnd_) break;       // the file is shorter than what was written to it
      std::memset(buf + got, 0, len - got);  // a trailing hole, not yet in the file's size
      got = len;
      break;
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

Result<uint64_t> ObjectWriter::seal(std::optional<uint64_t> expectedChecksum, bool fsyncNow) {
  if (finished_) return Status(Code::kInternal, "commit after commit: " + name_);
  if (!writeError_.ok()) {
    discard();
    return writeError_;
  }
  uint64_t checksum = hasher_.wholeChecksum();
  if (expectedChecksum && *expectedChecksum != checksum) {
    discard();
    return Status(Code::kChecksumMismatch,
                  fmt::format("{}/{}: expected {:016x}, got {:016x}", bucket_, name_,
                              *expectedChecksum, checksum));
  }
  if (Status ext = extendToSize(); !ext.ok()) {
    discard();
    return ext;
  }
  int injected = opts_.fsync && store_.faults_ ? store_.faults_->beforeFsync(workPath_) : 0;
  if (injected || (fsyncNow && opts_.fsync && ::fsync(fd_) != 0)) {
    Status s = ioError("fsync", workPath_, injected ? injected : errno);
    discard();
    return s;
  }
  ::close(fd_);
  fd_ = -1;
  return checksum;
}

Result<Lom> ObjectWriter::commit(std::optional<uint64_t> expectedChecksum) {
  // (a writer given to the store call as a whole stays if the options name none)
  ChangeWriterScope writer(opts_.changeWriter ? opts_.changeWriter : currentChangeWriter());
  auto checksum = seal(expectedChecksum, /*fsyncNow=*/true);
  if (!checksum.ok()) return checksum.status();
  auto lom = store_.commitWork(*this, *checksum, hasher_.blocks());
  if (!lom.ok()) {
    discard();  // the work file may still be there
    return lom;
  }
  finished_ = true;  // the work file is now the object: never unlink it
  return lom;
}

}  // namespace ais::store
