#include "proto/data_sink.h"

#include <kj/debug.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

kj::Promise<void> DataSink::write(WriteContext context) {
  auto chunk = context.getParams().getChunk();
  Status st = state_->consume(chunk.begin(), chunk.size());
  KJ_REQUIRE(st.ok(), "sink refused data", st.toString());
  return kj::READY_NOW;
}

}  // namespace ais::proto
