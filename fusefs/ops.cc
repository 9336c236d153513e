// The libfuse low-level handlers: each unpacks the request, calls one do* worker on the Fs from
// fuse_req_userdata(req), and replies exactly once. Kernel-facing choices sit in fsInit.
#include "fusefs/ops.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cstring>

#include "common/log.h"
#include "fusefs/fs.h"

namespace ais::fusefs {
namespace {

Fs& fsOf(fuse_req_t req) { return *static_cast<Fs*>(fuse_req_userdata(req)); }
FileHandle& fileOf(fuse_file_info* fi) { return *reinterpret_cast<FileHandle*>(fi->fh); }

// The Fs, once a move pending for the file of `ino` (deferred_links.cc) is made: operations on
// a file use its object's name.
Fs& settled(fuse_req_t req, fuse_ino_t ino) {
  Fs& fs = fsOf(req);
  fs.settleMoveOf(ino);
  return fs;
}

void fsInit(void* userdata, fuse_conn_info* conn) {
  // Up to 1 MiB per read/write request (the kernel's max_pages follows max_write): fewer round
  // trips, and stream writes arrive in the fabric's preferred chunk size.
  conn->max_write = 1 << 20;
  conn->max_read = 1 << 20;  // must match the max_read mount option (main.cc)
  // O_TRUNC arrives with open(), so a rewrite can stream instead of a separate truncate + PUT.
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  // Listings carry attributes: every readdir is readdirplus, so ls -l / find / rsync need no
  // per-entry LOOKUP.
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  // flock and fcntl locks come to us, so they hold between mounts (locks.cc).
  if (conn->capable & FUSE_CAP_POSIX_LOCKS) conn->want |= FUSE_CAP_POSIX_LOCKS;
  if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
  // No writeback cache: writes must reach us in order (streaming) and at write() time, so close()
  // can report a failed store. No splice: the client hands us strings anyway.
  conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
                  FUSE_CAP_SPLICE_MOVE);
  (void)userdata;
}

void fsDestroy(void* userdata) { static_cast<Fs*>(userdata)->doDestroy(); }

void fsLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Fs& fs = fsOf(req);
  auto e = fs.doLookup(parent, name);
  if (e.ok()) {
    fuse_reply_entry(req, &*e);
  } else if (e.err() == ENOENT) {
    // A negative entry: the kernel remembers the miss for the listing TTL.
    fuse_entry_param neg{};
    neg.entry_timeout = fs.entryTimeout();
    fuse_reply_entry(req, &neg);
  } else {
    fuse_reply_err(req, e.err());
  }
}

void fsForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  fsOf(req).doForget(ino, nlookup);
  fuse_reply_none(req);
}

void fsForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Fs& fs = fsOf(req);
  for (size_t i = 0; i < count; ++i) fs.doForget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void fsGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Fs& fs = settled(req, ino);
  auto st = fs.doGetattr(ino);
  if (st.ok()) {
    fuse_reply_attr(req, &st->first, st->second);
  } else {
    fuse_reply_err(req, st.err());
  }
}

void fsSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int toSet, fuse_file_info* fi) {
  Fs& fs = settled(req, ino);
  auto st = fs.doSetattr(ino, *attr, toSet, fi != nullptr);
  if (st.ok()) {
    fuse_reply_attr(req, &*st, fs.attrTimeout());
  } else {
    fuse_reply_err(req, st.err());
  }
}

void fsReadlink(fuse_req_t req, fuse_ino_t ino) {
  auto target = fsOf(req).doReadlink(ino);
  if (target.ok()) {
    fuse_reply_readlink(req, target->c_str());
  } else {
    fuse_reply_err(req, target.err());
  }
}

void replyEntry(fuse_req_t req, ErrOr<fuse_entry_param>& e) {
  if (e.ok()) {
    fuse_reply_entry(req, &*e);
  } else {
    fuse_reply_err(req, e.err());
  }
}

void fsMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  auto e = fsOf(req).doMknod(parent, name, mode, rdev, *fuse_req_ctx(req));
  replyEntry(req, e);
}

void fsMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  auto e = fsOf(req).doMkdir(parent, name, mode, *fuse_req_ctx(req));
  replyEntry(req, e);
}

void fsSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  auto e = fsOf(req).doSymlink(link, parent, name, *fuse_req_ctx(req));
  replyEntry(req, e);
}

void fsLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newParent, const char* newName) {
  auto e = fsOf(req).doLink(ino, newParent, newName);
  replyEntry(req, e);
}

void fsUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, fsOf(req).doUnlink(parent, name));
}

void fsRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, fsOf(req).doRmdir(parent, name));
}

void fsRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newParent,
              const char* newName, unsigned int flags) {
  fuse_reply_err(req, fsOf(req).doRename(parent, name, newParent, newName, flags));
}

void fsOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  bool keepCache = false;
  auto fh = settled(req, ino).doOpen(ino, fi->flags, keepCache);
  if (!fh.ok()) {
    fuse_reply_err(req, fh.err());
    return;
  }
  fi->keep_cache = keepCache;
  // A read-only handle has nothing to store on close: no FLUSH round trip per close().
  fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
  fi->fh = reinterpret_cast<uint64_t>(fh->release());
  if (fuse_reply_open(req, fi) == -ENOENT) {  // interrupted: the kernel will not release it
    fsOf(req).doRelease(std::unique_ptr<FileHandle>(&fileOf(fi)));
  }
}

void fsCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  Fs& fs = fsOf(req);
  auto created = fs.doCreate(parent, name, mode, fi->flags, *fuse_req_ctx(req));
  if (!created.ok()) {
    fuse_reply_err(req, created.err());
    return;
  }
  auto& [entry, fh] = *created;
  fi->fh = reinterpret_cast<uint64_t>(fh.release());
  if (fuse_reply_create(req, &entry, fi) == -ENOENT) {
    fs.doRelease(std::unique_ptr<FileHandle>(&fileOf(fi)));
  }
}

void fsRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto r = settled(req, ino).doRead(fileOf(fi), size, off);
  if (!r.ok()) {
    fuse_reply_err(req, r.err());
  } else if (r->size == 0) {
    fuse_reply_buf(req, nullptr, 0);
  } else {
    fuse_reply_buf(req, r->data->data() + r->offset, r->size);
  }
}

void fsFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 fuse_file_info* fi) {
  fuse_reply_err(req, settled(req, ino).doFallocate(fileOf(fi), mode, offset, length));
}

void fsWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
             fuse_file_info* fi) {
  auto n = settled(req, ino).doWrite(fileOf(fi), buf, size, off);
  if (n.ok()) {
    fuse_reply_write(req, *n);
  } else {
    fuse_reply_err(req, n.err());
  }
}

void fsFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Fs& fs = settled(req, ino);
  int err = fs.doFlush(fileOf(fi));
  fs.releaseRecordLocks(ino, fi->lock_owner);  // any close() drops the owner's record locks
  fuse_reply_err(req, err);
}

void fsFsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) {
  fuse_reply_err(req, settled(req, ino).doFsync(fileOf(fi)));
}

void fsRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Fs& fs = settled(req, ino);
  if (fi->flock_release) {  // the last close of a descriptor holding a flock lock
    int err =
        fs.doLock(req, ino, &fileOf(fi), fi->lock_owner, true, F_UNLCK, 0, UINT64_MAX, 0, false);
    if (err != 0) log::warn("aisfs: releasing a flock lock: {}", strerror(err));
  }
  fs.doRelease(std::unique_ptr<FileHandle>(&fileOf(fi)));
  fuse_reply_err(req, 0);
}

void fsOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto dir = fsOf(req).doOpendir(ino);
  if (!dir.ok()) {
    fuse_reply_err(req, dir.err());
    return;
  }
  fi->fh = reinterpret_cast<uint64_t>(dir->release());
  fi->cache_readdir = 0;
  if (fuse_reply_open(req, fi) == -ENOENT) {
    std::unique_ptr<DirHandle> dropped(reinterpret_cast<DirHandle*>(fi->fh));
  }
}

void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
             bool plus) {
  auto& dir = *reinterpret_cast<DirHandle*>(fi->fh);
  auto buf = fsOf(req).doReaddir(req, ino, dir, size, off, plus);
  if (buf.ok()) {
    fuse_reply_buf(req, buf->data(), buf->size());
  } else {
    fuse_reply_err(req, buf.err());
  }
}

void fsReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  readdir(req, ino, size, off, fi, false);
}

void fsReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  readdir(req, ino, size, off, fi, true);
}

void fsReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  std::unique_ptr<DirHandle> dir(reinterpret_cast<DirHandle*>(fi->fh));
  fuse_reply_err(req, 0);
}

void fsStatfs(fuse_req_t req, fuse_ino_t) {
  auto st = fsOf(req).doStatfs();
  if (st.ok()) {
    fuse_reply_statfs(req, &*st);
  } else {
    fuse_reply_err(req, st.err());
  }
}

void fsGetlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) {
  auto lk = settled(req, ino).doGetlk(ino, fi->lock_owner, *lock);
  if (lk.ok()) {
    fuse_reply_lock(req, &*lk);
  } else {
    fuse_reply_err(req, lk.err());
  }
}

void fsSetlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock, int sleep) {
  fuse_reply_err(req, settled(req, ino).doLock(req, ino, &fileOf(fi), fi->lock_owner, false,
                                               lock->l_type, static_cast<uint64_t>(lock->l_start),
                                               Fs::lockEnd(*lock), lock->l_pid, sleep != 0));
}

void fsFlock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op) {
  int type = (op & LOCK_UN) ? F_UNLCK : (op & LOCK_EX) ? F_WRLCK : F_RDLCK;
  int err = settled(req, ino).doLock(req, ino, &fileOf(fi), fi->lock_owner, true, type, 0,
                                     UINT64_MAX, 0, (op & LOCK_NB) == 0);
  fuse_reply_err(req, err == EAGAIN ? EWOULDBLOCK : err);
}

// A value or name list: its size when asked with size 0, ERANGE when it does not fit.
void replyXattr(fuse_req_t req, ErrOr<std::string> v, size_t size) {
  if (!v.ok()) {
    fuse_reply_err(req, v.err());
  } else if (size == 0) {
    fuse_reply_xattr(req, v->size());
  } else if (v->size() > size) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, v->data(), v->size());
  }
}

void fsSetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags) {
  fuse_reply_err(req,
                 settled(req, ino).doSetxattr(ino, name, std::string_view(value, size), flags));
}

void fsGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  replyXattr(req, settled(req, ino).doGetxattr(ino, name), size);
}

void fsListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  replyXattr(req, settled(req, ino).doListxattr(ino, fuse_req_ctx(req)->uid == 0), size);
}

void fsRemovexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  fuse_reply_err(req, settled(req, ino).doRemovexattr(ino, name));
}

}  // namespace

fuse_lowlevel_ops makeOps(bool xattrs) {
  fuse_lowlevel_ops ops{};
  ops.init = fsInit;
  ops.destroy = fsDestroy;
  ops.lookup = fsLookup;
  ops.forget = fsForget;
  ops.forget_multi = fsForgetMulti;
  ops.getattr = fsGetattr;
  ops.setattr = fsSetattr;
  ops.readlink = fsReadlink;
  ops.mknod = fsMknod;
  ops.mkdir = fsMkdir;
  ops.symlink = fsSymlink;
  ops.link = fsLink;
  ops.unlink = fsUnlink;
  ops.rmdir = fsRmdir;
  ops.rename = fsRename;
  ops.open = fsOpen;
  ops.create = fsCreate;
  ops.read = fsRead;
  ops.write = fsWrite;
  ops.fallocate = fsFallocate;
  ops.flush = fsFlush;
  ops.fsync = fsFsync;
  ops.release = fsRelease;
  ops.opendir = fsOpendir;
  ops.readdir = fsReaddir;
  ops.readdirplus = fsReaddirplus;
  ops.releasedir = fsReleasedir;
  ops.statfs = fsStatfs;
  ops.getlk = fsGetlk;
  ops.setlk = fsSetlk;
  ops.flock = fsFlock;
  if (xattrs) {
    ops.setxattr = fsSetxattr;
    ops.getxattr = fsGetxattr;
    ops.listxattr = fsListxattr;
    ops.removexattr = fsRemovexattr;
  }
  return ops;
}

}  // namespace ais::fusefs
