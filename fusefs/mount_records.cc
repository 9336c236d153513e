// Records a mount leaves in a bucket, and what becomes of them when the mount dies.
// - A file removed while open (entry_ops.cc) lives on as ./aisfs-unlinked/<mount id>.<n> until
//   its last close.
// - A directory rename first writes an intent, ./aisfs-renames/<mount id>.<n> holding the two
//   prefixes, then moves the objects one by one, then removes the intent. A rename cut short (a
//   target down, the mount killed) is finished from the intent: by this mount in the
//   background, or by another mount if this one died. Finishing is rolling forward: every object
//   still under the old prefix moves to the new one.
// Liveness comes from the lock service: before its first record in a bucket, a mount takes an
// exclusive lock on ./aisfs-mounts/<mount id> there, which its lock renewer keeps (and takes back
// after a target restart, locks.cc). Once a dead mount's lease runs out the lock is free, and a
// mount that starts later removes its unlinked files and finishes its renames.
#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/posix_meta.h"

namespace ais::fusefs {
namespace {

// Objects of a directory rename moved at once.
constexpr size_t kMoveThreads = 8;
// How often this mount tries again to finish its own renames that were cut short.
constexpr auto kReplayPeriod = std::chrono::seconds(2);
// How long taking the mount's lease waits for a target's grace period (15 s) to end.
constexpr auto kLeaseWait = std::chrono::seconds(20);

std::string_view afterPrefix(const std::string& name, std::string_view prefix) {
  return std::string_view(name).substr(prefix.size());
}

}  // namespace

std::string Fs::recordName(const char* prefix, const std::string& id) const {
  return std::string(prefix) + mountId_ + "." + id;
}

Status Fs::holdMountLease(const std::string& bucket) {
  std::string key = std::string(kMountsPrefix) + mountId_;
  std::string owner = mountId_ + "-mount";
  {
    std::lock_guard l(heldMu_);
    if (held_.count({bucket, key, owner, true})) return Status::OK();
  }
  LockRequest r{.owner = owner,
                .flock = true,
                .op = 2,
                .leaseMs = static_cast<uint32_t>(options_.lockLease.count())};
  auto got = client_.lock(bucket, key, r);
  auto giveUp = std::chrono::steady_clock::now() + kLeaseWait;
  while (got.ok() && got->inGrace && std::chrono::steady_clock::now() < giveUp) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a target taking locks back
    got = client_.lock(bucket, key, r);
  }
  if (!got.ok()) return got.status();
  if (!got->granted) {  // (a clash of random ids, or the grace period lasted: no record is made)
    return Status(Code::kUnavailable, "lease of " + key + " not granted");
  }
  std::lock_guard l(heldMu_);
  held_.insert({bucket, key, owner, true});
  granted_.apply(bucket + '\0' + key, true, LockOp::kWrite,
                 HeldLock{.owner = owner, .start = 0, .end = UINT64_MAX}, kLockForever, false,
                 LockTable::Clock::now());
  return Status::OK();
}

Status Fs::renameDirectory(const std::string& bucket, const std::string& from,
                           const std::string& to, size_t* moved) {
  AIS_RETURN_IF_ERROR(holdMountLease(bucket));
  std::string intent = recordName(kRenamesPrefix, inoValue(newIno()));
  ++ownRenames_;
  struct Done {
    std::atomic<int>& n;
    ~Done() { --n; }
  } done{ownRenames_};
  auto put = client_.put(bucket, intent, "",
                         PutOptions{.custom = {{kKeyRenameFrom, from},
                                               {kKeyRenameTo, to},
                                               {kKeyRenameAlive, std::to_string(unixNowNs())}}});
  if (!put.ok()) return put.status();
  // Every mount's view of the intents is fresh by now (rename_wait.cc).
  std::this_thread::sleep_for(kRenameSettle);
  Status st = moveTree(bucket, from, to, intent, moved);
  if (st.ok()) {
    Status removed = client_.remove(bucket, intent);
    if (!removed.ok())
      log::warn("aisfs: rename intent ais://{}/{}: {}", bucket, intent, removed.toString());
    return st;
  }
  // Finished later from the intent (replayRenames); the caller reports the failure.
  std::lock_guard l(heldMu_);
  unfinishedRenames_.insert({bucket, intent});
  heldCv_.notify_all();
  return st;
}

Status Fs::moveTree(const std::string& bucket, const std::string& from, const std::string& to,
                    const std::string& intent, size_t* moved) {
  // Names are collected first: listing pages would shift under the renames.
  std::vector<std::string> names;
  ListOptions lo{.prefix = from, .pageSize = 1000};
  do {
    auto page = client_.list(bucket, lo);
    if (!page.ok()) return page.status();
    for (auto& e : page->entries) names.push_back(e.name);
    lo.continuationToken = page->continuationToken;
  } while (!lo.continuationToken.empty());
  // Several moves at once (each is a round trip, a cross-target one a copy): a directory of
  // 2,000 files moves in a fraction of the time one by one takes.
  std::atomic<size_t> next{0}, done{0};
  std::atomic<int64_t> touchedNs{unixNowNs()};
  // The directory's own marker moves with a new ctime (a rename is a status change, as on Linux).
  const std::string ctime = std::to_string(unixNowNs());
  std::mutex errMu;
  Status firstError;
  auto work = [&] {
    for (size_t i; (i = next++) < names.size();) {
      {
        std::lock_guard l(errMu);
        if (!firstError.ok()) return;
      }
      int64_t last = touchedNs.load();
      int64_t now = unixNowNs();
      if (now - last > std::chrono::nanoseconds(kRenameAlive).count() &&
          touchedNs.compare_exchange_strong(last, now)) {  // still at it: other mounts wait on
        auto t = client_.setCustom(bucket, intent, {{kKeyRenameAlive, std::to_string(now)}});
        if (!t.ok()) {
          log::warn("aisfs: touching ais://{}/{}: {}", bucket, intent, t.status().toString());
        }
      }
      const std::string& n = names[i];
      std::string dst = to + std::string(afterPrefix(n, from));
      Status st = n == from ? client_.renameWith(bucket, n, dst, {{kKeyCtime, ctime}}).status()
                            : client_.rename(bucket, n, dst);
      if (st.code() == Code::kObjectNotFound) continue;  // (moved by an earlier attempt)
      if (!st.ok()) {
        std::lock_guard l(errMu);
        if (firstError.ok()) {
          firstError = Status(
              st.code(), "moving ais://" + bucket + "/" + n + " to " + dst + ": " + st.toString());
        }
        return;
      }
      ++done;
    }
  };
  std::vector<std::thread> workers;
  for (size_t k = 1; k < std::min<size_t>(kMoveThreads, names.size()); ++k) {
    workers.emplace_back(work);
  }
  work();
  for (auto& w : workers) w.join();
  if (moved) *moved += done.load();
  return firstError;
}

Status Fs::replayRename(const std::string& bucket, const std::string& intent) {
  auto head = client_.head(bucket, intent);
  if (!head.ok()) return head.code() == Code::kObjectNotFound ? Status::OK() : head.status();
  auto from = head->custom.find(kKeyRenameFrom);
  auto to = head->custom.find(kKeyRenameTo);
  if (from == head->custom.end() || to == head->custom.end() || from->second.empty() ||
      to->second.empty()) {
    return Status(Code::kInvalidArgument, "rename intent " + intent + " without its prefixes");
  }
  // A move is running again: other mounts wait for it (rename_wait.cc).
  (void)client_.setCustom(bucket, intent, {{kKeyRenameAlive, std::to_string(unixNowNs())}});
  size_t moved = 0;
  AIS_RETURN_IF_ERROR(moveTree(bucket, from->second, to->second, intent, &moved));
  log::info("aisfs: finished the rename of ais://{}/{} to {} ({} object(s) moved)", bucket,
            from->second, to->second, moved);
  dirs_.invalidateTree(bucket, from->second);
  dirs_.invalidateTree(bucket, to->second);
  return client_.remove(bucket, intent);
}

void Fs::startRecordKeeper() {
  recordKeeper_ = std::thread([this] {
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
      sweepRecords(bucket);
    }
    // This mount's renames cut short: tried again until they are finished.
    std::unique_lock l(heldMu_);
    while (!stopRenewing_) {
      heldCv_.wait_for(l, kReplayPeriod, [this] { return stopRenewing_; });
      if (stopRenewing_ || unfinishedRenames_.empty()) continue;
      auto pending = unfinishedRenames_;
      l.unlock();
      for (auto& [bucket, intent] : pending) {
        Status st = replayRename(bucket, intent);
        if (!st.ok()) {
          log::warn("aisfs: finishing a rename (ais://{}/{}): {}", bucket, intent, st.toString());
          continue;
        }
        std::lock_guard done(heldMu_);
        unfinishedRenames_.erase({bucket, intent});
      }
      l.lock();
    }
  });
}

void Fs::sweepRecords(const std::string& bucket) {
  // Records by the mount that made them (unlinked files of the earlier form, without a mount
  // id, are left alone: nothing tells whether their mount lives).
  struct Left {
    std::vector<std::string> unlinked, renames;
  };
  std::map<std::string, Left> byMount;
  for (const char* prefix : {kUnlinkedPrefix, kRenamesPrefix}) {
    Status st = client_.listAll(bucket, ListOptions{.prefix = prefix}, [&](ObjectInfo& o) {
      std::string rest(afterPrefix(o.name, prefix));
      size_t dot = rest.find('.');
      if (dot == std::string::npos || dot == 0) return true;
      Left& left = byMount[rest.substr(0, dot)];
      (prefix == kUnlinkedPrefix ? left.unlinked : left.renames).push_back(o.name);
      return true;
    });
    if (!st.ok()) {
      log::warn("aisfs: looking for leftovers in ais://{}/{}: {}", bucket, prefix, st.toString());
      return;
    }
  }
  for (auto& [mount, left] : byMount) {
    if (mount == mountId_) continue;
    LockRequest probe{.owner = mountId_ + "-sweep", .flock = true, .op = 2, .test = true};
    auto got = client_.lock(bucket, std::string(kMountsPrefix) + mount, probe);
    if (!got.ok() || !got->granted) continue;  // alive, in a grace period, or unknown: kept
    for (auto& intent : left.renames) {
      Status st = replayRename(bucket, intent);
      if (!st.ok()) log::warn("aisfs: finishing ais://{}/{}: {}", bucket, intent, st.toString());
    }
    size_t removed = 0;
    for (auto& name : left.unlinked) removed += client_.remove(bucket, name).ok() ? 1 : 0;
    if (!left.unlinked.empty()) {
      log::info("aisfs: removed {} of {} file(s) left in ais://{}/{} by mount {}", removed,
                left.unlinked.size(), bucket, kUnlinkedPrefix, mount);
    }
  }
}

}  // namespace ais::fusefs
