// Local rename of an object. Same mountpath: a file rename plus one LomDb batch (the pending
// marker of `to` covers a crash in between). Different mountpaths: copy into a work file on the
// destination, commit it like a PUT, then remove the source.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {

Status Store::rename(std::string_view bucket, std::string_view from, std::string_view to) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, from));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(to));
  Mountpath& src = mountpathFor(bucket, from);
  Mountpath& dst = mountpathFor(bucket, to);
  std::mutex& fromLock = lockFor(bucket, from);
  std::mutex& toLock = lockFor(bucket, to);
  std::unique_lock<std::mutex> l1(fromLock, std::defer_lock), l2(toLock, std::defer_lock);
  if (&fromLock == &toLock) {
    l1.lock();
  } else {
    std::lock(l1, l2);
  }
  auto lom = readLom(src, bucket, from);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value() && mps_.size() > 1) {
    // The main copy is gone: put it back from another first.
    auto synced = syncCopiesLocked(bucket, from, copiesOf(bucket));
    if (!synced.ok() && synced.code() != Code::kObjectNotFound) return synced.status();
    lom = readLom(src, bucket, from);
    AIS_RETURN_IF_ERROR(lom);
  }
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, from));
  if (from == to) return Status::OK();
  AIS_RETURN_IF_ERROR(renameMainLocked(bucket, src, dst, **lom, to));
  if (mps_.size() == 1) return Status::OK();
  // The copies follow: `from` loses its others, `to` gets its bucket's copies (and loses the
  // stale ones of what it was before).
  auto fromOrder = mountpathOrder(bucket, from);
  for (size_t k = 1; k < fromOrder.size(); ++k) {
    AIS_RETURN_IF_ERROR(removeAtLocked(fromOrder[k], bucket, from));
  }
  if (uint32_t copies = copiesOf(bucket); copies > 1) {
    return syncCopiesLocked(bucket, to, copies).status();
  }
  auto toOrder = mountpathOrder(bucket, to);
  for (size_t k = 1; k < toOrder.size(); ++k) {
    AIS_RETURN_IF_ERROR(removeAtLocked(toOrder[k], bucket, to));
  }
  return Status::OK();
}

Status Store::renameMainLocked(std::string_view bucket, Mountpath& src, Mountpath& dst,
                               const Lom& from, std::string_view to) {
  Lom moved = from;
  moved.name = std::string(to);
  std::string srcPath = objectFqn(src.path, bucket, from.name, moved.hashedPath);

  if (&src == &dst) {
    auto blocks = readBlocks(src, bucket, from);
    AIS_RETURN_IF_ERROR(blocks);
    LomDb::Batch extra;
    extra.del(lomKey(bucket, from.name));
    if (from.hasBlocksKey()) extra.del(blocksKey(bucket, from.name));
    auto installed = installLocked(dst, bucket, srcPath, std::move(moved), std::move(*blocks),
                                   false, std::move(extra));
    AIS_RETURN_IF_ERROR(installed);
    if (!from.hashedPath) removeEmptyParents(parentDir(srcPath), objectDir(src.path, bucket));
    return Status::OK();
  }

  // Cross-mountpath: copy with the checksum recomputed, so a corrupt source is not propagated.
  auto w = newWriter(dst, bucket, to, PutOptions{.fsync = false, .custom = moved.custom});
  AIS_RETURN_IF_ERROR(w);
  int fd = ::open(srcPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("open", srcPath, errno);
  std::vector<char> buf(1 << 20);
  Status copied;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      copied = ioError("read", srcPath, errno);
      break;
    }
    if (n == 0) break;
    copied = (*w)->write(buf.data(), static_cast<size_t>(n));
    if (!copied.ok()) break;
  }
  ::close(fd);
  AIS_RETURN_IF_ERROR(copied);
  if ((*w)->bytesWritten() != moved.size) {
    return Status(Code::kObjectCorrupted, srcPath + ": size differs from its LOM");
  }
  ObjectWriter& writer = **w;
  if (writer.hasher_.wholeChecksum() != moved.checksum) {
    return Status(Code::kObjectCorrupted, srcPath + ": content differs from its LOM");
  }
  ::close(writer.fd_);
  writer.fd_ = -1;
  moved.mtimeNs = from.mtimeNs;
  auto installed = installLocked(dst, bucket, writer.workPath_, std::move(moved),
                                 writer.hasher_.blocks(), false, {});
  AIS_RETURN_IF_ERROR(installed);
  writer.finished_ = true;
  return removeLocked(src, bucket, from);
}

}  // namespace ais::store
