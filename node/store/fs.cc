#include "node/store/fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "common/write_fully.h"

namespace ais::store {

Status ioError(std::string_view op, const std::string& path, int err) {
  Code code = (err == ENOSPC || err == EDQUOT) ? Code::kOutOfSpace : Code::kIoError;
  return Status(code, std::string(op) + " " + path + ": " + std::strerror(err));
}

int openCachedPath(const std::string& path) {
  // An older kernel (no openat2, or no RESOLVE_CACHED) is remembered: no syscall per call.
  static std::atomic<bool> unsupported{false};
  if (unsupported.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_CACHED;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == EINVAL || errno == E2BIG)) {
    unsupported.store(true, std::memory_order_relaxed);
  }
  return static_cast<int>(fd);
}

Status makeDirs(const std::string& path, int* errOut) {
  auto fail = [&](int e, const std::string& p) {
    if (errOut) *errOut = e;
    return ioError("mkdir", p, e);
  };
  if (path.empty()) return Status::OK();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::OK() : fail(ENOTDIR, path);
  }
  // A parent found in place may be pruned a moment later (removeEmptyParents after a delete or
  // a move out of it, on another I/O worker): its child's mkdir then fails with ENOENT, and
  // the walk starts over from the top (a few times; each start over means a removal won).
  constexpr int kWalks = 8;
  for (int walk = 1;; ++walk) {
    size_t pos = 1;
    bool pruned = false;
    while (pos <= path.size() && !pruned) {
      size_t slash = path.find('/', pos);
      if (slash == std::string::npos) slash = path.size();
      std::string sub = path.substr(0, slash);
      if (::mkdir(sub.c_str(), 0755) != 0) {
        int e = errno;
        if (e == EEXIST) {
          // EEXIST may be a file in the way: only a directory lets us continue.
          if (::stat(sub.c_str(), &st) != 0) {
            e = errno;
          } else if (!S_ISDIR(st.st_mode)) {
            return fail(ENOTDIR, sub);
          } else {
            e = 0;
          }
        }
        if (e == ENOENT && walk < kWalks) {
          pruned = true;
          continue;
        }
        if (e != 0) return fail(e, sub);
      }
      pos = slash + 1;
    }
    if (!pruned) return Status::OK();
  }
}

Status pwriteAll(int fd, const void* data, size_t len, uint64_t off, const std::string& path) {
  int err = pwriteFully(fd, data, len, off);
  return err == 0 ? Status::OK() : ioError("write", path, err);
}

namespace {

Status syncThrough(const std::string& dir, bool wholeFilesystem) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ioError("open", dir, errno);
  int rc = wholeFilesystem ? ::syncfs(fd) : ::fsync(fd);
  int e = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : ioError(wholeFilesystem ? "syncfs" : "fsync", dir, e);
}

}  // namespace

Status fsyncDir(const std::string& dir) { return syncThrough(dir, false); }

Status syncFilesystem(const std::string& dir) { return syncThrough(dir, true); }

Result<FileDigest> digestFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("open", path, errno);
  auto d = digestFd(fd, path);
  ::close(fd);
  return d;
}

Result<FileDigest> digestFd(int fd, const std::string& path) {
  BlockHasher hasher;
  std::vector<char> buf(1 << 20);
  for (uint64_t off = 0;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("read", path, errno);
    }
    if (n == 0) break;
    hasher.update(buf.data(), static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  FileDigest d;
  d.size = hasher.size();
  d.checksum = hasher.wholeChecksum();
  d.blocks = hasher.blocks();
  return d;
}

void removeEmptyParents(std::string dir, const std::string& stop) {
  while (dir.size() > stop.size() && dir.compare(0, stop.size(), stop) == 0) {
    if (::rmdir(dir.c_str()) != 0) return;  // not empty (or gone): stop climbing
    dir = parentDir(dir);
  }
}

std::string parentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace ais::store
