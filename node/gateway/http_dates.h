// Dates as HTTP headers and S3 XML bodies write them (UTC, from nanoseconds since the epoch).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace ais::gateway {

std::string httpDate(int64_t ns);  // RFC 1123: Tue, 14 Nov 2023 22:13:20 GMT
std::string isoDate(int64_t ns);   // ISO 8601 with milliseconds: 2023-11-14T22:13:20.123Z
// An RFC 1123 date (If-Modified-Since, SigV2's Date) in seconds since the epoch; -1 if
// unparseable or before 1970.
std::time_t parseHttpDate(std::string_view s);

// The same ISO date in a fixed buffer: listings write one per object without allocating.
struct IsoDateText {
  char text[32];
  size_t size = 0;
  std::string_view view() const { return {text, size}; }
};
IsoDateText isoDateText(int64_t ns);

}  // namespace ais::gateway
