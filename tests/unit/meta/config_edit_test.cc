// The cluster config edited by name: units, bounds, cross-key checks, and refusals that name the
// key and change nothing.
#include "meta/config_edit.h"

#include <gtest/gtest.h>

namespace ais::meta {
namespace {

TEST(ConfigEditTest, MillisecondsTakeUnits) {
  ClusterConfig c;
  ASSERT_TRUE(applyConfigKey(c, "keepalive.interval_ms", "500ms").ok());
  EXPECT_EQ(c.keepaliveIntervalMs, 500u);
  ASSERT_TRUE(applyConfigKey(c, "keepalive.timeout_ms", "10s").ok());
  EXPECT_EQ(c.keepaliveTimeoutMs, 10000u);
  ASSERT_TRUE(applyConfigKey(c, "membership.down_grace_ms", "2m").ok());
  EXPECT_EQ(c.downGraceMs, 120000u);
  ASSERT_TRUE(applyConfigKey(c, "membership.down_grace_ms", "0").ok());  // never
  EXPECT_EQ(c.downGraceMs, 0u);
}

TEST(ConfigEditTest, BytesTakeUnits) {
  ClusterConfig c;
  ASSERT_TRUE(applyConfigKey(c, "fabric.chunk_bytes", "256KiB").ok());
  EXPECT_EQ(c.chunkBytes, 256u << 10);
  ASSERT_TRUE(applyConfigKey(c, "fabric.inline_max_bytes", "0").ok());
  EXPECT_EQ(c.inlineMaxBytes, 0u);
}

TEST(ConfigEditTest, RefusalsNameTheKeyAndChangeNothing) {
  ClusterConfig c, before;
  for (auto [key, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"keepalive.interval_ms", "5"},     // below 100 ms: a node would spin
           {"keepalive.interval_ms", "2h"},    // above a minute
           {"keepalive.interval_ms", "fast"},  // junk
           {"keepalive.interval_ms", "10ns"},  // unknown unit
           {"keepalive.interval_ms", ""},      // empty
           {"fabric.chunk_bytes", "1KiB"},     // below 64 KiB
           {"fabric.chunk_bytes", "1GiB"},     // above 16 MiB
           {"fabric.inline_max_bytes", "-1"}}) {
    Status st = applyConfigKey(c, key, value);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << key << "=" << value;
    EXPECT_NE(st.message().find(key), std::string::npos) << st.message();
  }
  Status st = applyConfigKey(c, "stats_time", "1s");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("stats_time"), std::string::npos);
  EXPECT_TRUE(configEntries(c) == configEntries(before));
}

TEST(ConfigEditTest, CheckConfigAcrossKeys) {
  ClusterConfig c;
  EXPECT_TRUE(checkConfig(c).ok());  // the defaults hold
  c.keepaliveIntervalMs = 1000;
  c.keepaliveTimeoutMs = 1500;  // under twice the interval
  EXPECT_EQ(checkConfig(c).code(), Code::kInvalidArgument);
  c.keepaliveTimeoutMs = 2000;
  EXPECT_TRUE(checkConfig(c).ok());
  c.downGraceMs = 1000;  // under the timeout, not 0
  EXPECT_EQ(checkConfig(c).code(), Code::kInvalidArgument);
  c.downGraceMs = 0;
  EXPECT_TRUE(checkConfig(c).ok());
  c.chunkBytes = 1;  // a config from elsewhere is checked against the bounds too
  EXPECT_EQ(checkConfig(c).code(), Code::kInvalidArgument);
}

TEST(ConfigEditTest, EntriesInAFixedOrder) {
  ClusterConfig c;
  auto e = configEntries(c);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].first, "keepalive.interval_ms");
  EXPECT_EQ(e[4].first, "fabric.chunk_bytes");
  EXPECT_EQ(e[4].second, c.chunkBytes);
}

}  // namespace
}  // namespace ais::meta
