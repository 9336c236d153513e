// Files removed while open (entry_ops.cc) live on as ./aisfs-unlinked/<mount id>.<n> until their
// last close. A mount that dies first leaves them behind; another mount removes them. Liveness
// comes from the lock service: before its first such file in a bucket, a mount takes an
// exclusive lock on ./aisfs-unlinked/<mount id> there, which its lock renewer keeps (and takes
// back after a target restart, locks.cc); once the lease of a dead mount runs out, the lock is
// free, and a mount starting later sees it free and removes that mount's files.
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/posix_meta.h"

namespace ais::fusefs {

std::string Fs::unlinkedName(const std::string& id) const {
  return std::string(kUnlinkedPrefix) + mountId_ + "." + id;
}

Status Fs::holdUnlinkedLease(const std::string& bucket) {
  std::string key = std::string(kUnlinkedPrefix) + mountId_;
  std::string owner = mountId_ + "-unlinked";
  {
    std::lock_guard l(heldMu_);
    if (held_.count({bucket, key, owner, true})) return Status::OK();
  }
  LockRequest r{.owner = owner,
                .flock = true,
                .op = 2,
                .leaseMs = static_cast<uint32_t>(options_.lockLease.count())};
  auto got = client_.lock(bucket, key, r);
  if (!got.ok()) return got.status();
  if (!got->granted) {  // (in a grace period, or a clash of random ids: no file is moved)
    return Status(Code::kUnavailable, "lease of " + key + " not granted");
  }
  std::lock_guard l(heldMu_);
  held_.insert({bucket, key, owner, true});
  granted_.apply(bucket + '\0' + key, true, LockOp::kWrite,
                 HeldLock{.owner = owner, .start = 0, .end = UINT64_MAX}, kLockForever, false,
                 LockTable::Clock::now());
  return Status::OK();
}

void Fs::startUnlinkedSweep() {
  sweeper_ = std::thread([this] {
    std::vector<std::string> buckets;
    if (!options_.bucket.empty()) {
      buckets.push_back(options_.bucket);
    } else if (auto all = client_.listBuckets(); all.ok()) {
      for (auto& b : *all) buckets.push_back(b.name);
    }
    for (auto& bucket : buckets) {
      {
        std::lock_guard l(heldMu_);
        if (stopRenewing_) return;
      }
      sweepUnlinked(bucket);
    }
  });
}

void Fs::sweepUnlinked(const std::string& bucket) {
  // Leftovers by the mount that made them (names of the earlier form, without a mount id, are
  // left alone: nothing tells whether their mount lives).
  std::map<std::string, std::vector<std::string>> byMount;
  Status st = client_.listAll(bucket, ListOptions{.prefix = kUnlinkedPrefix}, [&](ObjectInfo& o) {
    std::string rest = o.name.substr(std::string_view(kUnlinkedPrefix).size());
    size_t dot = rest.find('.');
    if (dot != std::string::npos && dot > 0) byMount[rest.substr(0, dot)].push_back(o.name);
    return true;
  });
  if (!st.ok()) {
    log::warn("aisfs: looking for leftovers in ais://{}/{}: {}", bucket, kUnlinkedPrefix,
              st.toString());
    return;
  }
  for (auto& [mount, names] : byMount) {
    if (mount == mountId_) continue;
    LockRequest probe{.owner = mountId_ + "-sweep", .flock = true, .op = 2, .test = true};
    auto got = client_.lock(bucket, std::string(kUnlinkedPrefix) + mount, probe);
    if (!got.ok() || !got->granted) continue;  // alive, in a grace period, or unknown: kept
    size_t removed = 0;
    for (auto& name : names) removed += client_.remove(bucket, name).ok() ? 1 : 0;
    log::info("aisfs: removed {} of {} file(s) left in ais://{}/{} by mount {}", removed,
              names.size(), bucket, kUnlinkedPrefix, mount);
  }
}

}  // namespace ais::fusefs
