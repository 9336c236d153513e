#include "common/host_info.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace ais {
namespace {

// "MemTotal:  16303492 kB" -> bytes, for the line starting with key.
uint64_t meminfoBytes(const char* text, const char* key) {
  const char* at = std::strstr(text, key);
  if (!at) return 0;
  return std::strtoull(at + std::strlen(key), nullptr, 10) * 1024;
}

}  // namespace

HostInfo readHostInfo() {
  HostInfo h;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  h.cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 0;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char buf[4096];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    std::fclose(f);
    h.memTotalBytes = meminfoBytes(buf, "MemTotal:");
    h.memAvailableBytes = meminfoBytes(buf, "MemAvailable:");
  }
  double load[1];
  if (getloadavg(load, 1) == 1) h.loadAvg1 = load[0];
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
      h.processRssBytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
  return h;
}

}  // namespace ais
