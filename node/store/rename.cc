// Local rename of an object. Same mountpath: a file rename plus one LomDb batch (the pending
// marker of `to` covers a crash in between). Different mountpaths: a block-verified copy into a
// work file on the destination, committed like a PUT, then the source removed.
#include <fmt/format.h>

#include <mutex>

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
  std::shared_mutex& fromLock = lockFor(bucket, from);
  std::shared_mutex& toLock = lockFor(bucket, to);
  std::unique_lock<std::shared_mutex> l1(fromLock, std::defer_lock), l2(toLock, std::defer_lock);
  if (&fromLock == &toLock) {
    l1.lock();
  } else {
    std::lock(l1, l2);
  }
  AIS_RETURN_IF_ERROR(refuseIfHeldOnFailed(bucket, from, "renamed"));
  if (from != to) AIS_RETURN_IF_ERROR(refuseIfHeldOnFailed(bucket, to, "replaced"));
  openFiles_.forget(bucket, from);
  openFiles_.forget(bucket, to);
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
  AIS_RETURN_IF_ERROR(renameMainLocked(bucket, mountpathIndex(bucket, from), dst, **lom, to));
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

Status Store::renameMainLocked(std::string_view bucket, size_t srcIndex, Mountpath& dst,
                               const Lom& from, std::string_view to) {
  Mountpath& src = *mps_[srcIndex];
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

  // Cross-mountpath: a copy read through the source's block checksums and checked whole, so a
  // corrupt source is not propagated.
  auto rd = openAtLocked(srcIndex, bucket, from.name);
  AIS_RETURN_IF_ERROR(rd);
  auto copied = copyToLocked(
      dst, bucket, moved,
      [&rd](char* buf, size_t len, uint64_t off) { return (*rd)->read(buf, len, off); }, false,
      /*keepVersion=*/false);
  AIS_RETURN_IF_ERROR(copied);
  rd->reset();
  return removeLocked(src, bucket, from);
}

}  // namespace ais::store
