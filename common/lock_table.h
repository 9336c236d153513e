// Advisory locks that hold between aisfs mounts (flock and fcntl record locks), kept in memory by
// each object's owner target (node/target/target.cc). A lock belongs to an owner (a mount and the
// kernel's lock owner on it) and lives for a lease the holder renews; a holder that dies loses its
// locks when the lease runs out. POSIX record locks and flock locks are separate spaces, as on
// Linux. Not persisted: a restarted target, or a new owner after a membership change, learns them
// again from their holders (reclaims in a grace period). An aisfs mount keeps a table of the locks
// it was granted, with the same cuts, to know what to reclaim (fusefs/locks.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ais {

struct HeldLock {
  std::string owner;
  bool write = false;
  uint64_t start = 0;
  uint64_t end = UINT64_MAX;  // inclusive; UINT64_MAX: to the end of the file, whatever its size
  uint32_t pid = 0;           // the holder's process, for F_GETLK
  std::chrono::steady_clock::time_point expires;
};

enum class LockOp : uint8_t { kUnlock = 0, kRead = 1, kWrite = 2, kRenew = 3 };

class LockTable {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes (kRead/kWrite), releases (kUnlock) or extends the lease of (kRenew) `owner`'s locks in
  // [start, end] of object `key`. A lock taken replaces the owner's own in its range (an upgrade,
  // a downgrade, a split). nullopt when done; the conflicting lock of another owner when not
  // (nothing changed). `test`: only look (F_GETLK).
  std::optional<HeldLock> apply(const std::string& key, bool flock, LockOp op, HeldLock want,
                                std::chrono::milliseconds lease, bool test, Clock::time_point now);
  // Extends the lease of `owner`'s locks of `key`; false when it holds none there (the table
  // forgot them: the holder reclaims).
  bool renew(const std::string& key, bool flock, const std::string& owner,
             std::chrono::milliseconds lease, Clock::time_point now);
  // Locks of `key`.
  std::vector<HeldLock> held(const std::string& key, bool flock, Clock::time_point now);

 private:
  using Space = std::vector<HeldLock>;
  static void dropExpired(Space& space, Clock::time_point now);
  // Removes the owner's locks within [start, end], cutting those that stick out.
  static void cut(Space& space, const std::string& owner, uint64_t start, uint64_t end);
  std::map<std::pair<std::string, bool>, Space> spaces_;
};

}  // namespace ais
