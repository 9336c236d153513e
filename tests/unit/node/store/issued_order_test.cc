// PutOptions::issuedNs: a client's write carries the time it was issued, which becomes the
// version's modification time and orders the writes of a name. A commit issued before the current
// version was made (a late commit on a target that hung while its client went elsewhere) never
// replaces it: it is dropped, or kept as a noncurrent version where versioning is on.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "meta/names.h"
#include "node/store/store.h"
#include "temp_dir.h"
#include "xxh.h"

namespace ais::store {
namespace {

using testing::TempDir;

constexpr const char* kOrderedBucket = "ordered";
constexpr int64_t kOneSecondNs = 1'000'000'000;

class IssuedOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open({tmp_.sub("mp1"), tmp_.sub("mp2")});
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
  }
  Result<Lom> put(std::string_view name, std::string_view data, int64_t issuedNs) {
    PutOptions opts;
    opts.issuedNs = issuedNs;
    return store_->putBytes(kOrderedBucket, name, data, std::move(opts));
  }
  std::string read(std::string_view bucket, std::string_view name) {
    return testing::readObject(*store_, bucket, name);
  }
  size_t workFiles() { return testing::workFileCount(*store_); }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(IssuedOrderTest, TheIssueTimeIsTheModificationTime) {
  const int64_t issued = unixNowNs() - 5 * kOneSecondNs;
  auto lom = put("k", "v", issued);
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_FALSE(lom->superseded);
  EXPECT_EQ(lom->mtimeNs, issued);
  EXPECT_EQ(store_->head(kOrderedBucket, "k")->mtimeNs, issued);
}

TEST_F(IssuedOrderTest, AClockAheadGetsTheCommitTime) {
  auto lom = put("k", "v", unixNowNs() + 3600 * kOneSecondNs);
  ASSERT_TRUE(lom.ok());
  EXPECT_LE(lom->mtimeNs, unixNowNs());
}

TEST_F(IssuedOrderTest, AnOlderWriteCommittedLaterIsDropped) {
  const int64_t now = unixNowNs();
  ASSERT_TRUE(put("k", "newer", now - 1 * kOneSecondNs).ok());
  auto late = put("k", "stale", now - 10 * kOneSecondNs);  // issued first, committed last
  ASSERT_TRUE(late.ok()) << late.status().toString();
  EXPECT_TRUE(late->superseded);
  EXPECT_EQ(read(kOrderedBucket, "k"), "newer");
  EXPECT_EQ(store_->head(kOrderedBucket, "k")->version, 1u);
  EXPECT_EQ(workFiles(), 0u);  // the stale bytes are gone
}

TEST_F(IssuedOrderTest, LaterOrEqualIssueTimesAndUnstampedWritesReplace) {
  const int64_t now = unixNowNs();
  ASSERT_TRUE(put("k", "one", now - 9 * kOneSecondNs).ok());
  auto two = put("k", "two", now - 9 * kOneSecondNs);  // the same time: the later commit
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two->superseded);
  EXPECT_EQ(read(kOrderedBucket, "k"), "two");
  ASSERT_TRUE(put("k", "three", now - 5 * kOneSecondNs).ok());
  EXPECT_EQ(read(kOrderedBucket, "k"), "three");
  ASSERT_TRUE(put("k", "four", 0).ok());  // not stamped: replaces whatever is there
  EXPECT_EQ(read(kOrderedBucket, "k"), "four");
}

TEST_F(IssuedOrderTest, AMoveIsNotOrderedByIssueTime) {
  const int64_t now = unixNowNs();
  ASSERT_TRUE(put("k", "here", now - 1 * kOneSecondNs).ok());
  PutOptions move;
  move.mtimeNs = now - 20 * kOneSecondNs;  // (a rebalance transfer: its own rule, ifAbsent)
  move.ifAbsent = true;
  EXPECT_EQ(store_->putBytes(kOrderedBucket, "k", "moved", move).code(), Code::kObjectExists);
  EXPECT_EQ(read(kOrderedBucket, "k"), "here");
}

TEST_F(IssuedOrderTest, WithVersioningTheOlderWriteIsANoncurrentVersion) {
  store_->setBucketPolicies({{kOrderedBucket, {.versioning = Versioning::kEnabled}}});
  const int64_t now = unixNowNs();
  auto cur = put("k", "newer", now - 1 * kOneSecondNs);
  ASSERT_TRUE(cur.ok());
  auto late = put("k", "stale", now - 10 * kOneSecondNs);
  ASSERT_TRUE(late.ok()) << late.status().toString();
  EXPECT_TRUE(late->superseded);
  EXPECT_EQ(read(kOrderedBucket, "k"), "newer");
  auto id = late->custom.find(std::string(kVersionIdKey));
  ASSERT_NE(id, late->custom.end());
  EXPECT_NE(id->second, cur->custom.at(std::string(kVersionIdKey)));
  const std::string vb = meta::versionsBucket(kOrderedBucket);
  EXPECT_EQ(read(vb, meta::versionName("k", id->second)), "stale");
  EXPECT_EQ(store_->head(vb, meta::versionName("k", id->second))->mtimeNs, now - 10 * kOneSecondNs);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(IssuedOrderTest, AGroupCommitDropsItsOlderWrites) {
  const int64_t now = unixNowNs();
  ASSERT_TRUE(put("a", "newer", now - 1 * kOneSecondNs).ok());
  std::vector<Store::GroupPut> items(2);
  items[0].name = "a";
  items[0].data = "stale";
  items[0].checksum = testing::xxh("stale");
  items[0].opts.issuedNs = now - 10 * kOneSecondNs;
  items[1].name = "b";
  items[1].data = "fresh";
  items[1].checksum = testing::xxh("fresh");
  items[1].opts.issuedNs = now - 10 * kOneSecondNs;
  auto out = store_->putGroup(kOrderedBucket, items);
  ASSERT_TRUE(out[0].ok() && out[1].ok());
  EXPECT_TRUE(out[0]->superseded);
  EXPECT_FALSE(out[1]->superseded);
  EXPECT_EQ(read(kOrderedBucket, "a"), "newer");
  EXPECT_EQ(read(kOrderedBucket, "b"), "fresh");
  EXPECT_EQ(workFiles(), 0u);
}

// A client's delete is ordered among the writes the same way: a write issued before it and
// committed after it is dropped (the name stays deleted); one issued after it is stored.
TEST_F(IssuedOrderTest, AWriteIssuedBeforeADeleteIsDropped) {
  const int64_t now = unixNowNs();
  ASSERT_TRUE(put("d", "before", now - 3 * kOneSecondNs).ok());
  ASSERT_TRUE(store_->remove(kOrderedBucket, "d", 0, now - kOneSecondNs).ok());
  auto late = put("d", "sent before the delete", now - 2 * kOneSecondNs);
  ASSERT_TRUE(late.ok()) << late.status().toString();
  EXPECT_TRUE(late->superseded);
  EXPECT_EQ(store_->head(kOrderedBucket, "d").code(), Code::kObjectNotFound);
  EXPECT_EQ(workFiles(), 0u);
  auto after = put("d", "sent after the delete", now);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->superseded);
  EXPECT_EQ(read(kOrderedBucket, "d"), "sent after the delete");
  // Unstamped writes (issue time unknown) are not ordered: stored.
  ASSERT_TRUE(store_->remove(kOrderedBucket, "d", 0, unixNowNs()).ok());
  ASSERT_TRUE(store_->putBytes(kOrderedBucket, "d", "unstamped").ok());
  EXPECT_EQ(read(kOrderedBucket, "d"), "unstamped");
}

}  // namespace
}  // namespace ais::store
