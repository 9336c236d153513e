// A ustar member header, for tests and benchmarks that build TAR shards byte by byte (the
// archive tests also use GNU tar's own).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace ais::testing {

inline std::string ustarHeader(const std::string& name, unsigned long long size, char type = '0') {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 124, 12, "%011llo", size);
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = type;
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

}  // namespace ais::testing
