// parseRange: RFC 9110 single byte ranges for S3 and the native API.
#include "node/gateway/http_range.h"

#include <gtest/gtest.h>

namespace ais::gateway {
namespace {

void expectSpan(std::string_view header, uint64_t size, uint64_t off, uint64_t len, bool partial) {
  auto s = parseRange(header, size);
  ASSERT_TRUE(s.has_value()) << header;
  EXPECT_EQ(s->offset, off) << header;
  EXPECT_EQ(s->length, len) << header;
  EXPECT_EQ(s->partial, partial) << header;
}

TEST(HttpRange, SingleRanges) {
  expectSpan("", 100, 0, 100, false);
  expectSpan("bytes=0-9", 100, 0, 10, true);
  expectSpan("bytes=90-", 100, 90, 10, true);
  expectSpan("bytes=-30", 100, 70, 30, true);
  expectSpan("bytes=-300", 100, 0, 100, true);     // a suffix longer than the object: all of it
  expectSpan("bytes=50-1000", 100, 50, 50, true);  // the end clamped
}

TEST(HttpRange, UnsatisfiableIsNullopt) {
  EXPECT_FALSE(parseRange("bytes=100-", 100).has_value());
  EXPECT_FALSE(parseRange("bytes=200-300", 100).has_value());
  EXPECT_FALSE(parseRange("bytes=-0", 100).has_value());
  EXPECT_FALSE(parseRange("bytes=-5", 0).has_value());
}

TEST(HttpRange, IgnoredHeadersMeanTheWholeObject) {
  for (std::string_view h : {"bytes=0-1,5-6", "items=0-5", "bytes=abc-", "bytes=9-3", "bytes=5"}) {
    expectSpan(h, 100, 0, 100, false);
  }
}

}  // namespace
}  // namespace ais::gateway
