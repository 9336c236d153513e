// Runs of zero bytes: sparse objects send and store them as lengths, not bytes, while every
// checksum still covers them. One shared page of zeros to hash them from.
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ais {

inline constexpr size_t kZeroPageBytes = 64 << 10;

inline const char* zeroPage() {
  static const char zeros[kZeroPageBytes] = {};
  return zeros;
}

inline bool allZero(const void* data, size_t n) {
  auto p = static_cast<const char*>(data);
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

// Feeds len zero bytes to an XXH64 state, as if they had been read.
inline void xxh64UpdateZeros(XXH64_state_t* state, uint64_t len) {
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, kZeroPageBytes));
    XXH64_update(state, zeroPage(), n);
    len -= n;
  }
}

}  // namespace ais
