// LockTable: conflicts, cuts and leases over plain vectors (few locks per object).
#include "common/lock_table.h"

#include <algorithm>

namespace ais {

void LockTable::dropExpired(Space& space, Clock::time_point now) {
  std::erase_if(space, [now](const HeldLock& l) { return l.expires <= now; });
}

void LockTable::cut(Space& space, const std::string& owner, uint64_t start, uint64_t end) {
  Space kept;
  for (auto& l : space) {
    if (l.owner != owner || l.end < start || l.start > end) {
      kept.push_back(l);
      continue;
    }
    if (l.start < start) {
      HeldLock before = l;
      before.end = start - 1;
      kept.push_back(before);
    }
    if (l.end > end) {
      HeldLock after = l;
      after.start = end + 1;
      kept.push_back(after);
    }
  }
  space = std::move(kept);
}

std::optional<HeldLock> LockTable::apply(const std::string& key, bool flock, LockOp op,
                                         HeldLock want, std::chrono::milliseconds lease, bool test,
                                         Clock::time_point now) {
  auto it = spaces_.find({key, flock});
  if (it != spaces_.end()) dropExpired(it->second, now);
  if (op == LockOp::kUnlock || op == LockOp::kRenew) {
    if (it == spaces_.end() || test) return std::nullopt;
    if (op == LockOp::kUnlock) {
      cut(it->second, want.owner, want.start, want.end);
      if (it->second.empty()) spaces_.erase(it);
    } else {
      renew(key, flock, want.owner, lease, now);
    }
    return std::nullopt;
  }
  want.write = op == LockOp::kWrite;
  if (it != spaces_.end()) {
    for (auto& l : it->second) {
      bool overlaps = l.start <= want.end && want.start <= l.end;
      if (overlaps && l.owner != want.owner && (l.write || want.write)) return l;
    }
  }
  if (test) return std::nullopt;
  Space& space = spaces_[{key, flock}];
  cut(space, want.owner, want.start, want.end);
  want.expires = now + lease;
  space.push_back(std::move(want));
  return std::nullopt;
}

bool LockTable::renew(const std::string& key, bool flock, const std::string& owner,
                      std::chrono::milliseconds lease, Clock::time_point now) {
  auto it = spaces_.find({key, flock});
  if (it == spaces_.end()) return false;
  dropExpired(it->second, now);
  bool found = false;
  for (auto& l : it->second) {
    if (l.owner != owner) continue;
    l.expires = now + lease;
    found = true;
  }
  if (it->second.empty()) spaces_.erase(it);
  return found;
}

std::vector<HeldLock> LockTable::held(const std::string& key, bool flock, Clock::time_point now) {
  auto it = spaces_.find({key, flock});
  if (it == spaces_.end()) return {};
  dropExpired(it->second, now);
  return it->second;
}

}  // namespace ais
