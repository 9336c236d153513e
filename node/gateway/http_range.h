// The Range header of a GET (RFC 9110 single byte ranges: bytes=a-b, bytes=a-, bytes=-n), one
// parser for S3 and the native API.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ais::gateway {

struct Span {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool partial = false;  // a range was asked (206), not the whole object
};

// Range header -> span of an object of `size` bytes; nullopt if unsatisfiable (416). An absent,
// unparseable or multi-range header means the whole object (a server may ignore it).
std::optional<Span> parseRange(std::string_view header, uint64_t size);

}  // namespace ais::gateway
