// HRW placement: balance over targets and mountpaths, and minimal movement when a target joins.
#include "meta/hrw.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ais::meta {
namespace {

constexpr int kNames = 100000;

Smap makeSmap(int targets) {
  Smap smap;
  smap.version = 1;
  for (int i = 1; i <= targets; ++i) {
    smap.nodes.push_back(NodeInfo{.id = "t" + std::to_string(i), .role = Role::kTarget});
  }
  smap.nodes.push_back(NodeInfo{.id = "p1", .role = Role::kProxy});
  return smap;
}

std::string objName(int i) { return uname("bkt", "dir/obj-" + std::to_string(i)); }

TEST(HrwTest, TenTargetsAreBalancedWithinFivePercent) {
  Smap smap = makeSmap(10);
  std::map<std::string, int> counts;
  for (int i = 0; i < kNames; ++i) {
    const NodeInfo* owner = ownerTarget(smap, objName(i));
    ASSERT_NE(owner, nullptr);
    ASSERT_TRUE(owner->isTarget());
    ++counts[owner->id];
  }
  ASSERT_EQ(counts.size(), 10u);
  double mean = kNames / 10.0;
  for (const auto& [id, n] : counts) {
    EXPECT_NEAR(n, mean, mean * 0.05) << id;
  }
}

TEST(HrwTest, AddingTargetMovesOnlyToNewTarget) {
  Smap before = makeSmap(10);
  Smap after = makeSmap(11);
  int moved = 0;
  for (int i = 0; i < kNames; ++i) {
    const NodeInfo* a = ownerTarget(before, objName(i));
    const NodeInfo* b = ownerTarget(after, objName(i));
    if (a->id != b->id) {
      ++moved;
      EXPECT_EQ(b->id, "t11") << objName(i);
    }
  }
  EXPECT_GE(moved, kNames * 8 / 100);
  EXPECT_LE(moved, kNames * 10 / 100);
}

TEST(HrwTest, HrwOrderStartsWithOwnerAndSkipsMaintenance) {
  Smap smap = makeSmap(5);
  smap.nodes[2].flags |= kNodeMaintenance;  // t3
  for (int i = 0; i < 1000; ++i) {
    auto order = targetsInHrwOrder(smap, objName(i));
    ASSERT_EQ(order.size(), 4u);
    EXPECT_EQ(order.front(), ownerTarget(smap, objName(i)));
    for (const NodeInfo* n : order) EXPECT_NE(n->id, "t3");
  }
  EXPECT_EQ(ownerTarget(Smap{}, "ais/b/x"), nullptr);
}

TEST(HrwTest, MountpathSelectionIsBalanced) {
  std::vector<uint64_t> digests;
  for (int i = 0; i < 8; ++i) digests.push_back(xxhash64("/data/disk" + std::to_string(i)));
  std::vector<int> counts(digests.size());
  for (int i = 0; i < kNames; ++i) ++counts[hrwSelect(xxhash64(objName(i)), digests)];
  double mean = static_cast<double>(kNames) / digests.size();
  for (size_t i = 0; i < counts.size(); ++i) EXPECT_NEAR(counts[i], mean, mean * 0.05) << i;
}

TEST(HrwTest, SelectionDependsOnTheCandidatesNotTheirOrder) {
  std::vector<uint64_t> digests = {xxhash64("/a"), xxhash64("/b"), xxhash64("/c")};
  std::vector<uint64_t> reversed(digests.rbegin(), digests.rend());
  std::set<uint64_t> chosen;
  for (int i = 0; i < 100; ++i) {
    uint64_t h = xxhash64(objName(i));
    // The same candidate wins whatever order the list is in (a restart may list mountpaths or
    // targets differently).
    EXPECT_EQ(digests[hrwSelect(h, digests)], reversed[hrwSelect(h, reversed)]) << i;
    chosen.insert(digests[hrwSelect(h, digests)]);
  }
  EXPECT_EQ(chosen.size(), digests.size());  // and every candidate wins some names
  EXPECT_EQ(hrwSelect(123, {xxhash64("/only")}), 0u);
}

}  // namespace
}  // namespace ais::meta
