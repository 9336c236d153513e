#include "proto/data_sink.h"

#include <kj/debug.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/zeros.h"

namespace ais::proto {

Status SinkState::consume(const void* data, size_t size) {
  if (!error.ok()) return error;
  if (closed) return error = Status(Code::kInternal, "data after the end of the transfer");
  XXH64_update(hash, data, size);
  if (fd < 0) {
    buffer.append(static_cast<const char*>(data), size);
  } else {
    const char* p = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        Code code = errno == ENOSPC ? Code::kOutOfSpace : Code::kIoError;
        return error = Status(code, std::string("writing output: ") + std::strerror(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  bytes += size;
  if (progress) progress(bytes, 0);
  return Status::OK();
}

Status SinkState::consumeZeros(uint64_t len) {
  if (!error.ok()) return error;
  if (closed) return error = Status(Code::kInternal, "data after the end of the transfer");
  if (len > kMaxZeroRun) return error = Status(Code::kInternal, "a run of zeros over 64 MiB");
  if (fd >= 0) {
    // Past the end of a regular file a hole reads as zeros: seek over it and grow the file.
    struct stat st {};
    off_t pos = ::lseek(fd, 0, SEEK_CUR);
    if (pos >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= pos) {
      off_t end = pos + static_cast<off_t>(len);
      if (::ftruncate(fd, end) != 0 || ::lseek(fd, end, SEEK_SET) != end) {
        Code code = errno == ENOSPC || errno == EFBIG ? Code::kOutOfSpace : Code::kIoError;
        return error = Status(code, std::string("growing output: ") + std::strerror(errno));
      }
      xxh64UpdateZeros(hash, len);
      bytes += len;
      if (progress) progress(bytes, 0);
      return Status::OK();
    }
  }
  for (uint64_t left = len; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, kZeroPageBytes));
    AIS_RETURN_IF_ERROR(consume(zeroPage(), n));
    left -= n;
  }
  return Status::OK();
}

kj::Promise<void> DataSink::writeZeros(WriteZerosContext context) {
  Status st = state_->consumeZeros(context.getParams().getLength());
  KJ_REQUIRE(st.ok(), "sink refused data", st.toString());
  return kj::READY_NOW;
}

kj::Promise<void> DataSink::write(WriteContext context) {
  auto chunk = context.getParams().getChunk();
  Status st = state_->consume(chunk.begin(), chunk.size());
  KJ_REQUIRE(st.ok(), "sink refused data", st.toString());
  return kj::READY_NOW;
}

}  // namespace ais::proto
