// Hard links. When a file gets a second name, its object moves (a server-side rename: bytes,
// metadata, mtime and inode number kept) to the inode object "./aisfs-links/<id>", and every name
// becomes an entry: an empty object whose posix.link holds the id. posix.nlink on the inode
// object counts the names. On this mount every name of the file is one inode, keyed by the inode
// object's name, so all names read and write the same bytes and metadata and show one st_ino.
// Removing a name removes its entry and counts down; the last one removes the inode object (at
// the last close, when the file is open). Files with one name keep the plain format. Every
// change of a count is one atomic step on the inode object's owner (Client::addCustom, retried
// without being applied twice), so mounts linking and unlinking names of one file at once never
// lose a count.
#include <cstring>
#include <future>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "meta/hrw.h"

namespace ais::fusefs {

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
    std::string target = linkTarget(*entry.info);
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
      std::string target = linkTarget(*entry.info);
      entry.info = std::move(*head);
      entry.info.edit().name = target;
      entry.kind = objectKind(*entry.info, target);
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
  // A file whose own pending link waits (deferred_links.cc) gets it stored first.
  settleLinks(bucket, inode->name());
  if (auto deferred = deferLink(inode, newParent, newName, *object)) return std::move(*deferred);
  auto linked = linkNow(inode, *object, false);
  if (!linked.ok()) return Errno{linked.err()};
  dirs_.upsert(bucket, newParent->name(), newName, *linked);
  dirChanged(*newParent);
  return entryFor(bucket, linked->info->name, *linked);
}

uint64_t Fs::linkIdNear(const std::string& bucket, const std::string& name, uint64_t ino) {
  // The file's inode number when its inode object would have the owner of `name`, else the
  // first of a sequence derived from it that has: the move is then a rename on one target (no
  // bytes over the network; a file rename when the mountpath matches too). ~N tries for N
  // targets, all local hashing.
  auto smap = client_.smapSnapshot();
  if (!smap) return ino;
  const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname(bucket, name));
  if (!owner) return ino;
  uint64_t candidate = ino;
  for (int i = 0; i < 256; ++i) {
    const meta::NodeInfo* lands =
        meta::ownerTarget(*smap, meta::uname(bucket, kLinksPrefix + inoValue(candidate)));
    if (lands && lands->id == owner->id) return candidate;
    // splitmix64 of the inode number and the try: spread over 63 bits, above FUSE's root id.
    uint64_t z = ino + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    candidate = std::max<uint64_t>((z ^ (z >> 31)) >> 1, 2);
  }
  return ino;
}

ErrOr<DirEntry> Fs::linkNow(const std::shared_ptr<Inode>& inode, const std::string& object,
                            bool pending) {
  std::string bucket = inode->bucket();
  Kind kind = inode->kind;
  std::string target;
  DirEntry linked;
  {
    std::lock_guard l(inode->mu);
    if (pending) --inode->pendingLinks;                  // (stored now, or not at all)
    if (inode->removeAtLastClose) return Errno{ENOENT};  // unlinked while open
    Status st = storeLocked(*inode);
    if (!st.ok()) return errnoOf(st);
    // A file's second name needs an id for its inode object, chosen so that the object lands on
    // the target that holds the file now (linkIdNear); whether it is taken is asked while the
    // attributes are read again (two round trips at once; the number rarely changes).
    auto idOf = [&] {
      uint64_t id = persistentIno(inode->info);
      return id != 0 ? id : static_cast<uint64_t>(inode->ino);
    };
    uint64_t guess = isLinked(inode->name()) ? 0 : linkIdNear(bucket, inode->name(), idOf());
    std::future<bool> guessTaken;
    if (guess != 0) {
      auto task = std::make_shared<std::packaged_task<bool()>>([this, bucket, guess] {
        return client_.head(bucket, kLinksPrefix + inoValue(guess)).ok();
      });
      guessTaken = task->get_future();
      readPool_.submit([task] { (*task)(); });
    }
    st = refreshLocked(*inode, true);
    bool taken = guessTaken.valid() && guessTaken.get();
    if (!st.ok()) return errnoOf(st);
    std::string current = inode->name();
    std::string ctime = std::to_string(unixNowNs());
    Result<ObjectInfo> updated = Status(Code::kIoError, "not counted");
    if (isLinked(current)) {
      target = current;
      PutOptions po{.custom = {{kKeyLink, current.substr(std::strlen(kLinksPrefix))}},
                    .ifAbsent = true};
      auto put = client_.put(bucket, object, "", po);
      if (!put.ok()) return errnoOf(put.status());
      // One more name, counted on the inode object's owner in one step.
      updated = client_.addCustom(bucket, target, {{kKeyNlink, 1}}, 1, {{kKeyCtime, ctime}});
    } else {
      // The file keeps its inode number (st_ino) whatever the id; a taken id (another file's
      // inode object) gives way to a random one.
      uint64_t ino = idOf();
      uint64_t id = linkIdNear(bucket, current, ino);
      if (id == guess ? taken : client_.head(bucket, kLinksPrefix + inoValue(id)).ok()) {
        id = newIno();
      }
      target = kLinksPrefix + inoValue(id);
      PutOptions po{.custom = {{kKeyLink, inoValue(id)}}, .ifAbsent = true};
      // The new name first (an entry without its inode object is not shown), then the move,
      // then the old name's entry: at each step the file is there under one name at least.
      auto put = client_.put(bucket, object, "", po);
      if (!put.ok()) return errnoOf(put.status());
      // The move sets the count in the same step: the inode object is new, so nobody else
      // counted on it yet (a file with one name has no count).
      updated =
          client_.renameWith(bucket, current, target,
                             {{kKeyNlink, "2"}, {kKeyCtime, ctime}, {kKeyIno, inoValue(ino)}});
      if (!updated.ok()) {
        (void)client_.remove(bucket, object);
        return errnoOf(updated.status());
      }
      auto put2 = client_.put(bucket, current, "", po);
      if (!put2.ok()) {
        auto back = client_.renameWith(bucket, target, current, {{kKeyNlink, ""}});
        (void)client_.remove(bucket, object);
        log::error("aisfs: link {} -> {} in ais://{} undone ({}): {}", current, object, bucket,
                   back.ok() ? "restored" : back.status().toString(), put2.status().toString());
        return errnoOf(put2.status());
      }
      inodes_.rename(bucket, current, target);
    }
    if (!updated.ok()) {
      log::warn("aisfs: link count of ais://{}/{}: {}", bucket, target,
                updated.status().toString());
    } else {
      inode->info = std::move(*updated);
      inode->info.name = target;
      inode->attrAt = Clock::now();
    }
    linked = DirEntry{.kind = kind, .haveInfo = true, .info = inode->info};
    linked.info.edit().name = target;
    if (!isLinked(current)) {  // the old name's cached entry stands for the inode object now
      dirs_.upsert(bucket, parentPrefix(current), current.substr(parentPrefix(current).size()),
                   linked);
    }
  }
  return linked;
}

int Fs::dropLinkName(const std::string& bucket, const std::string& name,
                     const std::string& target) {
  Status st = client_.remove(bucket, name);
  if (!st.ok() && st.code() != Code::kObjectNotFound) return toErrno(st);
  auto inode = inodes_.find(bucket, target);
  std::unique_lock<std::mutex> l;
  if (inode) l = std::unique_lock(inode->mu);
  return countDownLocked(bucket, target, inode);
}

int Fs::countDownLocked(const std::string& bucket, const std::string& target,
                        const std::shared_ptr<Inode>& inode) {
  // One name fewer, counted on the owner in one step: whoever takes the count to 0 removes the
  // file.
  auto updated = client_.addCustom(bucket, target, {{kKeyNlink, -1}}, 1,
                                   {{kKeyCtime, std::to_string(unixNowNs())}});
  if (!updated.ok()) {
    return updated.code() == Code::kObjectNotFound ? 0 : toErrno(updated.status());
  }
  // (The count as the owner left it: present after an add.)
  auto counted = updated->custom.find(kKeyNlink);
  int64_t n =
      counted == updated->custom.end() ? 1 : std::strtoll(counted->second.c_str(), nullptr, 10);
  if (n >= 1) {
    if (inode && !(inode->ws && inode->ws->dirty)) {
      inode->info = std::move(*updated);
      inode->info.name = target;
      inode->attrAt = Clock::now();
    } else if (inode) {
      inode->info.custom[kKeyNlink] = std::to_string(n);
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
