// File handles: open (close-to-open: every open asks for the current version), create, flush/fsync
// (where stores happen and their errors reach close()), release, and the final store at unmount.
#include <fcntl.h>

#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {

ErrOr<std::unique_ptr<FileHandle>> Fs::doOpen(fuse_ino_t ino, int flags, bool& keepCache) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  if (isDirKind(inode->kind)) return Errno{EISDIR};
  bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if (writable && inShard(inode->kind)) return Errno{EROFS};  // a shard's member
  std::unique_lock l(inode->mu);
  // Close-to-open, as NFS does it: every open of a file without unstored writes here asks the
  // cluster for its version (a HEAD), whatever the attribute TTL, so an open that starts after
  // another client's close sees that client's bytes. Shard members are as fresh as their tree.
  bool staleAttrs = false;
  std::shared_ptr<const std::string> bytes;
  if (!inode->ws) {
    uint64_t sizeBefore = inode->info.size;
    Status st = inode->kind == Kind::kMember ? refreshLocked(*inode, false)
                                             : refreshForOpenLocked(*inode, !writable, &bytes);
    if (!st.ok() && st.code() == Code::kObjectNotFound && inode->kind == Kind::kFile) {
      // Removed by another client since the kernel looked the name up: the cached listing
      // goes, and ESTALE makes the kernel look the name up again (LOOKUP_REVAL), then fail
      // with ENOENT or, with O_CREAT (`echo x > f`), create the file, as on a local filesystem.
      dirs_.invalidate(inode->bucket(), parentPrefix(inode->name()));
      return Errno{ESTALE};
    }
    if (!st.ok()) return errnoOf(st);
    uint64_t tag = cacheTag(inode->info);
    keepCache = inode->pageCacheValid && inode->pageCacheVersion == tag;
    inode->pageCacheValid = true;
    inode->pageCacheVersion = tag;
    staleAttrs = inode->info.size != sizeBefore;
  } else {
    keepCache = true;  // the kernel's pages hold our own unstored writes
  }
  if (writable && (flags & O_TRUNC)) {
    int err = truncateLocked(*inode, 0);
    if (err != 0) return Errno{err};
    keepCache = false;
  }
  auto fh = std::make_unique<FileHandle>();
  fh->inode = inode;
  fh->writable = writable;
  fh->append = (flags & O_APPEND) != 0;
  fh->size = inode->info.size;
  fh->whole = std::move(bytes);
  fh->tag = cacheTag(inode->info);
  ++inode->openCount;
  l.unlock();
  // The kernel may hold the old size (its attributes live for attrTtl): it asks again before
  // reading, so a grown file is read to its new end.
  if (staleAttrs && session_ != nullptr) fuse_lowlevel_notify_inval_inode(session_, ino, -1, 0);
  return fh;
}

Status Fs::refreshForOpenLocked(Inode& inode, bool reading,
                                std::shared_ptr<const std::string>* bytes) {
  std::string bucket = inode.bucket(), name = inode.name();
  std::string object = blockKey(bucket, name);
  // (A name that is a hard link answers with its link entry: the HEAD's path follows it.)
  bool small = reading && inode.kind == Kind::kFile && inode.haveInfo && inode.info.size > 0 &&
               inode.info.size <= kOpenFetchMax && linkTarget(inode.info).empty();
  if (small && !blockCache_.get(object, cacheTag(inode.info), 0)) {
    auto data = std::make_shared<std::string>();
    auto got = client_.getRange(bucket, name, ByteRange{0, kOpenFetchMax}, data.get());
    if (got.ok() && linkTarget(*got).empty() && objectKind(*got, name) == Kind::kFile) {
      if (got->size == data->size()) {
        cacheBlocks(object, cacheTag(*got), 0, *data);
        *bytes = std::move(data);
      }
      return takeInfoLocked(inode, std::move(bucket), std::move(name), std::move(got));
    }
    if (got.code() == Code::kObjectNotFound) return got.status();
    // Anything else (empty now, a link, a failure): the HEAD below says what it is.
  }
  return refreshLocked(inode, true);
}

ErrOr<std::pair<fuse_entry_param, std::unique_ptr<FileHandle>>> Fs::doCreate(
    fuse_ino_t parentIno, const std::string& name, mode_t mode, int flags, const fuse_ctx& ctx) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return Errno{ENOENT};
  auto object = childObject(*parent, name, false);
  if (!object.ok()) return Errno{object.err()};
  std::string bucket = parent->bucket();
  auto custom = newEntryCustom(parentIno, mode, false, ctx);  // (locks the parent: not below)
  // The name is this new file's now, even if an unlinked one of that name is still open.
  setUnlinkedOpen(bucket, *object, false);
  auto inode = inodes_.lookup(bucket, *object, Kind::kFile);
  fuse_entry_param e{};
  {
    std::lock_guard l(inode->mu);
    dropWriteStateLocked(*inode);
    inode->kind = Kind::kFile;
    inode->ws = std::make_unique<WriteState>();  // stored on flush, even if nothing is written
    inode->info = ObjectInfo{};
    inode->info.name = *object;
    inode->info.mtimeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    inode->info.custom = custom;
    inode->haveInfo = true;
    inode->attrAt = Clock::now();
    inode->unlinked = false;
    inode->pageCacheValid = false;
    ++inode->openCount;
    e.ino = inode->ino;
    e.attr = statOf(*inode);
    e.attr_timeout = attrTimeout();
    e.entry_timeout = entryTimeout();
    dirs_.upsert(bucket, parent->name(), name,
                 DirEntry{.kind = Kind::kFile, .haveInfo = true, .info = inode->info});
  }
  dirChanged(*parent);
  auto fh = std::make_unique<FileHandle>();
  fh->inode = inode;
  fh->writable = true;
  fh->append = (flags & O_APPEND) != 0;
  return std::make_pair(e, std::move(fh));
}

int Fs::doFlush(FileHandle& fh) {
  Inode& inode = *fh.inode;
  std::lock_guard l(inode.mu);
  if (batcher_ && batchableLocked(inode)) {
    if (!inode.ws->queued) {
      inode.ws->queued = true;
      inode.writeBehind = true;
      batcher_->add(fh.inode, inode.ws->buf.size());
    }
    return 0;
  }
  return toErrno(storeLocked(inode));
}

int Fs::doFsync(FileHandle& fh) {
  settleLinks(fh.inode->bucket(), fh.inode->name());  // (its names are stored too)
  std::lock_guard l(fh.inode->mu);
  return toErrno(storeLocked(*fh.inode));
}

void Fs::doRelease(std::unique_ptr<FileHandle> fh) {
  Inode& inode = *fh->inode;
  std::lock_guard l(inode.mu);
  --inode.openCount;
  // flush() has normally stored (or queued) everything; this catches handles closed without one.
  Status st = inode.ws && inode.ws->queued ? Status::OK() : storeLocked(inode);
  if (!st.ok()) {
    log::error("aisfs: lost changes to ais://{}/{}: {}", inode.bucket(), inode.name(),
               st.toString());
    dropWriteStateLocked(inode);
  }
  if (inode.openCount <= 0 && inode.ws && !inode.ws->dirty) dropWriteStateLocked(inode);
  if (inode.openCount <= 0 && inode.removeAtLastClose) removeUnlinkedLocked(inode);
}

void Fs::removeUnlinkedLocked(Inode& inode) {
  inode.removeAtLastClose = false;
  dropWriteStateLocked(inode);
  // Unless the name was created again on this mount meanwhile (that object is another file).
  if (holdsName(inode)) {
    Status rm = client_.remove(inode.bucket(), inode.name());
    if (!rm.ok() && rm.code() != Code::kObjectNotFound) {
      log::error("aisfs: removing unlinked ais://{}/{} at its last close: {}", inode.bucket(),
                 inode.name(), rm.toString());
    }
  }
  setUnlinkedOpen(inode.bucket(), inode.name(), false);
}

void Fs::doDestroy() {
  if (batcher_) batcher_->stop();  // what is queued is stored first
  stopLinkSettler();
  stopDirTimes();
  for (auto& inode : inodes_.all()) {
    std::lock_guard l(inode->mu);
    if (inode->removeAtLastClose) {  // the mount going away is its last close
      removeUnlinkedLocked(*inode);
      continue;
    }
    Status st = storeLocked(*inode);
    if (!st.ok()) {
      log::error("aisfs: at unmount, lost changes to ais://{}/{}: {}", inode->bucket(),
                 inode->name(), st.toString());
    }
    dropWriteStateLocked(*inode);
  }
}

}  // namespace ais::fusefs
