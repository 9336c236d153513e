// The gateway's URL coding: percent-decoding of paths and queries (`+` is a space in a query
// only), and SigV4's URI encoding (everything but unreserved characters escaped, upper-case hex,
// `/` kept in paths).
#include "node/gateway/url.h"

#include <gtest/gtest.h>

namespace ais::gateway {
namespace {

TEST(Url, DecodesEscapesAndPlus) {
  EXPECT_EQ(urlDecode("plain/path.txt", false), "plain/path.txt");
  EXPECT_EQ(urlDecode("a%2Fb%20c", false), "a/b c");
  EXPECT_EQ(urlDecode("a+b", false), "a+b");
  EXPECT_EQ(urlDecode("a+b%2b", true), "a b+");
  EXPECT_EQ(urlDecode("%C3%A9t%c3%a9", false), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(urlDecode("", true), "");
  EXPECT_EQ(urlDecode("%00x", false), std::string("\0x", 2));
  EXPECT_FALSE(urlDecode("bad%zz", false).has_value());
  EXPECT_FALSE(urlDecode("short%4", false).has_value());
  EXPECT_FALSE(urlDecode("end%", true).has_value());
}

TEST(Url, EncodesForSigV4) {
  EXPECT_EQ(uriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uriEncode("a b/c", false), "a%20b%2Fc");
  EXPECT_EQ(uriEncode("\xC3\xA9+=&", false), "%C3%A9%2B%3D%26");
  EXPECT_EQ(uriEncode("", false), "");
  EXPECT_EQ(uriEncode(std::string("\0", 1), false), "%00");
  // Round trip of every byte value.
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(urlDecode(uriEncode(all, false), false), all);
  EXPECT_EQ(urlDecode(uriEncode(all, true), true), all);
}

}  // namespace
}  // namespace ais::gateway
