// The write path: sequential writes from offset 0 stream to the owner target (PutHandle); any
// other pattern spools the object into an unlinked temp file, PUT whole on flush/fsync/close.
// Every failure is kept in WriteState::error and returned by the next flush, so close() reports it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "common/write_fully.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

constexpr size_t kStreamBatch = 1 << 20;  // ~1 MiB per PutHandle::write: the fabric's sweet spot

Status ioStatus(const char* what, int err) {
  if (err == ENOSPC) return Status(Code::kOutOfSpace, std::string("spool: ") + what);
  return Status(Code::kIoError, std::string("spool ") + what + ": " + std::strerror(err));
}

// The file's bytes changed now: mtime moves (to the PUT's time when stored: posix.mtime_ns goes),
// atime stays where it showed (keepAtime).
void bytesChanged(ObjectInfo& info) {
  keepAtime(info);
  info.mtimeNs = unixNowNs();
  info.custom.erase(kKeyMtime);
}

// An anonymous temp file: it vanishes with the process, whatever happens.
Result<int> openSpoolFile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = dir + "/aisfs-spool-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return ioStatus("create", errno);
  ::unlink(path.c_str());
  return fd;
}

Status pwriteAll(int fd, const char* data, size_t size, uint64_t off) {
  int err = pwriteFully(fd, data, size, off);
  return err == 0 ? Status::OK() : ioStatus("write", err);
}

}  // namespace

void Fs::dropWriteStateLocked(Inode& inode) {
  inode.writeBehind = false;
  if (!inode.ws) return;
  spoolBytes_ -= inode.ws->spoolAccounted;
  inode.ws.reset();
}

Status Fs::growSpool(WriteState& ws, uint64_t newSize) {
  if (newSize <= ws.spoolAccounted) return Status::OK();
  uint64_t delta = newSize - ws.spoolAccounted;
  uint64_t before = spoolBytes_.fetch_add(delta);
  if (options_.spoolLimit != 0 && before + delta > options_.spoolLimit) {
    spoolBytes_ -= delta;
    return Status(Code::kOutOfSpace, "spool limit reached (--spool-limit)");
  }
  ws.spoolAccounted = newSize;
  return Status::OK();
}

Status Fs::ensureSpoolLocked(Inode& inode) {
  if (inode.ws && inode.ws->mode == WriteState::Mode::kSpool) return Status::OK();
  if (inode.ws && inode.ws->mode == WriteState::Mode::kEmpty) {
    auto fd = openSpoolFile(options_.spoolDir);
    AIS_RETURN_IF_ERROR(fd);
    inode.ws->fd = *fd;
    inode.ws->mode = WriteState::Mode::kSpool;
    return Status::OK();
  }
  if (inode.ws) {
    // A stream that stops being sequential: finish it, then continue from the stored object.
    AIS_RETURN_IF_ERROR(storeLocked(inode));
  }
  auto fd = openSpoolFile(options_.spoolDir);
  AIS_RETURN_IF_ERROR(fd);
  auto ws = std::make_unique<WriteState>();
  ws->mode = WriteState::Mode::kSpool;
  ws->dirty = false;
  ws->fd = *fd;
  if (inode.haveInfo && inode.info.size > 0) {
    Status grown = growSpool(*ws, inode.info.size);
    if (!grown.ok()) {
      spoolBytes_ -= ws->spoolAccounted;
      return grown;
    }
    auto got = client_.getToFd(inode.bucket(), inode.name(), *fd);
    if (!got.ok()) {
      spoolBytes_ -= ws->spoolAccounted;
      return got.status();
    }
    std::string bucket = inode.bucket();
    // The object may have changed since we looked: the spool holds what GET returned.
    Status regrown = growSpool(*ws, got->size);
    if (!regrown.ok()) {
      spoolBytes_ -= ws->spoolAccounted;
      return regrown;
    }
    inode.info = std::move(*got);
    inode.attrAt = Clock::now();
  }
  ws->size = inode.haveInfo ? inode.info.size : 0;
  inode.ws = std::move(ws);
  return Status::OK();
}

ErrOr<size_t> Fs::writeLocked(Inode& inode, const char* data, size_t size, uint64_t off) {
  if (inode.ws && !inode.ws->error.ok()) return errnoOf(inode.ws->error);
  if (!inode.ws && off == 0 && inode.haveInfo && inode.info.size == 0) {
    inode.ws = std::make_unique<WriteState>();  // an empty object: written afresh
  }
  WriteState* ws = inode.ws.get();
  if (ws && ws->mode == WriteState::Mode::kEmpty && off == 0) {
    // The PutHandle opens once a full batch is buffered: a small file is one PUT on close.
    ws->mode = WriteState::Mode::kStream;
  }
  if (ws && ws->mode == WriteState::Mode::kStream && off == ws->size) {
    ws->buf.append(data, size);
    ws->size += size;
    ws->dirty = true;
    if (ws->buf.size() >= kStreamBatch) {
      if (!ws->put) {
        PutOptions po{.custom = inode.info.custom};
        po.custom.erase(kKeyMtime);  // the PUT time is the new mtime
        auto put = client_.beginPut(inode.bucket(), inode.name(), po);
        if (!put.ok()) {
          ws->error = put.status();
          return errnoOf(put.status());
        }
        ws->put = std::move(*put);
      }
      Status st = ws->put->write(ws->buf);
      ws->buf.clear();
      if (!st.ok()) {
        ws->error = st;  // the stream is gone; close() reports it too
        return errnoOf(st);
      }
    }
  } else {
    Status st = ensureSpoolLocked(inode);
    if (!st.ok()) return errnoOf(st);
    ws = inode.ws.get();
    uint64_t end = off + size;
    st = growSpool(*ws, end);
    if (!st.ok()) return errnoOf(st);
    st = pwriteAll(ws->fd, data, size, off);
    if (!st.ok()) return errnoOf(st);
    if (end > ws->size) ws->size = end;
    ws->dirty = true;
  }
  bytesChanged(inode.info);
  ws->mtimeSet = false;
  return size;
}

ErrOr<size_t> Fs::doWrite(FileHandle& fh, const char* data, size_t size, off_t off) {
  Inode& inode = *fh.inode;
  std::lock_guard l(inode.mu);
  uint64_t at = static_cast<uint64_t>(off);
  if (fh.append) at = inode.ws ? inode.ws->size : inode.info.size;
  return writeLocked(inode, data, size, at);
}

int Fs::doFallocate(FileHandle& fh, int mode, off_t offset, off_t length) {
  constexpr int kZeroing = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if (mode & ~(FALLOC_FL_KEEP_SIZE | kZeroing)) return EOPNOTSUPP;  // collapse, insert, unshare
  if (offset < 0 || length <= 0) return EINVAL;
  if ((mode & kZeroing) == kZeroing) return EOPNOTSUPP;
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)) return EOPNOTSUPP;  // (Linux)
  if (!fh.writable) return EBADF;
  Inode& inode = *fh.inode;
  std::lock_guard l(inode.mu);
  uint64_t size = inode.ws ? inode.ws->size : inode.info.size;
  uint64_t start = static_cast<uint64_t>(offset);
  uint64_t end = start + static_cast<uint64_t>(length);
  bool keepSize = mode & FALLOC_FL_KEEP_SIZE;
  uint64_t newSize = keepSize ? size : std::max(size, end);
  if (!(mode & kZeroing)) return newSize == size ? 0 : truncateLocked(inode, newSize);
  if (start >= size && newSize == size) return 0;  // zeroing past the end, size kept
  Status st = ensureSpoolLocked(inode);
  if (!st.ok()) return toErrno(st);
  WriteState& ws = *inode.ws;
  st = growSpool(ws, newSize);
  if (!st.ok()) return toErrno(st);
  if (start < size) {  // the bytes that exist become zeros: a hole in the spool
    off_t len = static_cast<off_t>(std::min(end, size) - start);
    if (::fallocate(ws.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) != 0) {
      std::string zeros(std::min<off_t>(len, 1 << 20), '\0');  // (a spool dir without holes)
      for (off_t at = 0; at < len; at += static_cast<off_t>(zeros.size())) {
        size_t n = static_cast<size_t>(std::min<off_t>(len - at, zeros.size()));
        st = pwriteAll(ws.fd, zeros.data(), n, start + at);
        if (!st.ok()) return toErrno(st);
      }
    }
  }
  if (newSize > size && ::ftruncate(ws.fd, static_cast<off_t>(newSize)) != 0) return errno;
  ws.size = newSize;
  ws.dirty = true;
  bytesChanged(inode.info);
  ws.mtimeSet = false;
  return 0;
}

int Fs::truncateLocked(Inode& inode, uint64_t size) {
  WriteState* ws = inode.ws.get();
  if (size == 0) {
    if (!(ws && ws->mode == WriteState::Mode::kEmpty)) {
      dropWriteStateLocked(inode);
      inode.ws = std::make_unique<WriteState>();
    }
  } else if (ws && ws->mode == WriteState::Mode::kStream && ws->size == size) {
    return 0;
  } else if (!ws && inode.haveInfo && inode.info.size == size) {
    return 0;
  } else {
    Status st = ensureSpoolLocked(inode);
    if (!st.ok()) return toErrno(st);
    ws = inode.ws.get();
    st = growSpool(*ws, size);
    if (!st.ok()) return toErrno(st);
    if (::ftruncate(ws->fd, static_cast<off_t>(size)) != 0) return errno;
    ws->size = size;
    ws->dirty = true;
  }
  bytesChanged(inode.info);
  return 0;
}

ErrOr<size_t> Fs::readDirtyLocked(Inode& inode, char* out, size_t size, uint64_t off) {
  if (inode.ws->mode == WriteState::Mode::kEmpty) return size_t{0};
  if (inode.ws->mode == WriteState::Mode::kStream) {
    Status st = ensureSpoolLocked(inode);  // reading back what is being streamed: rare
    if (!st.ok()) return errnoOf(st);
  }
  WriteState& ws = *inode.ws;
  if (off >= ws.size) return size_t{0};
  size = static_cast<size_t>(std::min<uint64_t>(size, ws.size - off));
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(ws.fd, out + done, size - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno{EIO};
    if (n == 0) {  // a hole at the end (ftruncate grew the file)
      std::memset(out + done, 0, size - done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return size;
}

bool Fs::batchableLocked(const Inode& inode) const {
  const WriteState* ws = inode.ws.get();
  return ws && ws->dirty && ws->error.ok() && !inode.unlinked && !inode.removeAtLastClose &&
         (ws->mode == WriteState::Mode::kEmpty ||
          (ws->mode == WriteState::Mode::kStream && !ws->put &&
           ws->buf.size() <= WriteBatcher::kMaxFileBytes));
}

Status Fs::storeLocked(Inode& inode) {
  WriteState* ws = inode.ws.get();
  inode.writeBehind = false;
  if (ws) ws->queued = false;  // stored here and now: the write batcher skips it
  if (!ws || !ws->dirty) return Status::OK();
  if (inode.unlinked) {
    dropWriteStateLocked(inode);
    return Status::OK();
  }
  if (inode.removeAtLastClose && !holdsName(inode)) {
    // Unlinked while open: its bytes still go to its object (read back through the open
    // descriptors) unless the name was created again on this mount, which is another file.
    dropWriteStateLocked(inode);
    return Status::OK();
  }
  if (!ws->error.ok()) {
    Status failed = ws->error;
    dropWriteStateLocked(inode);  // reported once; the stored object is what others see
    return failed;
  }
  std::string bucket = inode.bucket();
  std::string name = inode.name();
  PutOptions po{.custom = inode.info.custom};
  Result<ObjectInfo> stored = Status(Code::kInternal);
  switch (ws->mode) {
    case WriteState::Mode::kEmpty:
      stored = client_.put(bucket, name, "", po);
      break;
    case WriteState::Mode::kStream: {
      if (!ws->put) {
        stored = client_.put(bucket, name, ws->buf, po);
        break;
      }
      Status st = ws->buf.empty() ? Status::OK() : ws->put->write(ws->buf);
      ws->buf.clear();
      stored = st.ok() ? ws->put->commit() : Result<ObjectInfo>(st);
      ws->put.reset();
      // Metadata set while streaming (cp -a sets times before close) did not travel with it.
      if (stored.ok() && stored->custom != po.custom) {
        stored = client_.setCustom(bucket, name, po.custom, false);
      }
      break;
    }
    case WriteState::Mode::kSpool:
      stored = client_.putFile(bucket, name, "/proc/self/fd/" + std::to_string(ws->fd), po);
      if (stored.ok() && stored->size != ws->size) {
        stored = Status(Code::kIoError, "stored size differs from the spool");
      }
      break;
  }
  if (!stored.ok()) {
    log::warn("aisfs: store ais://{}/{}: {}", bucket, name, stored.status().toString());
    // (It may have been stored all the same, a reply lost: the directory is listed again, as
    // its tokens leave this mount's writes out.)
    dirs_.invalidate(bucket, parentPrefix(name));
    if (ws->mode != WriteState::Mode::kSpool) dropWriteStateLocked(inode);  // bytes are gone
    return stored.status();
  }
  storedLocked(inode, std::move(*stored));
  return Status::OK();
}

void Fs::storedLocked(Inode& inode, ObjectInfo stored) {
  inode.writeBehind = false;
  // The stored file's mtime is when its PUT was sent, not its last write, which the kernel may
  // hold from a reply before the store: it asks again (a stat right after close shows what a
  // remount or another mount shows, and a later `touch -m` keeps that atime).
  bool timesMoved = stored.mtimeNs != inode.info.mtimeNs;
  inode.info = std::move(stored);
  if (timesMoved && session_ != nullptr) {
    fuse_lowlevel_notify_inval_inode(session_, inode.ino, -1, 0);
  }
  ++inode.followGen;
  inode.haveInfo = true;
  inode.attrAt = Clock::now();
  inode.pageCacheValid = true;  // the kernel's pages came from our own writes
  inode.pageCacheVersion = cacheTag(inode.info);
  // (Cached before the write state goes: a lookup meanwhile finds one or the other.)
  std::string name = inode.name();
  std::string prefix = parentPrefix(name);
  dirs_.upsert(inode.bucket(), prefix, name.substr(prefix.size()),
               DirEntry{.kind = inode.kind, .haveInfo = true, .info = inode.info});
  if (inode.ws && inode.ws->mode == WriteState::Mode::kSpool) {
    inode.ws->dirty = false;  // keep the spool while the file is open: later writes need no GET
  } else {
    dropWriteStateLocked(inode);
  }
}

}  // namespace ais::fusefs
