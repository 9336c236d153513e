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
  if (path.empty() || path == "/") return Status::OK();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::OK() : fail(ENOTDIR, path);
  }
  // From the deepest directory up: a new directory in one that exists (the first PUT into a new
  // directory of a bucket) is one mkdir, not a walk of every component from the root. A parent
  // found or made may be pruned a moment later (removeEmptyParents after a delete or a move out
  // of it, on another I/O worker): the mkdir then fails with ENOENT again and is tried again (a
  // few times; each try again means a removal won).
  constexpr int kTries = 8;
  for (int attempt = 1;; ++attempt) {
    if (::mkdir(path.c_str(), 0755) == 0) return Status::OK();
    int e = errno;
    if (e == EEXIST) {  // (made meanwhile, or a file in the way: only a directory will do)
      if (::stat(path.c_str(), &st) == 0) {
        return S_ISDIR(st.st_mode) ? Status::OK() : fail(ENOTDIR, path);
      }
      e = errno;
    }
    if (e != ENOENT || attempt >= kTries) return fail(e, path);
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return fail(e, path);
    AIS_RETURN_IF_ERROR(makeDirs(path.substr(0, slash), errOut));
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
