// Reading a whole small file of known size into memory (a file PUT in one message).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/status.h"

namespace ais {

// Reads exactly `size` bytes from fd at its current position; kIoError naming `path` if fewer
// come, or (checkGrown) if more follow: the file changed while being read.
inline Result<std::string> readExactly(int fd, size_t size, const std::string& path,
                                       bool checkGrown = true) {
  std::string data(size, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  char extra;
  if (got != data.size() || (checkGrown && ::read(fd, &extra, 1) > 0)) {
    return Status(Code::kIoError, path + ": changed while being read");
  }
  return data;
}

}  // namespace ais
