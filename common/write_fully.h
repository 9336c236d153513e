// Writing a whole buffer at an offset: pwrite until every byte is down, through short writes and
// EINTR. Callers turn the errno into their own Status (the store names the path and maps ENOSPC).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace ais {

// 0, or the errno of the pwrite that failed.
inline int pwriteFully(int fd, const void* data, size_t len, uint64_t off) {
  auto p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    off += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace ais
