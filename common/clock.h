// Wall-clock time as stored in LOMs, metadata and job records: nanoseconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace ais {

inline int64_t unixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ais
