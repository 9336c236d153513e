// aisfs's block cache: hits only for the same object, version and block; least recently used
// blocks leave first once the budget is full; disabled with a budget under one block.
#include "fusefs/block_cache.h"

#include <gtest/gtest.h>

namespace ais::fusefs {
namespace {

std::shared_ptr<const std::string> block(char c) {
  return std::make_shared<const std::string>(BlockCache::kBlock, c);
}

TEST(BlockCache, KeyedByObjectVersionAndBlock) {
  BlockCache cache(4 * BlockCache::kBlock);
  cache.put("b/o", 1, 0, block('a'));
  ASSERT_TRUE(cache.get("b/o", 1, 0));
  EXPECT_EQ(cache.get("b/o", 1, 0)->at(0), 'a');
  EXPECT_FALSE(cache.get("b/o", 2, 0));  // another version
  EXPECT_FALSE(cache.get("b/o", 1, 1));
  EXPECT_FALSE(cache.get("b/o2", 1, 0));
  cache.put("b/o", 1, 0, block('b'));  // replaced, counted once
  EXPECT_EQ(cache.get("b/o", 1, 0)->at(0), 'b');
  EXPECT_EQ(cache.bytes(), BlockCache::kBlock);
}

TEST(BlockCache, LeastRecentlyUsedLeaveFirst) {
  BlockCache cache(3 * BlockCache::kBlock);
  for (uint64_t b = 0; b < 3; ++b) cache.put("b/o", 7, b, block('x'));
  ASSERT_TRUE(cache.get("b/o", 7, 0));  // 0 is now the most recent
  cache.put("b/o", 7, 3, block('y'));
  EXPECT_TRUE(cache.get("b/o", 7, 0));
  EXPECT_FALSE(cache.get("b/o", 7, 1));
  EXPECT_TRUE(cache.get("b/o", 7, 2));
  EXPECT_TRUE(cache.get("b/o", 7, 3));
  EXPECT_LE(cache.bytes(), 3 * BlockCache::kBlock);
}

TEST(BlockCache, OffBelowOneBlock) {
  BlockCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.put("b/o", 1, 0, block('a'));
  EXPECT_FALSE(cache.get("b/o", 1, 0));
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace ais::fusefs
