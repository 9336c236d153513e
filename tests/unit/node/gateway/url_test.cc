// The gateway's URL coding: percent-decoding of paths and queries (`+` is a space in a query
// only), and SigV4's URI encoding (everything but unreserved characters escaped, upper-case hex,
// `/` kept in paths).
#include "node/gateway/url.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "node/gateway/s3_auth_sigv4.h"

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

// SigV4's canonical query the plain way: decode and re-encode every part, sort.
std::string referenceCanonicalQuery(std::string_view raw, bool dropSignature) {
  std::vector<std::pair<std::string, std::string>> kv;
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view part = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::string dk = urlDecode(k, true).value_or(std::string(k));
    if (dropSignature && dk == "X-Amz-Signature") continue;
    kv.emplace_back(uriEncode(dk, false),
                    uriEncode(urlDecode(v, true).value_or(std::string(v)), false));
  }
  std::sort(kv.begin(), kv.end());
  std::string out;
  for (const auto& [k, v] : kv) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

TEST(Url, SigV4CanonicalQueryReusesWhatIsAlreadyCanonicalAndReencodesTheRest) {
  for (const char* raw :
       {"", "a=1", "b=2&a=1", "a=2&a=1", "X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3",
        "k=a%2fb",        // lower-case escape: re-encoded upper-case
        "k=%41%7E",       // escaped unreserved characters: decoded
        "k=a+b&j=c%20d",  // '+' is a space
        "k=%zz&x", "flag&k=", "&&k=v&", "%C3%A9=%c3%a9", "k=a=b", "k=%", "k=%2",
        "X-Amz-Signature=abc&X-Amz-Date=20240101T000000Z&a%2Fb=c~d"}) {
    for (bool drop : {false, true}) {
      EXPECT_EQ(sigV4CanonicalQuery(raw, drop), referenceCanonicalQuery(raw, drop))
          << raw << " drop=" << drop;
    }
  }
  EXPECT_EQ(sigV4CanonicalQuery("b=2&X-Amz-Signature=s&a=%2f", true), "a=%2F&b=2");
}

}  // namespace
}  // namespace ais::gateway
