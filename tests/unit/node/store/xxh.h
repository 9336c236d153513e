// The xxh64 (seed 0) of a string: the checksum the store tests expect for their payloads.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace ais::store::testing {

inline uint64_t xxh(std::string_view s) { return XXH64(s.data(), s.size(), 0); }

}  // namespace ais::store::testing
