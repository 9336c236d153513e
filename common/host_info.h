// What a node reports of its host (AIStore's sysinfo): read from the kernel at each ask, so the
// figures are current and nothing is cached.
#pragma once

#include <cstdint>

namespace ais {

struct HostInfo {
  uint32_t cpus = 0;               // online
  uint64_t memTotalBytes = 0;      // MemTotal
  uint64_t memAvailableBytes = 0;  // MemAvailable
  double loadAvg1 = 0;             // 1-minute load average
  uint64_t processRssBytes = 0;    // this process's resident set
};

HostInfo readHostInfo();

}  // namespace ais
