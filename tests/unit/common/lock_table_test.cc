// LockTable: readers share, a writer excludes others, an owner's own locks never conflict and are
// replaced (upgrade, split on unlock), leases expire and renew, flock and record locks are
// separate spaces, a test (F_GETLK) changes nothing, and a renewal tells whether anything is held.
#include "common/lock_table.h"

#include <gtest/gtest.h>

namespace ais {
namespace {

using namespace std::chrono_literals;
using Clock = LockTable::Clock;

HeldLock range(const std::string& owner, uint64_t start, uint64_t end, uint32_t pid = 1) {
  HeldLock l;
  l.owner = owner;
  l.start = start;
  l.end = end;
  l.pid = pid;
  return l;
}

class LockTableTest : public ::testing::Test {
 protected:
  std::optional<HeldLock> take(const std::string& owner, LockOp op, uint64_t start = 0,
                               uint64_t end = UINT64_MAX, bool flock = false, bool test = false) {
    return table_.apply("b/o", flock, op, range(owner, start, end, 7), 30s, test, now_);
  }
  LockTable table_;
  Clock::time_point now_ = Clock::now();
};

TEST_F(LockTableTest, ReadersShareWriterExcludes) {
  EXPECT_FALSE(take("a", LockOp::kRead));
  EXPECT_FALSE(take("b", LockOp::kRead));
  auto conflict = take("c", LockOp::kWrite);
  ASSERT_TRUE(conflict);
  EXPECT_FALSE(conflict->write);
  EXPECT_EQ(conflict->pid, 7u);
  EXPECT_FALSE(take("a", LockOp::kUnlock));
  EXPECT_TRUE(take("c", LockOp::kWrite));  // b still reads
  EXPECT_FALSE(take("b", LockOp::kUnlock));
  EXPECT_FALSE(take("c", LockOp::kWrite));
  auto w = take("a", LockOp::kRead);
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->write);
  EXPECT_EQ(w->owner, "c");
}

TEST_F(LockTableTest, RangesAndOwnLocks) {
  EXPECT_FALSE(take("a", LockOp::kWrite, 0, 99));
  EXPECT_FALSE(take("b", LockOp::kWrite, 100, 199));  // no overlap
  EXPECT_TRUE(take("b", LockOp::kRead, 50, 60));
  EXPECT_FALSE(take("a", LockOp::kRead, 0, 99));   // a downgrade of its own lock
  EXPECT_FALSE(take("b", LockOp::kRead, 50, 60));  // readers share now
  EXPECT_FALSE(take("a", LockOp::kWrite, 0, 49));  // a re-takes part: its own lock, b is elsewhere
  // Unlocking the middle of a's read lock splits it: 40-49 free, 0-39 and 50-99 still held.
  EXPECT_FALSE(take("a", LockOp::kUnlock, 40, 49));
  EXPECT_FALSE(take("c", LockOp::kWrite, 40, 49));
  EXPECT_TRUE(take("d", LockOp::kWrite, 30, 39));
  EXPECT_TRUE(take("d", LockOp::kWrite, 90, 95));
  EXPECT_EQ(table_.held("b/o", false, now_).size(), 5u);
}

TEST_F(LockTableTest, LeasesExpireAndRenew) {
  EXPECT_FALSE(take("a", LockOp::kWrite));
  now_ += 20s;
  EXPECT_FALSE(take("a", LockOp::kRenew));
  now_ += 20s;  // 40 s after the grant, 20 s after the renewal: held
  EXPECT_TRUE(take("b", LockOp::kWrite));
  now_ += 11s;  // the holder stopped renewing: gone
  EXPECT_FALSE(take("b", LockOp::kWrite));
}

TEST_F(LockTableTest, RenewSaysWhetherTheOwnerHoldsAnything) {
  // false tells a holder the table forgot its locks (a restarted target): it reclaims them.
  EXPECT_FALSE(table_.renew("b/o", false, "a", 30s, now_));
  EXPECT_FALSE(take("a", LockOp::kWrite, 0, 9));
  EXPECT_TRUE(table_.renew("b/o", false, "a", 30s, now_));
  EXPECT_FALSE(table_.renew("b/o", false, "b", 30s, now_));  // another owner
  EXPECT_FALSE(table_.renew("b/o", true, "a", 30s, now_));   // the flock space
  now_ += 31s;
  EXPECT_FALSE(table_.renew("b/o", false, "a", 30s, now_));  // expired before the renewal
  EXPECT_TRUE(table_.held("b/o", false, now_).empty());
}

TEST_F(LockTableTest, FlockAndRecordLocksAreSeparateAndTestsChangeNothing) {
  EXPECT_FALSE(take("a", LockOp::kWrite, 0, UINT64_MAX, /*flock=*/true));
  EXPECT_FALSE(take("b", LockOp::kWrite, 0, UINT64_MAX, /*flock=*/false));
  EXPECT_TRUE(take("b", LockOp::kRead, 0, UINT64_MAX, /*flock=*/true, /*test=*/true));
  EXPECT_TRUE(take("c", LockOp::kRead, 0, UINT64_MAX, /*flock=*/true));
  EXPECT_EQ(table_.held("b/o", true, now_).size(), 1u);
  EXPECT_FALSE(take("a", LockOp::kUnlock, 0, UINT64_MAX, /*flock=*/true));
  EXPECT_TRUE(table_.held("b/o", true, now_).empty());
}

}  // namespace
}  // namespace ais
