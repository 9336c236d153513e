// Small POSIX file helpers for the store: every failure becomes a Status naming the path, with
// ENOSPC mapped to kOutOfSpace so callers can tell a full disk from a broken one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/store/block_sums.h"

namespace ais::store {

// kOutOfSpace for ENOSPC/EDQUOT, kIoError otherwise: "<op> <path>: <strerror>".
Status ioError(std::string_view op, const std::string& path, int err);

// mkdir -p; returns the failing errno through `err` (ENOTDIR/EEXIST mean a file is in the way).
Status makeDirs(const std::string& path, int* err = nullptr);

// Writes all bytes at offset off, retrying short writes and EINTR.
Status pwriteAll(int fd, const void* data, size_t len, uint64_t off, const std::string& path);

// fsync of a directory, so a rename inside it survives power loss.
Status fsyncDir(const std::string& dir);
// syncfs of the filesystem holding `dir`: everything written to it before is on disk.
Status syncFilesystem(const std::string& dir);

// Size, XXH64 (seed 0) and block checksums of a whole file.
struct FileDigest {
  uint64_t size = 0;
  uint64_t checksum = 0;
  BlockSums blocks;
};
Result<FileDigest> digestFile(const std::string& path);
// The same of an open file, from offset 0 (`path` names it in errors).
Result<FileDigest> digestFd(int fd, const std::string& path);

// Removes empty directories from `dir` upward, stopping at (and keeping) `stop`. Best effort.
void removeEmptyParents(std::string dir, const std::string& stop);

// open(path, O_RDONLY) only if every component of the path is in the kernel's dentry cache
// (openat2 RESOLVE_CACHED, Linux 5.12+), so the call never waits for the disk; -1 otherwise
// (errno EAGAIN when the lookup would have to read a directory from disk).
int openCachedPath(const std::string& path);

// Directory name of a path ("a/b/c" -> "a/b").
std::string parentDir(const std::string& path);

}  // namespace ais::store
