// MetaHolder: a node keeps the newest Smap/BMD/Config it accepted, persists them, refuses older
// versions and maps of another cluster, and reloads them after a restart.
#include "node/meta_holder.h"

#include <gtest/gtest.h>

#include "tests/unit/node/store/temp_dir.h"

namespace ais::node {
namespace {

meta::Smap smapV(uint64_t version, std::string uuid = "c1") {
  meta::Smap s;
  s.version = version;
  s.uuid = std::move(uuid);
  s.primaryId = "p1";
  s.nodes.push_back(meta::NodeInfo{"p1", meta::Role::kProxy, "127.0.0.1:1", "", 0});
  return s;
}

TEST(MetaHolderTest, AcceptsNewerAndRejectsOlderVersions) {
  ais::store::testing::TempDir dir;
  MetaHolder holder(dir.path());
  ASSERT_TRUE(holder.load().ok());
  ASSERT_TRUE(holder.acceptSmap(smapV(3)).ok());
  EXPECT_EQ(holder.smap().version, 3u);
  EXPECT_TRUE(holder.acceptSmap(smapV(3)).ok());  // same version: no-op
  Status older = holder.acceptSmap(smapV(2));
  EXPECT_EQ(older.code(), Code::kRejectedVersion);
  EXPECT_EQ(holder.smap().version, 3u);
  ASSERT_TRUE(holder.acceptSmap(smapV(7)).ok());
  EXPECT_EQ(holder.smap().version, 7u);
}

TEST(MetaHolderTest, RefusesAnotherClustersMaps) {
  ais::store::testing::TempDir dir;
  MetaHolder holder(dir.path());
  ASSERT_TRUE(holder.acceptSmap(smapV(1, "c1")).ok());
  EXPECT_EQ(holder.acceptSmap(smapV(9, "c2")).code(), Code::kRejectedVersion);
  meta::BMD bmd;
  bmd.version = 2;
  bmd.uuid = "c1";
  ASSERT_TRUE(holder.acceptBmd(bmd).ok());
  bmd.version = 5;
  bmd.uuid = "other";
  EXPECT_EQ(holder.acceptBmd(bmd).code(), Code::kRejectedVersion);
}

TEST(MetaHolderTest, PersistsAndReloadsTheNewest) {
  ais::store::testing::TempDir dir;
  {
    MetaHolder holder(dir.path());
    ASSERT_TRUE(holder.acceptSmap(smapV(4)).ok());
    meta::BMD bmd;
    bmd.version = 6;
    bmd.uuid = "c1";
    bmd.buckets["b1"].fsync = true;
    ASSERT_TRUE(holder.acceptBmd(bmd).ok());
    meta::ClusterConfig cfg;
    cfg.version = 2;
    cfg.keepaliveTimeoutMs = 1234;
    ASSERT_TRUE(holder.acceptConfig(cfg).ok());
    cfg.version = 1;
    EXPECT_EQ(holder.acceptConfig(cfg).code(), Code::kRejectedVersion);
  }
  MetaHolder again(dir.path());
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.smap().version, 4u);
  EXPECT_EQ(again.smap().nodes.size(), 1u);
  EXPECT_EQ(again.bmd().version, 6u);
  ASSERT_NE(again.bmd().find("b1"), nullptr);
  EXPECT_TRUE(again.bmd().find("b1")->fsync);
  EXPECT_EQ(again.config().keepaliveTimeoutMs, 1234u);
  EXPECT_EQ(again.acceptSmap(smapV(3)).code(), Code::kRejectedVersion);
}

TEST(MetaHolderTest, ReportsRemovedBuckets) {
  ais::store::testing::TempDir dir;
  MetaHolder holder(dir.path());
  std::vector<std::string> removed;
  holder.onBmdChange = [&](const meta::BMD& before, const meta::BMD& after) {
    for (auto& [name, props] : before.buckets) {
      if (!after.find(name)) removed.push_back(name);
    }
  };
  meta::BMD bmd;
  bmd.version = 1;
  bmd.buckets["a"];
  bmd.buckets["b"];
  ASSERT_TRUE(holder.acceptBmd(bmd).ok());
  bmd.version = 2;
  bmd.buckets.erase("a");
  ASSERT_TRUE(holder.acceptBmd(bmd).ok());
  EXPECT_EQ(removed, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace ais::node
