#include "node/target/kept_restores.h"

#include <gtest/gtest.h>

#include <thread>

namespace ais::node {
namespace {

EcRestored restoredOf(size_t bytes, uint64_t version) {
  EcRestored r;
  r.lom.version = version;
  r.bytes = std::make_shared<const std::string>(bytes, 'x');
  return r;
}

// A name's second rebuild is kept.
void rebuiltTwice(KeptRestores& kept, const std::string& name, const EcRestored& r) {
  EXPECT_FALSE(kept.offer("b", name, r));
  kept.offer("b", name, r);
}

TEST(KeptRestoresTest, KeptFromTheSecondRebuildOn) {
  KeptRestores kept(1000, std::chrono::seconds(30));
  EXPECT_FALSE(kept.find("b", "o"));
  EXPECT_FALSE(kept.offer("b", "o", restoredOf(100, 1)));  // read once: only noted
  EXPECT_FALSE(kept.find("b", "o"));
  EXPECT_EQ(kept.bytes(), 0u);
  EXPECT_FALSE(kept.offer("b2", "o", restoredOf(100, 1)));  // another bucket's name
  EXPECT_TRUE(kept.offer("b", "o", restoredOf(100, 1)));    // read again: kept
  ASSERT_TRUE(kept.find("b", "o"));
  EXPECT_EQ(kept.find("b", "o")->lom.version, 1u);
  EXPECT_FALSE(kept.find("b2", "o"));
  EXPECT_TRUE(kept.offer("b", "o", restoredOf(200, 2)));  // a newer version replaces it
  EXPECT_EQ(kept.find("b", "o")->lom.version, 2u);
  EXPECT_EQ(kept.bytes(), 200u);
  EXPECT_EQ(kept.size(), 1u);
  kept.forget("b", "o");
  EXPECT_FALSE(kept.find("b", "o"));
  EXPECT_EQ(kept.bytes(), 0u);
}

TEST(KeptRestoresTest, AtOnceKeepsTheFirstRebuild) {
  KeptRestores kept(1000, std::chrono::seconds(30));
  EXPECT_TRUE(kept.offer("b", "shard.tar", restoredOf(100, 1), /*atOnce=*/true));
  EXPECT_TRUE(kept.find("b", "shard.tar"));
}

TEST(KeptRestoresTest, OldestGoFirstOverTheBudget) {
  KeptRestores kept(1000, std::chrono::seconds(30));
  rebuiltTwice(kept, "1", restoredOf(400, 1));
  rebuiltTwice(kept, "2", restoredOf(400, 1));
  rebuiltTwice(kept, "3", restoredOf(400, 1));  // 1200 > 1000: "1" goes
  EXPECT_FALSE(kept.find("b", "1"));
  EXPECT_TRUE(kept.find("b", "2"));
  EXPECT_TRUE(kept.find("b", "3"));
  EXPECT_EQ(kept.bytes(), 800u);
  EXPECT_FALSE(kept.offer("b", "big", restoredOf(1001, 1)));
  EXPECT_FALSE(kept.offer("b", "big", restoredOf(1001, 1)));  // larger than the budget
  EXPECT_FALSE(kept.find("b", "big"));
  EXPECT_TRUE(kept.find("b", "2"));
  EXPECT_EQ(kept.bytes(), 800u);
}

TEST(KeptRestoresTest, CopiesAndNotesExpireAfterKeptFor) {
  KeptRestores kept(1000, std::chrono::milliseconds(50));
  rebuiltTwice(kept, "o", restoredOf(10, 1));
  EXPECT_TRUE(kept.find("b", "o"));
  EXPECT_FALSE(kept.offer("b", "once", restoredOf(10, 1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_FALSE(kept.find("b", "o"));
  EXPECT_EQ(kept.bytes(), 0u);
  EXPECT_EQ(kept.size(), 0u);
  // Rebuilt once long ago: a first rebuild again.
  EXPECT_FALSE(kept.offer("b", "once", restoredOf(10, 1)));
}

}  // namespace
}  // namespace ais::node
