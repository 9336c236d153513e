#include "node/store/space_reserve.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace ais::store {
namespace {

constexpr int64_t kRecheckNs = 100'000'000;

int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string mib(uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

}  // namespace

uint64_t SpaceReserve::reserveFor(uint64_t capacity) {
  constexpr uint64_t kMin = uint64_t{64} << 20, kMax = uint64_t{1} << 30;
  return std::min({std::max(capacity / 50, kMin), kMax, capacity / 4});
}

Status SpaceReserve::admit(uint64_t bytes) {
  const int64_t now = monotonicNs();
  const uint64_t since = admitted_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  const int64_t checked = checkedNs_.load(std::memory_order_acquire);
  if (checked != 0 && now - checked < kRecheckNs &&
      since <= headroom_.load(std::memory_order_relaxed)) {
    return Status::OK();
  }
  return refresh(bytes, now);
}

Status SpaceReserve::refresh(uint64_t bytes, int64_t nowNs) {
  std::lock_guard lock(mu_);
  struct statvfs st {};
  if (::statvfs(path_.c_str(), &st) != 0) {
    // (the write itself will say what is wrong with the file system)
    return Status::OK();
  }
  const uint64_t avail = uint64_t{st.f_bavail} * st.f_frsize;
  const uint64_t reserve = reserveFor(uint64_t{st.f_blocks} * st.f_frsize);
  const uint64_t headroom = avail > reserve ? avail - reserve : 0;
  headroom_.store(headroom, std::memory_order_relaxed);
  // The figures include what was written until now; what was admitted and is not written yet
  // is not counted again (a few chunks at most).
  admitted_.store(bytes <= headroom ? bytes : 0, std::memory_order_relaxed);
  checkedNs_.store(nowNs, std::memory_order_release);
  if (bytes <= headroom) return Status::OK();
  return Status(Code::kOutOfSpace,
                fmt::format("mountpath {} is out of space: {} available, of which {} is kept free "
                            "for its metadata",
                            path_, mib(avail), mib(reserve)));
}

}  // namespace ais::store
