// flock and fcntl record locks that hold between mounts: each lock is taken on the object's owner
// target (Client::lock, node/target/lock_table.h) under an owner made of this mount's random id
// and the kernel's lock owner, with a lease a thread here renews; a mount that dies loses its locks
// when the lease runs out. Like NFS, taking a lock revalidates the file (another mount may have
// changed it: the cached pages and attributes of an older version are dropped) and releasing one
// first stores what was written under it.
#include <sys/file.h>

#include <cstring>
#include <random>

#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

constexpr uint64_t kToEnd = UINT64_MAX;
// Locks are renewed at a third of the lease, and at least this often: a target that restarted
// learns them back within its grace period (15 s, ais.capnp lockObject).
constexpr auto kMaxRenewPeriod = std::chrono::seconds(5);
// F_GETLK while a target is in its grace period: asked again for up to this long.
constexpr auto kGetlkGraceWait = std::chrono::seconds(20);

std::string grantedKey(const std::string& bucket, const std::string& name) {
  return bucket + '\0' + name;
}

std::string newMountId() {
  std::random_device rd;
  char buf[20];
  snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

void Fs::startLockRenewer() {
  mountId_ = newMountId();
  lockRenewer_ = std::thread([this] {
    std::unique_lock l(heldMu_);
    auto period = std::min<std::chrono::milliseconds>(options_.lockLease / 3, kMaxRenewPeriod);
    while (!stopRenewing_) {
      heldCv_.wait_for(l, period, [this] { return stopRenewing_; });
      if (stopRenewing_) break;
      auto held = held_;
      l.unlock();
      for (auto& [bucket, name, owner, flock] : held) renewLocks(bucket, name, owner, flock);
      l.lock();
    }
  });
}

void Fs::renewLocks(const std::string& bucket, const std::string& name, const std::string& owner,
                    bool flock) {
  uint32_t leaseMs = static_cast<uint32_t>(options_.lockLease.count());
  LockRequest renew{.owner = owner, .flock = flock, .op = 3, .leaseMs = leaseMs};
  auto renewed = client_.lock(bucket, name, renew);
  if (!renewed.ok()) {  // (a target down: asked again next period, within the lease)
    log::warn("aisfs: renewing locks on ais://{}/{}: {}", bucket, name,
              renewed.status().toString());
    return;
  }
  if (renewed->granted) return;
  // The target no longer knows them (it restarted, or the object has a new owner): take them
  // back, range by range, as reclaims its grace period lets through.
  std::vector<HeldLock> mine;
  {
    std::lock_guard l(heldMu_);
    for (auto& h : granted_.held(grantedKey(bucket, name), flock, LockTable::Clock::now())) {
      if (h.owner == owner) mine.push_back(h);
    }
  }
  for (auto& h : mine) {
    LockRequest r{.owner = owner,
                  .flock = flock,
                  .op = static_cast<uint8_t>(h.write ? 2 : 1),
                  .start = h.start,
                  .end = h.end,
                  .pid = h.pid,
                  .leaseMs = leaseMs,
                  .reclaim = true};
    auto got = client_.lock(bucket, name, r);
    if (got.ok() && got->granted) continue;
    // Lost: another owner may have held it since. Nothing can tell the process but the log.
    log::error("aisfs: lost a {} lock on ais://{}/{} [{}, {}] held by pid {}: {}",
               flock ? "flock" : "record", bucket, name, h.start, h.end, h.pid,
               got.ok() ? got->holder : got.status().toString());
    std::lock_guard l(heldMu_);
    granted_.apply(grantedKey(bucket, name), flock, LockOp::kUnlock, h, kLockForever, false,
                   LockTable::Clock::now());
  }
  if (!mine.empty()) log::info("aisfs: reclaimed locks on ais://{}/{}", bucket, name);
  std::lock_guard l(heldMu_);
  if (granted_.held(grantedKey(bucket, name), flock, LockTable::Clock::now()).empty()) {
    held_.erase({bucket, name, owner, flock});
  }
}

void Fs::stopLockRenewer() {
  {
    std::lock_guard l(heldMu_);
    stopRenewing_ = true;
  }
  heldCv_.notify_all();
  if (lockRenewer_.joinable()) lockRenewer_.join();
}

std::string Fs::lockOwnerName(uint64_t lockOwner) const {
  char buf[24];
  snprintf(buf, sizeof buf, "-%llx", static_cast<unsigned long long>(lockOwner));
  return mountId_ + buf;
}

void Fs::releaseRecordLocks(fuse_ino_t ino, uint64_t lockOwner) {
  auto inode = inodes_.get(ino);
  if (!inode) return;
  auto target = lockTarget(*inode);
  if (!target) return;
  {
    std::lock_guard l(heldMu_);
    if (!held_.count({target->first, target->second, lockOwnerName(lockOwner), false})) return;
  }
  int err = doLock(nullptr, ino, nullptr, lockOwner, false, F_UNLCK, 0, kToEnd, 0, false);
  if (err != 0) log::warn("aisfs: releasing locks on close: {}", strerror(err));
}

std::optional<std::pair<std::string, std::string>> Fs::lockTarget(const Inode& inode) {
  Kind kind = inode.kind;
  if (kind != Kind::kFile && kind != Kind::kSymlink && kind != Kind::kSpecial) return std::nullopt;
  return std::make_pair(inode.bucket(), inode.name());
}

int Fs::doLock(fuse_req_t req, fuse_ino_t ino, FileHandle* fh, uint64_t lockOwner, bool flock,
               int type, uint64_t start, uint64_t end, pid_t pid, bool wait) {
  auto inode = inodes_.get(ino);
  if (!inode) return ENOENT;
  auto target = lockTarget(*inode);
  if (!target) return ENOLCK;
  auto& [bucket, name] = *target;
  LockRequest r{.owner = lockOwnerName(lockOwner),
                .flock = flock,
                .op = static_cast<uint8_t>(type == F_UNLCK   ? 0
                                           : type == F_RDLCK ? 1
                                                             : 2),
                .start = start,
                .end = end,
                .pid = static_cast<uint32_t>(pid),
                .leaseMs = static_cast<uint32_t>(options_.lockLease.count())};
  auto key = std::make_tuple(bucket, name, r.owner, flock);
  if (type == F_UNLCK) {
    // What was written under the lock is stored before another mount can take it.
    {
      std::lock_guard l(inode->mu);
      Status st = storeLocked(*inode);
      if (!st.ok()) return toErrno(st);
    }
    auto done = client_.lock(bucket, name, r);
    if (!done.ok()) return toErrno(done.status());
    std::lock_guard l(heldMu_);
    auto now = LockTable::Clock::now();
    HeldLock range{.owner = r.owner, .start = start, .end = end};
    granted_.apply(grantedKey(bucket, name), flock, LockOp::kUnlock, range, kLockForever, false,
                   now);
    bool ownerHoldsMore = false;
    for (auto& h : granted_.held(grantedKey(bucket, name), flock, now)) {
      ownerHoldsMore = ownerHoldsMore || h.owner == r.owner;
    }
    if (!ownerHoldsMore) held_.erase(key);
    return 0;
  }
  auto delay = std::chrono::milliseconds(10);
  for (;;) {
    auto got = client_.lock(bucket, name, r);
    if (!got.ok()) return toErrno(got.status());
    if (got->granted) break;  // (inGrace: not granted yet, as if held)
    if (!wait) return EAGAIN;
    if (fuse_req_interrupted(req)) return EINTR;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
  {
    std::lock_guard l(heldMu_);
    held_.insert(key);
    HeldLock range{.owner = r.owner, .start = start, .end = end, .pid = r.pid};
    granted_.apply(grantedKey(bucket, name), flock,
                   type == F_RDLCK ? LockOp::kRead : LockOp::kWrite, range, kLockForever, false,
                   LockTable::Clock::now());
  }
  revalidateForLock(*inode, fh);
  return 0;
}

void Fs::revalidateForLock(Inode& inode, FileHandle* fh) {
  revalidateSiblings(inode);
  bool stalePages = false;
  uint64_t size = 0;
  {
    std::lock_guard l(inode.mu);
    if (inode.ws && inode.ws->dirty) return;  // our own changes are the newest
    Status st = refreshLocked(inode, true);
    if (!st.ok()) return;  // the next read reports it
    // Compared with the version the kernel's pages came from, not with the attributes (a stat
    // may have read the new version already, leaving the pages of the old one).
    uint64_t tag = cacheTag(inode.info);
    ++inode.followGen;  // (what a lock shows, every descriptor reads)
    stalePages = !(inode.pageCacheValid && inode.pageCacheVersion == tag);
    inode.pageCacheValid = true;
    inode.pageCacheVersion = tag;
    // A clean spool is a copy of some earlier version: the next write starts from this one.
    if (inode.ws) dropWriteStateLocked(inode);
    size = inode.info.size;
  }
  if (fh != nullptr) {  // the bytes this descriptor fetched before
    std::lock_guard l(fh->mu);
    fh->whole.reset();
    fh->chunks.clear();
    fh->size = size;
  }
  if (stalePages && session_ != nullptr) {
    fuse_lowlevel_notify_inval_inode(session_, inode.ino, 0, 0);
  }
}

void Fs::revalidateSiblings(const Inode& inode) {
  // Programs that lock a file also trust the names beside it (sqlite3 looks for its journal under
  // the lock): what this mount knows of the directory must be as fresh as the lock. The listing
  // is dropped, the files' attributes are read again on use, and the kernel forgets their names.
  std::string bucket = inode.bucket();
  std::string name = inode.name();
  if (isLinked(name)) return;  // (its names may be anywhere)
  std::string prefix = parentPrefix(name);
  dirs_.invalidate(bucket, prefix);
  std::vector<std::string> names;
  for (auto& other : inodes_.all()) {
    if (other.get() == &inode || other->bucket() != bucket) continue;
    std::string n = other->name();
    if (!n.starts_with(prefix) || n.size() == prefix.size()) continue;
    std::string rest = n.substr(prefix.size());
    if (rest.back() == '/') rest.pop_back();  // a subdirectory (its marker's name)
    if (rest.empty() || rest.find('/') != std::string::npos) continue;
    {
      std::lock_guard l(other->mu);
      if (!(other->ws && other->ws->dirty)) other->attrAt = {};
    }
    names.push_back(std::move(rest));
  }
  auto parent = inodes_.find(bucket, prefix);  // (a bucket's root: bucket, "")
  if (session_ == nullptr || !parent || names.size() > 1000) return;
  for (auto& n : names)
    fuse_lowlevel_notify_inval_entry(session_, parent->ino, n.c_str(), n.size());
}

ErrOr<struct flock> Fs::doGetlk(fuse_ino_t ino, uint64_t lockOwner, const struct flock& lk) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  auto target = lockTarget(*inode);
  if (!target) return Errno{ENOLCK};
  LockRequest r{.owner = lockOwnerName(lockOwner),
                .flock = false,
                .op = static_cast<uint8_t>(lk.l_type == F_RDLCK ? 1 : 2),
                .start = static_cast<uint64_t>(lk.l_start),
                .end = lockEnd(lk),
                .test = true};
  auto got = client_.lock(target->first, target->second, r);
  // A target in its grace period does not know every lock yet: ask again once it does.
  auto giveUp = std::chrono::steady_clock::now() + kGetlkGraceWait;
  while (got.ok() && got->inGrace && std::chrono::steady_clock::now() < giveUp) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    got = client_.lock(target->first, target->second, r);
  }
  if (!got.ok()) return errnoOf(got.status());
  if (got->inGrace) return Errno{ENOLCK};
  struct flock out = lk;
  if (got->granted) {
    out.l_type = F_UNLCK;
    return out;
  }
  out.l_type = got->holderWrite ? F_WRLCK : F_RDLCK;
  out.l_whence = SEEK_SET;
  out.l_start = static_cast<off_t>(got->holderStart);
  out.l_len =
      got->holderEnd == kToEnd ? 0 : static_cast<off_t>(got->holderEnd - got->holderStart + 1);
  out.l_pid = static_cast<pid_t>(got->holderPid);
  return out;
}

}  // namespace ais::fusefs
