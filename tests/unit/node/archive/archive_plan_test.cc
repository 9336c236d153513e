// The archive job's plan as it travels to each target (node/archive/archive_job.h).
#include <gtest/gtest.h>

#include "node/archive/archive_job.h"

namespace ais::archive {
namespace {

TEST(ArchivePlan, RoundTrips) {
  ArchivePlan plan{"src", "dst", Format::kTgz, {{"s-0.tgz", {"a", "b/c"}}, {"s-1.tgz", {"d"}}}};
  auto back = parseArchivePlan(archivePlanJson(plan));
  ASSERT_TRUE(back.ok()) << back.status().toString();
  EXPECT_EQ(back->src, "src");
  EXPECT_EQ(back->dst, "dst");
  EXPECT_EQ(back->format, Format::kTgz);
  ASSERT_EQ(back->shards.size(), 2u);
  EXPECT_EQ(back->shards[0].name, "s-0.tgz");
  EXPECT_EQ(back->shards[0].members, (std::vector<std::string>{"a", "b/c"}));
  EXPECT_EQ(back->shards[1].members, (std::vector<std::string>{"d"}));
}

TEST(ArchivePlan, RefusesBadPlans) {
  for (
      const char* bad :
      {"", "{}", R"({"src": "a", "dst": "b", "format": "rar", "shards": []})",
       R"({"src": "a", "dst": "b", "format": "tar", "shards": [{"name": "x", "members": []}]})",
       R"({"src": "", "dst": "b", "format": "tar", "shards": []})",
       R"({"src": "a", "dst": "b", "format": "tar", "shards": [{"name": 1, "members": ["m"]}]})"}) {
    auto r = parseArchivePlan(bad);
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace ais::archive
