// Writing all of a buffer to a file descriptor (retrying short writes and EINTR), for the CLI's
// temporary and output files.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "tools/ais/exit_codes.h"

namespace ais::cli {

// `what` names the file in the error.
inline Status writeAll(int fd, std::string_view b, const std::string& what) {
  while (!b.empty()) {
    ssize_t n = ::write(fd, b.data(), b.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errnoStatus("writing " + what);
    b.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace ais::cli
