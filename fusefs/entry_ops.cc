// Names: unlink, rename (server-side for a file; object by object for a directory), symlinks
// (an empty object with posix.symlink), mknod (a regular file, or a FIFO, socket or device node:
// an empty object with posix.type). Hard links are links.cc's.
#include <fcntl.h>

#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {

int Fs::doUnlink(fuse_ino_t parentIno, const std::string& name) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return ENOENT;
  auto object = childObject(*parent, name, false);
  if (!object.ok()) return object.err();
  std::string bucket = parent->bucket();
  if (auto pending = unlinkPending(*parent, name, *object)) return *pending;  // (a link not stored)
  if (auto entry = resolve(*parent, name);
      entry.ok() && entry->haveInfo && isLinked(entry->info->name)) {
    int err = dropLinkName(bucket, *object, entry->info->name);  // one name of a hard link
    if (err != 0) return err;
    dirs_.erase(bucket, parent->name(), name);
    dirChanged(*parent);
    return 0;
  }
  bool localOnly = false;
  if (auto inode = inodes_.find(bucket, *object)) {
    std::lock_guard l(inode->mu);
    if (inode->openCount > 0) {
      // POSIX: the open descriptors keep the file until the last close. Its object moves to a
      // hidden name now, so the name is gone for every client at once (a program that checks
      // for a file it deleted, as sqlite3 does for its journal, must not find it), and the
      // descriptors read and write it there. (The kernel's release of a descriptor closed just
      // before the unlink may still be on its way: such a file counts as open here.)
      inode->removeAtLastClose = true;
      std::string hidden = recordName(kUnlinkedPrefix, inoValue(newIno()));
      // The lease first: a mount that sees it free may remove the file (mount_records.cc).
      Status moved = holdMountLease(bucket);
      if (moved.ok()) moved = client_.rename(bucket, *object, hidden);
      if (moved.ok() || moved.code() == Code::kObjectNotFound) {  // (not stored yet: nothing)
        inodes_.rename(bucket, *object, hidden);
      } else {
        log::warn("aisfs: unlinked open file ais://{}/{} stays until its last close: {}", bucket,
                  *object, moved.toString());
        setUnlinkedOpen(bucket, *object, true);
        inodes_.detach(bucket, *object);
      }
      dirs_.erase(bucket, parent->name(), name);
      dirChanged(*parent);
      return 0;
    }
    localOnly = inode->ws != nullptr && inode->ws->dirty;
    inode->unlinked = true;
  }
  Status st = client_.remove(bucket, *object);
  if (!st.ok() && !(localOnly && st.code() == Code::kObjectNotFound)) return toErrno(st);
  dirs_.erase(bucket, parent->name(), name);
  inodes_.detach(bucket, *object);
  dirChanged(*parent);
  return 0;
}

int Fs::moveFile(Inode& parent, const std::string& name, Inode& newParent,
                 const std::string& newName, const DirEntry& src, const ErrOr<DirEntry>& dst,
                 const std::string& from, const std::string& to) {
  std::string bucket = parent.bucket();
  // A hard-linked name moves as its entry; its file (the inode object) stays where it is.
  bool linked = src.haveInfo && isLinked(src.info->name);
  std::string fileKey = linked ? src.info->name : from;
  bool dstLinked = dst.ok() && dst->haveInfo && isLinked(dst->info->name);
  if (linked && dstLinked && dst->info->name == src.info->name) return 0;  // one file: POSIX
  // A rename changes the file's status (ctime, as on Linux); a file without an inode number of
  // its own keeps the one it showed under its old name.
  std::map<std::string, std::string> touch{{kKeyCtime, std::to_string(unixNowNs())}};
  if (auto inode = inodes_.find(bucket, fileKey)) {
    std::lock_guard l(inode->mu);
    Status st = storeLocked(*inode);  // an open, changed file: store it before it moves
    if (!st.ok()) return toErrno(st);
    if (persistentIno(inode->info) == 0) touch[kKeyIno] = inoValue(inode->ino);
  }
  if (dstLinked) {
    int err = dropLinkName(bucket, to, dst->info->name);  // the replaced name of a hard link
    if (err != 0) return err;
  } else if (auto old = inodes_.find(bucket, to)) {
    std::lock_guard l(old->mu);
    old->unlinked = true;  // replaced: its open handles must not store over the moved file
  }
  // A plain file's move takes its ctime (and inode number) with it, in the same step; a
  // hard-linked name's entry moves and its file (the inode object) is touched after.
  const auto carried = linked ? decltype(touch){} : touch;
  auto renamed = client_.renameWith(bucket, from, to, carried);
  if (renamed.code() == Code::kObjectExists) {
    Status removed = client_.remove(bucket, to);
    renamed =
        removed.ok() ? client_.renameWith(bucket, from, to, carried) : Result<ObjectInfo>(removed);
  }
  if (!renamed.ok()) return toErrno(renamed.status());
  if (!linked) inodes_.rename(bucket, from, to);
  std::string newKey = linked ? fileKey : to;
  dirs_.erase(bucket, parent.name(), name);
  DirEntry moved = src;
  moved.info.edit().name = newKey;
  auto touched = linked ? client_.setCustom(bucket, newKey, touch, true) : std::move(renamed);
  if (!touched.ok()) {
    log::warn("aisfs: ctime of renamed ais://{}/{}: {}", bucket, to, touched.status().toString());
  } else {
    moved.info = *touched;
    moved.info.edit().name = newKey;
    if (auto inode = inodes_.find(bucket, newKey)) {
      std::lock_guard l(inode->mu);
      if (!inode->ws || !inode->ws->dirty) {
        inode->info = *moved.info;
        inode->attrAt = Clock::now();
      }
    }
  }
  dirs_.upsert(bucket, newParent.name(), newName, moved);
  dirChanged(parent);
  dirChanged(newParent);
  return 0;
}

int Fs::doRename(fuse_ino_t parentIno, const std::string& name, fuse_ino_t newParentIno,
                 const std::string& newName, unsigned flags) {
  if (flags & RENAME_EXCHANGE) return EINVAL;
  auto parent = inodes_.get(parentIno);
  auto newParent = inodes_.get(newParentIno);
  if (!parent || !newParent) return ENOENT;
  if (parent->kind == Kind::kClusterRoot || newParent->kind == Kind::kClusterRoot) {
    return EPERM;  // buckets are not renamed
  }
  std::string bucket = parent->bucket();
  if (newParent->bucket() != bucket) return EXDEV;  // mv falls back to copy + remove
  // Links not stored yet of either name are stored first (deferred_links.cc).
  for (auto [dir, n] : {std::pair{parent.get(), &name}, std::pair{newParent.get(), &newName}}) {
    if (auto file = childObject(*dir, *n, false); file.ok()) settleLinks(bucket, *file);
  }
  auto src = resolve(*parent, name);
  if (!src.ok()) return src.err();
  bool isDir = src->kind == Kind::kDir;
  auto from = childObject(*parent, name, isDir);
  auto to = childObject(*newParent, newName, isDir);
  if (!from.ok()) return from.err();
  if (!to.ok()) return to.err();
  auto dst = resolve(*newParent, newName);
  if (!dst.ok() && dst.err() != ENOENT) return dst.err();
  if (dst.ok()) {
    if (flags & RENAME_NOREPLACE) return EEXIST;
    if (isDir && dst->kind != Kind::kDir) return ENOTDIR;
    if (!isDir && dst->kind == Kind::kDir) return EISDIR;
  }

  if (!isDir) return moveFile(*parent, name, *newParent, newName, *src, dst, *from, *to);
  settleAllLinks();  // (a directory's names move as objects: none may be left waiting)

  if (dst.ok()) {
    auto page = client_.list(bucket, ListOptions{.prefix = *to, .pageSize = 2});
    if (!page.ok()) return toErrno(page.status());
    for (auto& e : page->entries) {
      if (e.name != *to) return ENOTEMPTY;
    }
    // The empty directory is replaced: its marker goes (the moved one, if any, takes its place).
    Status st = client_.remove(bucket, *to);
    if (!st.ok() && st.code() != Code::kObjectNotFound) return toErrno(st);
  }
  for (auto& inode : inodes_.all()) {
    if (inode->bucket() != bucket || !inode->name().starts_with(*from)) continue;
    std::lock_guard l(inode->mu);
    Status st = storeLocked(*inode);
    if (!st.ok()) return toErrno(st);
  }
  // Every object under the prefix moves, under an intent record that finishes the move if it
  // is cut short (mount_records.cc).
  size_t done = 0;
  Status moved = renameDirectory(bucket, *from, *to, &done);
  int err = 0;
  if (!moved.ok()) {
    log::error(
        "aisfs: rename of directory ais://{}/{} to {} stopped after {} object(s), to be "
        "finished in the background: {}",
        bucket, *from, *to, done, moved.toString());
    err = toErrno(moved) == ENOENT ? EIO : toErrno(moved);
  }
  // Even a partial move changed both trees: forget what we knew of them.
  inodes_.renamePrefix(bucket, *from, *to);
  if (auto moved = inodes_.find(bucket, *to)) {  // (its marker's new ctime: asked for again)
    std::lock_guard l(moved->mu);
    moved->attrAt = Clock::time_point{};
    if (session_ != nullptr) fuse_lowlevel_notify_inval_inode(session_, moved->ino, -1, 0);
  }
  dirs_.invalidateTree(bucket, *from);
  dirs_.invalidateTree(bucket, *to);
  dirs_.erase(bucket, parent->name(), name);
  dirs_.upsert(bucket, newParent->name(), newName, DirEntry{.kind = Kind::kDir});
  dirChanged(*parent);
  dirChanged(*newParent);
  if (err != 0) dirs_.invalidate(bucket, parent->name());
  return err;
}

ErrOr<fuse_entry_param> Fs::createEmpty(fuse_ino_t parentIno, const std::string& name, Kind kind,
                                        std::map<std::string, std::string> custom) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return Errno{ENOENT};
  auto object = childObject(*parent, name, false);
  if (!object.ok()) return Errno{object.err()};
  std::string bucket = parent->bucket();
  auto put =
      client_.put(bucket, *object, "", PutOptions{.custom = std::move(custom), .ifAbsent = true});
  if (!put.ok()) return errnoOf(put.status());
  DirEntry entry{.kind = kind, .haveInfo = true, .info = std::move(*put)};
  dirs_.upsert(bucket, parent->name(), name, entry);
  dirChanged(*parent);
  return entryFor(bucket, *object, entry);
}

namespace {

// Whether the process has gid among its supplementary groups (/proc/PID/status, as libfuse's
// fuse_req_getgroups reads them); false if it cannot be read.
bool inSupplementaryGroup(pid_t pid, uint32_t gid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("Groups:")) continue;
    std::istringstream groups(line.substr(7));
    uint32_t g = 0;
    while (groups >> g) {
      if (g == gid) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

std::map<std::string, std::string> Fs::newEntryCustom(fuse_ino_t parentIno, mode_t mode, bool isDir,
                                                      const fuse_ctx& ctx) {
  uint32_t gid = ctx.gid;
  auto parent = inodes_.get(parentIno);
  if (parent && parent->kind == Kind::kDir) {
    struct stat dir {};
    {
      std::lock_guard l(parent->mu);
      dir = dirStat(parent->haveInfo ? &parent->info : nullptr, defaults_);
    }
    if (dir.st_mode & S_ISGID) {
      gid = dir.st_gid;
      if (isDir) {
        mode |= S_ISGID;
      } else if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && ctx.uid != 0 &&
                 ctx.gid != gid && !inSupplementaryGroup(ctx.pid, gid)) {
        mode &= ~S_ISGID;
      }
    }
  }
  return newCustom(mode, ctx.uid, gid);
}

ErrOr<fuse_entry_param> Fs::doSymlink(const std::string& target, fuse_ino_t parentIno,
                                      const std::string& name, const fuse_ctx& ctx) {
  auto custom = newEntryCustom(parentIno, 0777, false, ctx);
  custom[kKeySymlink] = target;
  return createEmpty(parentIno, name, Kind::kSymlink, std::move(custom));
}

ErrOr<std::string> Fs::doReadlink(fuse_ino_t ino) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  std::lock_guard l(inode->mu);
  Status st = refreshLocked(*inode, false);
  if (!st.ok()) return errnoOf(st);
  auto it = inode->info.custom.find(kKeySymlink);
  if (it == inode->info.custom.end()) return Errno{EINVAL};
  return it->second;
}

ErrOr<fuse_entry_param> Fs::makeSpecial(fuse_ino_t parentIno, const std::string& name, mode_t mode,
                                        dev_t rdev, const fuse_ctx& ctx) {
  const char* type = specialTypeName(mode);
  if (type == nullptr) return Errno{EINVAL};
  // The kernel serves the file's opens (a pipe, a device): the object holds its metadata only.
  auto custom = newEntryCustom(parentIno, mode, false, ctx);
  custom[kKeyType] = type;
  if (S_ISCHR(mode) || S_ISBLK(mode)) custom[kKeyRdev] = std::to_string(rdev);
  return createEmpty(parentIno, name, Kind::kSpecial, std::move(custom));
}

ErrOr<fuse_entry_param> Fs::doMknod(fuse_ino_t parent, const std::string& name, mode_t mode,
                                    dev_t rdev, const fuse_ctx& ctx) {
  if (!S_ISREG(mode)) return makeSpecial(parent, name, mode, rdev, ctx);
  auto created = doCreate(parent, name, mode, O_WRONLY, ctx);
  if (!created.ok()) return Errno{created.err()};
  auto& [entry, fh] = *created;
  int err = doFlush(*fh);
  doRelease(std::move(fh));
  if (err != 0) {
    doForget(entry.ino, 1);
    return Errno{err};
  }
  return entry;
}

}  // namespace ais::fusefs
