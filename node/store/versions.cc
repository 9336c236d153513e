// S3 object versioning in the store. The current version of a key is its object; older versions
// and delete markers are kept in the bucket's versions bucket (meta::versionsBucket) as
// versionName(key, id). meta::uname places a version by its key, so it shares the key's target,
// mountpaths and name-lock stripe: keeping a version is a hard link of the current file (object
// files are never written after they are installed) made under the key's lock, before the new
// bytes go in, and installed as any object is (pending marker, rename, LOM batch). A crash in
// between leaves the version kept twice (kept and current under one id): listings show it once,
// and the next write or delete keeps it again in place.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

std::string versionIdOf(const Lom& lom) {
  auto it = lom.custom.find(std::string(kVersionIdKey));
  return it == lom.custom.end() ? std::string(meta::kNullVersionId) : it->second;
}

bool isDeleteMarker(const Lom& lom) { return lom.custom.count(std::string(kDeleteMarkerKey)) > 0; }

// Newest first: by modification time, then by id (ids made later sort after).
bool newerFirst(const Lom& a, const Lom& b) {
  if (a.mtimeNs != b.mtimeNs) return a.mtimeNs > b.mtimeNs;
  return meta::splitVersionName(a.name).second > meta::splitVersionName(b.name).second;
}

}  // namespace

Result<std::optional<std::pair<Lom, size_t>>> Store::currentWithIndexLocked(std::string_view bucket,
                                                                            std::string_view name) {
  auto order = mountpathOrder(bucket, name);
  std::optional<std::pair<Lom, size_t>> best;
  for (size_t k = 0; k < order.size(); ++k) {
    auto lom = readLom(*mps_[order[k]], bucket, name);
    if (!lom.ok()) {
      if (lom.code() == Code::kObjectCorrupted) continue;  // a damaged LOM keeps nothing
      return lom.status();
    }
    if (!lom->has_value()) continue;
    if (k == 0) return std::optional<std::pair<Lom, size_t>>(std::pair(std::move(**lom), order[0]));
    if (!best || (*lom)->version > best->first.version) best.emplace(std::move(**lom), order[k]);
  }
  return best;
}

Result<Lom> Store::linkInstallLocked(Mountpath& mp, std::string_view fromBucket, const Lom& from,
                                     std::string_view toBucket, Lom to, bool sync) {
  auto blocks = readBlocks(mp, fromBucket, from);
  AIS_RETURN_IF_ERROR(blocks);
  std::string src = objectFqn(mp.path, fromBucket, from.name, from.hashedPath);
  std::string dir = workDir(mp.path, toBucket);
  std::string link = fmt::format("{}/{:016x}.{}.{}", dir, meta::xxhash64(to.name), ::getpid(),
                                 workSeq_.fetch_add(1));
  int rc = ::link(src.c_str(), link.c_str());
  if (rc != 0 && errno == ENOENT && ::access(src.c_str(), F_OK) == 0) {
    AIS_RETURN_IF_ERROR(makeDirs(dir));  // (the work directory was missing, not the file)
    rc = ::link(src.c_str(), link.c_str());
  }
  if (rc != 0) {
    if (errno == ENOENT) return Status(Code::kObjectCorrupted, src + ": file missing");
    return ioError("link", link, errno);
  }
  auto installed = installLocked(mp, toBucket, link, std::move(to), *blocks, sync, {}, true);
  if (!installed.ok()) ::unlink(link.c_str());
  return installed;
}

Status Store::keepVersionLocked(std::string_view bucket, const Lom& cur, size_t i, bool sync) {
  const std::string vb = meta::versionsBucket(bucket);
  Lom kept = cur;
  kept.name = meta::versionName(cur.name, versionIdOf(cur));
  auto installed = linkInstallLocked(*mps_[i], bucket, cur, vb, std::move(kept), sync);
  if (installed.code() == Code::kObjectCorrupted) {
    // The current version's file is gone (a damaged object): there is nothing left to keep.
    log::error("{}/{}: version {} not kept: {}", bucket, cur.name, versionIdOf(cur),
               installed.status().toString());
    return Status::OK();
  }
  AIS_RETURN_IF_ERROR(installed);
  if (copiesOf(vb) > 1) requestRepair(vb, installed->name);  // its mirror copies
  return Status::OK();
}

std::optional<Result<Lom>> Store::placeMovedLocked(ObjectWriter& w, const Lom& lom,
                                                   const BlockSums& blocks) {
  using Out = std::optional<Result<Lom>>;
  const std::string movedId = versionIdOf(lom);
  auto cur = currentWithIndexLocked(w.bucket_, w.name_);
  if (!cur.ok()) return Out(cur.status());
  // The same version here already: as any move (a newer copy stays, an older one is replaced).
  if (*cur && versionIdOf((*cur)->first) == movedId) return std::nullopt;
  auto kept = keptVersionsLocked(w.bucket_, w.name_);
  if (!kept.ok()) return Out(kept.status());
  bool newerHere = *cur && (*cur)->first.mtimeNs > lom.mtimeNs;
  for (const Lom& k : *kept) {
    newerHere = newerHere || k.mtimeNs > lom.mtimeNs || versionIdOf(k) == movedId;
  }
  if (newerHere) {
    Lom keptLom = lom;
    keptLom.name = meta::versionName(w.name_, movedId);
    return Out(installLocked(w.mp_, meta::versionsBucket(w.bucket_), w.workPath_,
                             std::move(keptLom), blocks, w.opts_.fsync, {}, true));
  }
  if (*cur) {
    Status st = keepVersionLocked(w.bucket_, (*cur)->first, (*cur)->second, w.opts_.fsync);
    if (!st.ok()) return Out(st);
  }
  return std::nullopt;
}

Status Store::versionWriteLocked(std::string_view bucket, std::string_view name, Versioning v,
                                 Lom& lom, bool sync) {
  const std::string idKey(kVersionIdKey);
  lom.custom.erase(std::string(kDeleteMarkerKey));
  if (v == Versioning::kOff) {
    lom.custom.erase(idKey);  // (a copy of a kept version is a plain object here)
    return Status::OK();
  }
  if (name.find(meta::kVersionSeparator) != std::string_view::npos) {
    // Its versions would not list next to it (they sort by name, and it holds the separator).
    return Status(Code::kBadObjectName,
                  "a key holding U+0001, in a bucket with S3 object versioning");
  }
  auto cur = currentWithIndexLocked(bucket, name);
  AIS_RETURN_IF_ERROR(cur);
  bool curIsNull = *cur && versionIdOf((*cur)->first) == meta::kNullVersionId;
  if (*cur && !(v == Versioning::kSuspended && curIsNull)) {
    AIS_RETURN_IF_ERROR(keepVersionLocked(bucket, (*cur)->first, (*cur)->second, sync));
  }
  if (v == Versioning::kEnabled) {
    lom.custom[idKey] = meta::newVersionId();
    return Status::OK();
  }
  // Suspended: this write is the "null" version, which a kept one must not shadow.
  lom.custom.erase(idKey);
  return removeAllLocked(meta::versionsBucket(bucket),
                         meta::versionName(name, meta::kNullVersionId))
      .status();
}

Result<bool> Store::removeAllLocked(std::string_view bucket, std::string_view name) {
  auto order = mountpathOrder(bucket, name);
  // Every mountpath's copy, the main one last: a crash midway leaves the object readable.
  bool found = false;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto removed = removeAtLocked(*it, bucket, name);
    AIS_RETURN_IF_ERROR(removed);
    found = found || *removed;
  }
  return found;
}

Result<std::vector<Lom>> Store::keptVersionsLocked(std::string_view bucket, std::string_view key) {
  const std::string vb = meta::versionsBucket(bucket);
  std::string prefix = meta::versionName(key, "");
  std::vector<Lom> out;
  std::string after;
  for (;;) {
    auto page = list(vb, prefix, after, 1000);
    AIS_RETURN_IF_ERROR(page);
    for (auto& lom : *page) {
      // (A longer key may continue with the separator too: "k\x01x" holds "k\x01x\x01<id>".)
      if (meta::splitVersionName(lom.name).first == key) out.push_back(std::move(lom));
    }
    if (page->size() < 1000) break;
    after = page->back().name;
  }
  std::sort(out.begin(), out.end(), newerFirst);
  return out;
}

Status Store::promoteLocked(std::string_view bucket, std::string_view key) {
  auto cur = currentWithIndexLocked(bucket, key);
  AIS_RETURN_IF_ERROR(cur);
  if (*cur) return Status::OK();
  auto kept = keptVersionsLocked(bucket, key);
  AIS_RETURN_IF_ERROR(kept);
  if (kept->empty() || isDeleteMarker(kept->front())) return Status::OK();
  const std::string vb = meta::versionsBucket(bucket);
  const Lom& newest = kept->front();
  // Its file becomes the object again (a link, then the kept entry goes), on its mountpath.
  auto order = mountpathOrder(vb, newest.name);
  std::optional<size_t> at;
  for (size_t i : order) {
    auto lom = readLom(*mps_[i], vb, newest.name);
    if (lom.ok() && lom->has_value()) {
      at = i;
      break;
    }
  }
  if (!at) return Status::OK();
  Lom lom = newest;
  lom.name = std::string(key);
  AIS_RETURN_IF_ERROR(linkInstallLocked(*mps_[*at], vb, newest, bucket, std::move(lom), false));
  if (copiesOf(bucket) > 1 || *at != order[0]) requestRepair(bucket, key);
  return removeAllLocked(vb, newest.name).status();
}

Result<Store::Removed> Store::removeVersioned(std::string_view bucket, std::string_view name,
                                              uint64_t ifVersion) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Versioning v = policyOf(bucket).versioning;
  if (v == Versioning::kOff) {
    AIS_RETURN_IF_ERROR(remove(bucket, name, ifVersion));
    return Removed{};
  }
  std::lock_guard lock(lockFor(bucket, name));
  openFiles_.forget(bucket, name);
  auto cur = currentWithIndexLocked(bucket, name);
  AIS_RETURN_IF_ERROR(cur);
  if (ifVersion != 0 && (!*cur || (*cur)->first.version != ifVersion)) {
    return Status(Code::kVersionChanged,
                  fmt::format("{}/{} is version {}, not {}", bucket, name,
                              *cur ? std::to_string((*cur)->first.version) : "none", ifVersion));
  }
  const std::string vb = meta::versionsBucket(bucket);
  if (*cur) {
    bool curIsNull = versionIdOf((*cur)->first) == meta::kNullVersionId;
    if (!(v == Versioning::kSuspended && curIsNull)) {
      AIS_RETURN_IF_ERROR(keepVersionLocked(bucket, (*cur)->first, (*cur)->second, false));
    }
    AIS_RETURN_IF_ERROR(removeAllLocked(bucket, name));
  }
  // The delete marker: a kept version of no bytes, the latest.
  Removed out;
  out.deleteMarker = true;
  out.versionId =
      v == Versioning::kEnabled ? meta::newVersionId() : std::string(meta::kNullVersionId);
  std::string markerName = meta::versionName(name, out.versionId);
  Mountpath& mp = mountpathFor(vb, markerName);
  PutOptions opts;
  opts.custom[std::string(kVersionIdKey)] = out.versionId;
  opts.custom[std::string(kDeleteMarkerKey)] = "true";
  auto w = newWriter(mp, vb, markerName, std::move(opts));
  AIS_RETURN_IF_ERROR(w);
  auto sum = (*w)->seal(std::nullopt, false);
  AIS_RETURN_IF_ERROR(sum);
  Lom marker = newLom(**w, *sum);
  auto installed =
      installLocked(mp, vb, (*w)->workPath_, std::move(marker), (*w)->hasher_.blocks(), false, {});
  AIS_RETURN_IF_ERROR(installed);
  (*w)->finished_ = true;  // the work file is the marker now
  if (copiesOf(vb) > 1) requestRepair(vb, markerName);
  return out;
}

Result<Store::Removed> Store::removeVersion(std::string_view bucket, std::string_view name,
                                            std::string_view versionId) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  if (!meta::validVersionId(versionId)) {
    return Status(Code::kInvalidArgument, "not a version id: " + std::string(versionId));
  }
  const std::string vb = meta::versionsBucket(bucket);
  const std::string keptName = meta::versionName(name, versionId);
  std::lock_guard lock(lockFor(bucket, name));
  openFiles_.forget(bucket, name);
  auto cur = currentWithIndexLocked(bucket, name);
  AIS_RETURN_IF_ERROR(cur);
  Removed out;
  out.versionId = std::string(versionId);
  if (*cur && versionIdOf((*cur)->first) == versionId) {
    AIS_RETURN_IF_ERROR(removeAllLocked(bucket, name));
    AIS_RETURN_IF_ERROR(removeAllLocked(vb, keptName));  // (kept twice after a crash)
    AIS_RETURN_IF_ERROR(promoteLocked(bucket, name));
    return out;
  }
  auto kept = currentWithIndexLocked(vb, keptName);
  AIS_RETURN_IF_ERROR(kept);
  if (!*kept) {
    return Status(Code::kObjectNotFound,
                  fmt::format("{}/{} has no version {}", bucket, name, versionId));
  }
  out.deleteMarker = isDeleteMarker((*kept)->first);
  AIS_RETURN_IF_ERROR(removeAllLocked(vb, keptName));
  if (!*cur) AIS_RETURN_IF_ERROR(promoteLocked(bucket, name));
  return out;
}

}  // namespace ais::store
