// Damage behind the store's back, for tests of what a target does with bad bytes on disk.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace ais::testing {

// One byte at `off` of the file XOR 0x5A.
inline void flipByte(const std::string& path, uint64_t off) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(off));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(off));
  f.put(static_cast<char>(c ^ 0x5A));
}

}  // namespace ais::testing
