// Membership changes: a target joins a cluster holding data. Every object stays readable while
// the rebalance runs (GETs follow misplaced copies), then each object ends up on its new HRW
// owner only; deletes and overwrites during the move are not undone by it.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "meta/hrw.h"
#include "tests/integration/test_cluster.h"

namespace ais::testing {
namespace {

namespace fs = std::filesystem;

// Which targets hold a file for the name (by the plain object path).
std::vector<std::string> holders(TestCluster& cluster, const std::string& bucket,
                                 const std::string& name) {
  std::vector<std::string> out;
  for (const auto& id : cluster.targetIds()) {
    for (const auto& mp : cluster.node(id).mountpaths) {
      if (fs::exists(mp + "/@ais/" + bucket + "/%ob/" + name)) out.push_back(id);
    }
  }
  return out;
}

TEST(RebalanceTest, JoiningTargetTakesItsShareAndNothingIsLost) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->createBucket("reb").ok());
  const int kObjects = 400;
  auto nameOf = [](int i) { return "d" + std::to_string(i % 5) + "/obj-" + std::to_string(i); };
  for (int i = 0; i < kObjects; ++i) {
    size_t size = i % 50 == 0 ? (2 << 20) + i : 1000 + i;
    ASSERT_TRUE((*c)->put("reb", nameOf(i), patternBytes(i, size)).ok());
  }

  std::map<std::string, int64_t> mtimes;  // moving an object does not modify it
  for (int i = 0; i < kObjects; ++i) mtimes[nameOf(i)] = (*c)->head("reb", nameOf(i))->mtimeNs;

  auto added = cluster.addTarget();
  ASSERT_TRUE(added.ok()) << added.status().toString();
  // Reads right away (the move may be in progress): every object, byte-exact.
  for (int i = 0; i < kObjects; ++i) {
    size_t size = i % 50 == 0 ? (2 << 20) + i : 1000 + i;
    auto got = (*c)->get("reb", nameOf(i));
    ASSERT_TRUE(got.ok()) << nameOf(i) << ": " << got.status().toString();
    ASSERT_EQ(*got, patternBytes(i, size)) << nameOf(i);
    auto head = (*c)->head("reb", nameOf(i));
    ASSERT_TRUE(head.ok()) << nameOf(i);
  }
  // Overwrite and delete a few while things settle.
  ASSERT_TRUE((*c)->put("reb", nameOf(1), "rewritten").ok());
  ASSERT_TRUE((*c)->remove("reb", nameOf(2)).ok());

  // Settles: each object on exactly its owner, the new target holds its share.
  auto smap = (*c)->smap(true);
  ASSERT_TRUE(smap.ok());
  ASSERT_EQ(smap->activeTargets().size(), 4u);
  bool settled = false;
  for (int attempt = 0; attempt < 100 && !settled; ++attempt) {
    settled = true;
    for (int i = 0; i < kObjects && settled; ++i) {
      if (i == 2) continue;
      auto h = holders(cluster, "reb", nameOf(i));
      const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname("reb", nameOf(i)));
      settled = h.size() == 1 && h[0] == owner->id;
    }
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(settled) << "objects did not reach their new owners";
  size_t onNew = 0;
  for (int i = 0; i < kObjects; ++i) {
    auto h = holders(cluster, "reb", nameOf(i));
    onNew += !h.empty() && h[0] == *added;
  }
  EXPECT_GT(onNew, kObjects / 8u);  // about a quarter moved to the new target
  EXPECT_LT(onNew, kObjects / 2u);
  EXPECT_EQ(*(*c)->get("reb", nameOf(1)), "rewritten");
  EXPECT_EQ((*c)->get("reb", nameOf(2)).code(), Code::kObjectNotFound);
  EXPECT_TRUE(holders(cluster, "reb", nameOf(2)).empty());
  auto page = (*c)->list("reb", ListOptions{"", "", 10000});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), kObjects - 1u);
  for (const auto& e : page->entries) {
    if (e.name == nameOf(1)) continue;  // rewritten meanwhile
    EXPECT_EQ(e.mtimeNs, mtimes[e.name]) << e.name;
  }

  // The pass that moved them is a job, under one id on every target, with what it moved.
  std::string id = "rebalance-v" + std::to_string(smap->version);
  Result<JobList> jobs = Status(Code::kInternal);
  for (int attempt = 0; attempt < 50; ++attempt) {
    jobs = (*c)->listJobs(id);
    ASSERT_TRUE(jobs.ok());
    bool running = false;
    for (const auto& p : jobs->parts) running |= p.running();
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  uint64_t moved = 0, bytes = 0;
  for (const auto& p : jobs->parts) {
    EXPECT_EQ(p.kind, "rebalance");
    EXPECT_EQ(p.state, "finished") << p.node << ": " << p.message;
    moved += p.objects;
    bytes += p.bytes;
  }
  EXPECT_EQ(jobs->parts.size(), 4u);
  EXPECT_GE(moved, onNew);  // (a pass may also move an overwritten copy again)
  EXPECT_GT(bytes, 0u);
}

}  // namespace
}  // namespace ais::testing
