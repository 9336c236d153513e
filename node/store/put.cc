// The PUT path: work file -> pending marker -> rename into place -> one LomDb batch that commits
// the LOM and drops the marker. Reconciliation (reconcile.cc) finishes or undoes a crashed one.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "meta/bmd.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

// errno values of rename/mkdir that mean "a directory or file is in the way of this path".
bool pathCollision(int e) { return e == ENOTDIR || e == EISDIR || e == ENOTEMPTY || e == EEXIST; }

}  // namespace

Result<std::unique_ptr<ObjectWriter>> Store::beginPut(std::string_view bucket,
                                                      std::string_view name, PutOptions opts) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  if (uint32_t copies = copiesOf(bucket); copies > enabledCount()) {
    return Status(Code::kInvalidArgument,
                  fmt::format("ais://{} keeps {} copies of each object (mirror.copies) but this "
                              "target has {} enabled mountpath(s)",
                              bucket, copies, enabledCount()));
  }
  BucketPolicy policy = policyOf(bucket);
  if (!meta::checksumTypeSupported(policy.checksumType)) {
    return Status(Code::kInvalidArgument, "checksum type " + policy.checksumType);
  }
  AIS_RETURN_IF_ERROR(refuseIfHeldOnFailed(bucket, name, "replaced"));
  Mountpath& mp = mountpathFor(bucket, name);
  auto w = newWriter(mp, bucket, name, opts);
  if (!w.ok() && mp.faulted && &mountpathFor(bucket, name) != &mp) {
    // (it failed just now: the write goes to the next mountpath, unless the object is there)
    AIS_RETURN_IF_ERROR(refuseIfHeldOnFailed(bucket, name, "replaced"));
    w = newWriter(mountpathFor(bucket, name), bucket, name, std::move(opts));
  }
  if (w.ok()) (*w)->setChecksumType(policy.checksumType);
  return w;
}

Status Store::refuseIfHeldOnFailed(std::string_view bucket, std::string_view name,
                                   std::string_view refused) {
  for (const auto& m : mps_) {
    if (!m->faulted) continue;
    auto held = readLom(*m, bucket, name);
    if (held.ok() && held->has_value()) return heldByFailed(*m, bucket, name, refused);
  }
  return Status::OK();
}

Result<std::unique_ptr<ObjectWriter>> Store::newWriter(Mountpath& mp, std::string_view bucket,
                                                       std::string_view name, PutOptions opts) {
  int fd = -1;
  std::string path;
  if (auto ready = prepared_ ? prepared_->take(bucketDir(mp.path, bucket)) : std::nullopt) {
    fd = ::open(ready->c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      path = std::move(*ready);
    } else {
      ::unlink(ready->c_str());  // (the bucket went)
    }
  }
  if (fd < 0) {  // none made ahead: a work file of its own in %wk
    std::string dir = workDir(mp.path, bucket);
    path = fmt::format("{}/{:016x}.{}.{}", dir, meta::xxhash64(name), ::getpid(),
                       workSeq_.fetch_add(1));
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
      AIS_RETURN_IF_ERROR(makeDirs(dir));
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
  }
  if (fd < 0) {
    int err = errno;
    noteWriteFault(mp, err);
    return ioError("create", path, err);
  }
  return std::unique_ptr<ObjectWriter>(new ObjectWriter(
      *this, mp, std::string(bucket), std::string(name), std::move(path), fd, std::move(opts)));
}

Result<Lom> Store::putBytes(std::string_view bucket, std::string_view name, std::string_view data,
                            PutOptions opts) {
  auto w = beginPut(bucket, name, std::move(opts));
  AIS_RETURN_IF_ERROR(w);
  AIS_RETURN_IF_ERROR((*w)->write(data.data(), data.size()));
  return (*w)->commit();
}

Lom Store::newLom(const ObjectWriter& w, uint64_t checksum) const {
  Lom lom;
  lom.name = w.name_;
  lom.size = w.size_;
  lom.holeBytes = w.holeBytes();
  lom.checksum = checksum;
  lom.checksumType = w.checksumType_;
  if (w.typed_) {
    lom.checksumValue = toHex(w.typed_->finish());
  } else if (lom.checksumType == kChecksumXxhash64) {
    lom.checksumValue = fmt::format("{:016x}", checksum);
  }
  lom.mtimeNs = lom.atimeNs = unixNowNs();
  if (w.opts_.mtimeNs > 0) {
    lom.mtimeNs = w.opts_.mtimeNs;
  } else if (w.opts_.issuedNs > 0) {
    lom.mtimeNs = std::min(lom.mtimeNs, w.opts_.issuedNs);  // (a fast client clock: the commit's)
  }
  lom.custom = w.opts_.custom;
  return lom;
}

Status Store::checkConditionsLocked(const ObjectWriter& w) {
  if (!w.opts_.ifAbsent && w.opts_.ifVersion == 0) return Status::OK();
  auto cur = readLom(w.mp_, w.bucket_, w.name_);
  if (!cur.ok()) return cur.status();
  if (w.opts_.ifVersion != 0 && (!cur->has_value() || (*cur)->version != w.opts_.ifVersion)) {
    return Status(Code::kVersionChanged,
                  fmt::format("ais://{}/{} changed while it was being rewritten (expected version "
                              "{}, now {})",
                              w.bucket_, w.name_, w.opts_.ifVersion,
                              cur->has_value() ? std::to_string((*cur)->version) : "none"));
  }
  if (w.opts_.ifAbsent && cur->has_value() && !supersedes(w.opts_.mtimeNs, **cur)) {
    return Status(Code::kObjectExists, "ais://" + w.bucket_ + "/" + w.name_);
  }
  if (w.opts_.ifAbsent && w.opts_.mtimeNs > 0 &&
      deleted_.deletedSince(w.bucket_, w.name_, w.opts_.mtimeNs)) {
    return Status(Code::kObjectExists, "ais://" + w.bucket_ + "/" + w.name_ +
                                           " was deleted after this copy was written");
  }
  return Status::OK();
}

Result<Lom> Store::commitWork(ObjectWriter& w, uint64_t checksum, const BlockSums& blocks) {
  Lom lom = newLom(w, checksum);
  const BucketPolicy policy = policyOf(w.bucket_);  // (a versions bucket's is never versioned)
  std::lock_guard lock(lockFor(w.bucket_, w.name_));
  openFiles_.forget(w.bucket_, w.name_);
  if (w.opts_.mtimeNs != 0 && policy.versioning != Versioning::kOff) {
    // A version that moves in (rebalance): among the key's versions by its time.
    if (auto placed = placeMovedLocked(w, lom, blocks)) return std::move(*placed);
  }
  AIS_RETURN_IF_ERROR(checkConditionsLocked(w));
  CurrentLom current;
  if (auto lost = supersededLocked(w, lom, blocks, policy.versioning, &current)) {
    return std::move(*lost);
  }
  if (policy.versioning != Versioning::kOff) current.reset();  // (keeping a version writes)
  if (w.opts_.mtimeNs == 0 && !meta::isVersionsBucket(w.bucket_)) {
    // A client's write (not a move): versioning keeps what it replaces, before anything changes.
    AIS_RETURN_IF_ERROR(
        versionWriteLocked(w.bucket_, w.name_, policy.versioning, lom, w.opts_.fsync));
  }
  uint32_t copies = std::min<uint32_t>(std::max<uint32_t>(policy.copies, 1),
                                       static_cast<uint32_t>(enabledCount()));
  if (copies <= 1) {
    auto installed = installLocked(w.mp_, w.bucket_, w.workPath_, std::move(lom), blocks,
                                   w.opts_.fsync, {}, false, std::move(current));
    if (installed.ok()) AIS_RETURN_IF_ERROR(dropExtraCopiesLocked(w.bucket_, w.name_, 1));
    return installed;
  }
  // Mirrored: the copies first, with the version the main copy is about to get, so a PUT that
  // fails midway leaves the main copy (which reads prefer) as it was.
  auto old = readLom(w.mp_, w.bucket_, w.name_);
  lom.version = old.ok() && old->has_value() ? (*old)->version + 1 : 1;
  int fd = ::open(w.workPath_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("open", w.workPath_, errno);
  auto order = mountpathOrder(w.bucket_, w.name_);
  for (uint32_t k = 1; k < copies; ++k) {
    auto copied = copyToLocked(
        *mps_[order[k]], w.bucket_, lom,
        [fd, &w](char* buf, size_t len, uint64_t off) -> Result<size_t> {
          ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
          if (n < 0) return ioError("pread", w.workPath_, errno);
          return static_cast<size_t>(n);
        },
        w.opts_.fsync);
    if (!copied.ok()) {
      ::close(fd);
      return copied;
    }
  }
  ::close(fd);
  auto installed =
      installLocked(w.mp_, w.bucket_, w.workPath_, std::move(lom), blocks, w.opts_.fsync, {}, true);
  if (installed.ok()) AIS_RETURN_IF_ERROR(dropExtraCopiesLocked(w.bucket_, w.name_, copies));
  return installed;
}

std::optional<Result<Lom>> Store::supersededLocked(ObjectWriter& w, Lom& lom,
                                                   const BlockSums& blocks, Versioning v,
                                                   CurrentLom* current) {
  using Out = std::optional<Result<Lom>>;
  if (w.opts_.issuedNs <= 0 || w.opts_.mtimeNs != 0) return std::nullopt;
  auto cur = readLom(w.mp_, w.bucket_, w.name_);
  if (current) *current = cur;
  bool newerHere = cur.ok() && cur->has_value() && (*cur)->mtimeNs > lom.mtimeNs;
  if (!newerHere && v != Versioning::kEnabled &&
      deleted_.deletedSince(w.bucket_, w.name_, lom.mtimeNs)) {
    // Issued before a client's delete that is done already (it came late: another path, a
    // target that hung): by issue order the delete is the newer change, as a newer write would
    // be. (Otherwise the name would come back, and go again with the next move, which the same
    // note refuses.)
    log::info("{}/{}: a write issued at {} is older than the name's delete: not current", w.bucket_,
              w.name_, lom.mtimeNs);
    ::unlink(w.workPath_.c_str());
    lom.superseded = true;
    return Out(std::move(lom));
  }
  if (!newerHere) return std::nullopt;
  log::info("{}/{}: a write issued at {} is older than the current version ({}): not current",
            w.bucket_, w.name_, lom.mtimeNs, (*cur)->mtimeNs);
  if (v != Versioning::kEnabled || meta::isVersionsBucket(w.bucket_)) {
    ::unlink(w.workPath_.c_str());  // dropped (the caller treats the work file as used)
    lom.superseded = true;
    return Out(std::move(lom));
  }
  // Kept among the key's versions, by its time (the current one stays).
  const std::string id = meta::newVersionId();
  lom.custom[std::string(kVersionIdKey)] = id;
  lom.custom.erase(std::string(kDeleteMarkerKey));
  lom.version = (*cur)->version;
  Lom kept = lom;
  kept.name = meta::versionName(w.name_, id);
  const std::string vb = meta::versionsBucket(w.bucket_);
  auto installed = installLocked(w.mp_, vb, w.workPath_, std::move(kept), blocks, w.opts_.fsync, {},
                                 /*keepVersion=*/true);
  if (!installed.ok()) return Out(installed.status());
  if (copiesOf(vb) > 1) requestRepair(vb, installed->name);  // its mirror copies
  lom.superseded = true;
  return Out(std::move(lom));
}

Status Store::dropExtraCopiesLocked(std::string_view bucket, std::string_view name,
                                    uint32_t copies) {
  if (mps_.size() <= copies) return Status::OK();
  auto order = mountpathOrder(bucket, name);
  for (size_t k = copies; k < order.size(); ++k) {
    // An older version left where no copy belongs now (fewer copies, a moved mountpath): it
    // must never be served for this one.
    auto lom = readLom(*mps_[order[k]], bucket, name);
    if (lom.ok() && !lom->has_value()) continue;
    AIS_RETURN_IF_ERROR(removeAtLocked(order[k], bucket, name).status());
  }
  return Status::OK();
}

Result<Lom> Store::installLocked(Mountpath& mp, std::string_view bucket, const std::string& src,
                                 Lom lom, const BlockSums& blocks, bool sync, LomDb::Batch extra,
                                 bool keepVersion, CurrentLom current) {
  std::vector<Install> one(1);
  one[0].src = src;
  one[0].lom = std::move(lom);
  one[0].blocks = blocks;
  one[0].keepVersion = keepVersion;
  one[0].current = std::move(current);
  installGroupLocked(mp, bucket, one, sync, std::move(extra));
  if (!one[0].status.ok()) return one[0].status;
  return std::move(one[0].lom);
}

void Store::installGroupLocked(Mountpath& mp, std::string_view bucket,
                               std::vector<Install>& installs, bool sync, LomDb::Batch extra) {
  struct Step {
    Install* in;
    std::optional<Lom> old;
    bool oldDamaged = false;
    std::string marker;
  };
  std::vector<Step> steps;
  LomDb::Batch markers;
  for (Install& in : installs) {
    auto old = in.current ? std::move(*in.current) : readLom(mp, bucket, in.lom.name);
    // A damaged LOM is replaced like a missing one (its file, if at the other path, is then an
    // orphan that a scrub reports).
    bool oldDamaged = old.code() == Code::kObjectCorrupted;
    if (oldDamaged) old = std::optional<Lom>();
    if (!old.ok()) {
      in.status = old.status();
      continue;
    }
    Lom& lom = in.lom;
    if (!in.keepVersion) lom.version = old->has_value() ? (*old)->version + 1 : 1;
    lom.hashedPath = !storableDirect(lom.name);
    lom.blockSize = in.blocks.blockSize;  // the marker describes the new bytes too
    std::string marker = pendingKey(bucket, lom.name);
    markers.put(marker, encodeLom(lom));
    steps.push_back({&in, std::move(*old), oldDamaged, std::move(marker)});
  }
  if (steps.empty()) return;
  if (Status st = mp.db->write(markers, sync); !st.ok()) {
    for (Step& s : steps) s.in->status = st;
    return;
  }
  // The renames; a file that cannot be placed leaves its old object as it was.
  std::vector<Step*> placed;
  std::set<std::string> dirs;
  LomDb::Batch unplaced;
  for (Step& s : steps) {
    Status st = placeFile(mp, bucket, s.in->src, s.in->lom, s.marker);
    if (!st.ok()) {
      s.in->status = st;
      unplaced.del(s.marker);
      continue;
    }
    placed.push_back(&s);
    if (sync)
      dirs.insert(parentDir(objectFqn(mp.path, bucket, s.in->lom.name, s.in->lom.hashedPath)));
  }
  if (placed.size() < steps.size()) (void)mp.db->write(unplaced, false);
  if (placed.empty()) return;
  Status committed;
  for (const auto& dir : dirs) {
    committed = fsyncDir(dir);
    if (!committed.ok()) break;
  }
  if (committed.ok()) {
    LomDb::Batch lomsBatch = placed.size() == steps.size() ? std::move(extra) : LomDb::Batch();
    for (Step* s : placed) {
      Lom& lom = s->in->lom;
      if (s->in->blocks.sums.size() <= 1 && (s->oldDamaged || (s->old && s->old->hasBlocksKey()))) {
        lomsBatch.del(blocksKey(bucket, lom.name));  // one block: its sum is the whole checksum
      }
      lomsBatch.putLom(bucket, lom, s->in->blocks);
      lomsBatch.del(s->marker);
    }
    committed = mp.db->write(lomsBatch, sync);
  }
  for (Step* s : placed) {
    const Lom& lom = s->in->lom;
    if (!committed.ok()) {
      // The new bytes are in place but the old LOM is not theirs: hide the object rather than
      // serve mismatched bytes; the marker lets reconciliation rebuild it at the next start.
      (void)mp.db->del(lomKey(bucket, lom.name));
      s->in->status = committed;
      continue;
    }
    if (s->old && s->old->hashedPath != lom.hashedPath) {
      // The previous version lived at the other path; it is unreferenced now.
      std::string oldPath = objectFqn(mp.path, bucket, lom.name, s->old->hashedPath);
      ::unlink(oldPath.c_str());
      if (!s->old->hashedPath) removeEmptyParents(parentDir(oldPath), objectDir(mp.path, bucket));
    }
  }
}

Status Store::placeFile(Mountpath& mp, std::string_view bucket, const std::string& src, Lom& lom,
                        const std::string& marker) {
  if (!lom.hashedPath) {
    std::string dst = objectFqn(mp.path, bucket, lom.name, false);
    bool collided = false;
    // A few attempts: a concurrent remove may prune the parent directories we just created.
    for (int attempt = 0; attempt < 3 && !collided; ++attempt) {
      if (::rename(src.c_str(), dst.c_str()) == 0) return Status::OK();
      int e = errno;
      if (e == ENOENT) {
        int mkErr = 0;
        Status s = makeDirs(parentDir(dst), &mkErr);
        if (!s.ok() && !pathCollision(mkErr)) return s;
        collided = !s.ok();
      } else if (pathCollision(e)) {
        collided = true;
      } else {
        return ioError("rename", dst, e);
      }
    }
    // S3 allows "a/b" and "a/b/c" together; on disk one of them must live by hash.
    log::debug("{}/{}: path collision, storing by hash", bucket, lom.name);
    lom.hashedPath = true;
    AIS_RETURN_IF_ERROR(mp.db->put(marker, encodeLom(lom)));
  }
  std::string dst = objectFqn(mp.path, bucket, lom.name, true);
  if (::rename(src.c_str(), dst.c_str()) != 0) {
    if (errno != ENOENT) return ioError("rename", dst, errno);
    AIS_RETURN_IF_ERROR(makeDirs(hashDir(mp.path, bucket)));
    if (::rename(src.c_str(), dst.c_str()) != 0) return ioError("rename", dst, errno);
  }
  return Status::OK();
}

}  // namespace ais::store
