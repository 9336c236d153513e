// Brace-range name templates (common/name_template.h).
#include "common/name_template.h"

#include <gtest/gtest.h>

namespace ais {
namespace {

using Names = std::vector<std::string>;

TEST(NameTemplate, ExpandsRangesWithWidthAndStep) {
  EXPECT_EQ(*expandNameTemplate("shard-{0000..0002}.tar", 100),
            (Names{"shard-0000.tar", "shard-0001.tar", "shard-0002.tar"}));
  EXPECT_EQ(*expandNameTemplate("x{1..9..4}", 100), (Names{"x1", "x5", "x9"}));
  EXPECT_EQ(*expandNameTemplate("d{0..1}/f{8..10}", 100),
            (Names{"d0/f8", "d0/f9", "d0/f10", "d1/f8", "d1/f9", "d1/f10"}));
  EXPECT_EQ(*expandNameTemplate("plain.tar", 100), (Names{"plain.tar"}));
  EXPECT_TRUE(hasNameRange("a{1..2}"));
  EXPECT_FALSE(hasNameRange("plain.tar"));
}

TEST(NameTemplate, RefusesMalformedOrHugeTemplates) {
  for (const char* bad : {"a{1..", "a{x..3}", "a{3..1}", "a{1..3..0}", "a{1,2}", "a{..3}"}) {
    auto r = expandNameTemplate(bad, 100);
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(expandNameTemplate("a{0..1000}", 1000).code(), Code::kInvalidArgument);
  EXPECT_EQ(expandNameTemplate("a{0..999}", 1000)->size(), 1000u);
}

}  // namespace
}  // namespace ais
