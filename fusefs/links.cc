// Hard links. When a file gets a second name, its object moves (a server-side rename: bytes,
// metadata, mtime and inode number kept) to the inode object "./aisfs-links/<id>", and every name
// becomes an entry: an empty object whose posix.link holds the id. posix.nlink on the inode
// object counts the names. On this mount every name of the file is one inode, keyed by the inode
// object's name, so all names read and write the same bytes and metadata and show one st_ino.
// Removing a name removes its entry and counts down; the last one removes the inode object (at
// the last close, when the file is open). Files with one name keep the plain format. Every
// change of a count is a read-modify-write under a cluster lock on "<inode object>.count" that
// every mount takes (withCountLock), so mounts linking and unlinking names of one file at once
// never lose a count.
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"

namespace ais::fusefs {

namespace {

// How long a count change waits for another mount's (then EIO: the count is left as it is).
constexpr auto kCountLockWait = std::chrono::seconds(60);

}  // namespace

Status Fs::withCountLock(const std::string& bucket, const std::string& target,
                         const std::function<Status()>& change) {
  std::string key = target + ".count";
  LockRequest r{.owner = mountId_ + "-count",
                .flock = true,
                .op = 2,
                .leaseMs = static_cast<uint32_t>(options_.lockLease.count())};
  auto giveUp = std::chrono::steady_clock::now() + kCountLockWait;
  auto delay = std::chrono::milliseconds(5);
  for (;;) {
    auto got = client_.lock(bucket, key, r);
    if (!got.ok()) return got.status();
    if (got->granted) break;
    if (std::chrono::steady_clock::now() > giveUp) {
      return Status(Code::kIoError, "the link count of " + target + " stays locked by " +
                                        (got->inGrace ? "a grace period" : got->holder));
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
  Status st = change();
  r.op = 0;
  auto released = client_.lock(bucket, key, r);  // (if not, the lease frees it)
  if (!released.ok()) log::warn("aisfs: unlocking {}: {}", key, released.status().toString());
  return st;
}

Status Fs::followLink(const std::string& bucket, ObjectInfo& info) {
  std::string target = linkTarget(info);
  if (target.empty()) return Status::OK();
  auto head = client_.head(bucket, target);
  if (!head.ok()) return head.status();  // not found: a dangling entry (a link() cut short)
  info = std::move(*head);
  info.name = target;
  return Status::OK();
}

void Fs::followLinks(const std::string& bucket, std::map<std::string, DirEntry>& children) {
  std::vector<std::pair<std::string, std::future<Result<ObjectInfo>>>> heads;
  for (auto& [name, entry] : children) {
    if (!entry.haveInfo || entry.kind == Kind::kDir) continue;
    std::string target = linkTarget(entry.info);
    if (target.empty()) continue;
    auto task = std::make_shared<std::packaged_task<Result<ObjectInfo>()>>(
        [this, bucket, target] { return client_.head(bucket, target); });
    heads.emplace_back(name, task->get_future());
    readPool_.submit([task] { (*task)(); });
  }
  for (auto& [name, future] : heads) {
    auto head = future.get();
    DirEntry& entry = children[name];
    if (head.ok()) {
      std::string target = linkTarget(entry.info);
      entry.info = std::move(*head);
      entry.info.name = target;
      entry.kind = objectKind(entry.info, target);
    } else if (head.code() == Code::kObjectNotFound) {
      children.erase(name);  // a dangling entry is not a file
    } else {
      entry.haveInfo = false;  // looked up again on use
    }
  }
}

ErrOr<fuse_entry_param> Fs::doLink(fuse_ino_t ino, fuse_ino_t newParentIno,
                                   const std::string& newName) {
  auto inode = inodes_.get(ino);
  auto newParent = inodes_.get(newParentIno);
  if (!inode || !newParent) return Errno{ENOENT};
  Kind kind = inode->kind;
  if (kind != Kind::kFile && kind != Kind::kSymlink && kind != Kind::kSpecial) return Errno{EPERM};
  if (newParent->kind == Kind::kClusterRoot) return Errno{EPERM};
  std::string bucket = inode->bucket();
  if (newParent->bucket() != bucket) return Errno{EXDEV};
  auto object = childObject(*newParent, newName, false);
  if (!object.ok()) return Errno{object.err()};
  std::string target;
  DirEntry linked;
  {
    std::lock_guard l(inode->mu);
    if (inode->removeAtLastClose) return Errno{ENOENT};  // unlinked while open
    Status st = storeLocked(*inode);
    if (!st.ok()) return errnoOf(st);
    st = refreshLocked(*inode, true);
    if (!st.ok()) return errnoOf(st);
    std::string current = inode->name();
    std::map<std::string, std::string> counted{{kKeyCtime, std::to_string(unixNowNs())}};
    if (isLinked(current)) {
      target = current;
      PutOptions po{.custom = {{kKeyLink, current.substr(std::strlen(kLinksPrefix))}},
                    .ifAbsent = true};
      auto put = client_.put(bucket, *object, "", po);
      if (!put.ok()) return errnoOf(put.status());
      counted[kKeyNlink] = "+1";  // (counted under the lock below)
    } else {
      // The file's second name: it keeps its inode number as the id, unless that is taken.
      uint64_t id = persistentIno(inode->info);
      if (id == 0) id = inode->ino;
      if (client_.head(bucket, kLinksPrefix + inoValue(id)).ok()) id = newIno();
      target = kLinksPrefix + inoValue(id);
      PutOptions po{.custom = {{kKeyLink, inoValue(id)}}, .ifAbsent = true};
      // The new name first (an entry without its inode object is not shown), then the move,
      // then the old name's entry: at each step the file is there under one name at least.
      auto put = client_.put(bucket, *object, "", po);
      if (!put.ok()) return errnoOf(put.status());
      st = client_.rename(bucket, current, target);
      if (!st.ok()) {
        (void)client_.remove(bucket, *object);
        return errnoOf(st);
      }
      auto entry = client_.put(bucket, current, "", po);
      if (!entry.ok()) {
        Status back = client_.rename(bucket, target, current);
        (void)client_.remove(bucket, *object);
        log::error("aisfs: link {} -> {} in ais://{} undone ({}): {}", current, *object, bucket,
                   back.ok() ? "restored" : back.toString(), entry.status().toString());
        return errnoOf(entry.status());
      }
      inodes_.rename(bucket, current, target);
      counted[kKeyNlink] = "2";
      counted[kKeyIno] = inoValue(id);
    }
    Result<ObjectInfo> updated = Status(Code::kIoError, "not counted");
    Status counting = withCountLock(bucket, target, [&] {
      if (counted[kKeyNlink] == "+1") {
        auto head = client_.head(bucket, target);
        if (!head.ok()) return head.status();
        counted[kKeyNlink] = std::to_string(fileStat(*head, defaults_).st_nlink + 1);
      }
      updated = client_.setCustom(bucket, target, counted, true);
      return updated.status();
    });
    if (!counting.ok() && updated.ok()) updated = counting;
    if (!updated.ok()) {
      log::warn("aisfs: link count of ais://{}/{}: {}", bucket, target,
                updated.status().toString());
    } else {
      inode->info = std::move(*updated);
      inode->info.name = target;
      inode->attrAt = Clock::now();
    }
    linked = DirEntry{.kind = kind, .haveInfo = true, .info = inode->info};
    linked.info.name = target;
    if (!isLinked(current)) {  // the old name's cached entry stands for the inode object now
      dirs_.upsert(bucket, parentPrefix(current), current.substr(parentPrefix(current).size()),
                   linked);
    }
  }
  dirs_.upsert(bucket, newParent->name(), newName, linked);
  dirChanged(*newParent);
  return entryFor(bucket, target, linked);
}

int Fs::dropLinkName(const std::string& bucket, const std::string& name,
                     const std::string& target) {
  Status st = client_.remove(bucket, name);
  if (!st.ok() && st.code() != Code::kObjectNotFound) return toErrno(st);
  auto inode = inodes_.find(bucket, target);
  std::unique_lock<std::mutex> l;
  if (inode) l = std::unique_lock(inode->mu);
  int err = 0;
  Status st2 = withCountLock(bucket, target, [&] {
    err = countDownLocked(bucket, target, inode);
    return Status::OK();
  });
  return st2.ok() ? err : toErrno(st2);
}

int Fs::countDownLocked(const std::string& bucket, const std::string& target,
                        const std::shared_ptr<Inode>& inode) {
  auto head = client_.head(bucket, target);
  if (!head.ok()) return head.code() == Code::kObjectNotFound ? 0 : toErrno(head.status());
  nlink_t n = fileStat(*head, defaults_).st_nlink;
  if (n > 1) {
    auto updated = client_.setCustom(
        bucket, target,
        {{kKeyNlink, std::to_string(n - 1)}, {kKeyCtime, std::to_string(unixNowNs())}}, true);
    if (!updated.ok()) return toErrno(updated.status());
    if (inode && !(inode->ws && inode->ws->dirty)) {
      inode->info = std::move(*updated);
      inode->info.name = target;
      inode->attrAt = Clock::now();
    } else if (inode) {
      inode->info.custom[kKeyNlink] = std::to_string(n - 1);
    }
    return 0;
  }
  // The last name: the file goes, at its last close if it is open.
  if (inode && inode->openCount > 0) {
    inode->removeAtLastClose = true;
    return 0;
  }
  if (inode) inode->unlinked = true;
  Status st = client_.remove(bucket, target);
  if (!st.ok() && st.code() != Code::kObjectNotFound) return toErrno(st);
  inodes_.detach(bucket, target);
  return 0;
}

}  // namespace ais::fusefs
