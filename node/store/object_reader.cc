#include "node/store/object_reader.h"

#include <unistd.h>

#include <cerrno>

#include "node/store/fs.h"

namespace ais::store {

ObjectReader::~ObjectReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> ObjectReader::pread(void* buf, size_t len, uint64_t off) const {
  size_t done = 0;
  auto p = static_cast<char*>(buf);
  while (done < len) {
    ssize_t n = ::pread(fd_, p + done, len - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("pread", lom_.name, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace ais::store
