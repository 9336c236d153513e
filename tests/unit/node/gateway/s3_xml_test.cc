// The S3 gateway's XML text and dates, as listings write them a thousand per page: escaping
// (plain text copied as it is, everything XML cannot carry escaped) and ISO dates with
// milliseconds (the per-thread cache of the formatted second never serves another second).
#include "node/gateway/s3_xml.h"

#include <gtest/gtest.h>

#include <string>

#include "node/gateway/http_dates.h"

namespace ais::gateway {
namespace {

std::string leafOf(std::string_view text) {
  XmlWriter x;
  x.leaf("K", text);
  std::string out = x.str();
  return out.substr(out.find("<K>"));
}

TEST(S3Xml, LeafEscapesWhatXmlCannotCarry) {
  EXPECT_EQ(leafOf("plain/key-1.bin"), "<K>plain/key-1.bin</K>");
  EXPECT_EQ(leafOf("a&b<c>d\"e'f"), "<K>a&amp;b&lt;c&gt;d&quot;e&apos;f</K>");
  EXPECT_EQ(leafOf(std::string("x\x01y\tz\n", 6)), "<K>x&#1;y\tz\n</K>");
  EXPECT_EQ(leafOf("\xc3\xa9t\xc3\xa9"), "<K>\xc3\xa9t\xc3\xa9</K>");  // UTF-8 as it is
  EXPECT_EQ(leafOf(""), "<K></K>");
  EXPECT_EQ(xmlEscape("<&>"), "&lt;&amp;&gt;");
}

TEST(S3Xml, IsoDatesWithMilliseconds) {
  EXPECT_EQ(isoDate(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(isoDate(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(isoDate(1'700'000'000'007'000'000), "2023-11-14T22:13:20.007Z");  // same second
  EXPECT_EQ(isoDate(1'700'000'001'999'999'999), "2023-11-14T22:13:21.999Z");  // the next
  EXPECT_EQ(isoDate(1'700'000'000'050'000'000), "2023-11-14T22:13:20.050Z");  // and back
}

}  // namespace
}  // namespace ais::gateway
