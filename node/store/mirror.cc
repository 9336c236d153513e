// n-way mirroring within a target: an object of a bucket with `copies` > 1 lives on the first
// `copies` mountpaths in HRW order, each copy a full object (file, LOM and block checksums in that
// mountpath's LomDb) with the main copy's version. The main copy is authoritative; the others
// serve reads when it is missing or damaged, and syncCopies puts everything back in place.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/log.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

std::string repairKey(std::string_view bucket, std::string_view name) {
  std::string k(bucket);
  k.push_back('\0');
  k.append(name);
  return k;
}

}  // namespace

std::vector<size_t> Store::mountpathOrder(std::string_view bucket, std::string_view name) const {
  uint64_t h = meta::xxhash64(meta::uname(bucket, name));
  std::vector<std::pair<uint64_t, size_t>> weighted;
  for (size_t i = 0, n = mps_.size(); i < n; ++i)
    weighted.emplace_back(meta::mix64(h ^ mps_.digest(i)), i);
  // Enabled mountpaths first (disabled ones only hold what has not moved yet); ties go to the
  // lower index, as in mountpathIndex, so the first is always mountpathFor.
  auto enabled = [this](size_t i) { return mps_[i]->enabled.load(std::memory_order_relaxed); };
  std::sort(weighted.begin(), weighted.end(), [&](const auto& a, const auto& b) {
    if (enabled(a.second) != enabled(b.second)) return enabled(a.second);
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<size_t> order;
  for (const auto& [w, i] : weighted) order.push_back(i);
  return order;
}

void Store::setBucketPolicies(std::map<std::string, BucketPolicy, std::less<>> policies) {
  std::lock_guard lock(policiesMu_);
  policies_ = std::move(policies);
}

BucketPolicy Store::policyOf(std::string_view bucket) const {
  // Kept versions are stored like their bucket's objects (copies, checksum), never versioned.
  bool versions = meta::isVersionsBucket(bucket);
  if (versions) bucket = meta::bucketOfVersions(bucket);
  std::lock_guard lock(policiesMu_);
  auto it = policies_.find(bucket);
  BucketPolicy p = it == policies_.end() ? BucketPolicy{} : it->second;
  if (versions) p.versioning = Versioning::kOff;
  return p;
}

uint32_t Store::copiesOf(std::string_view bucket) const {
  return std::max<uint32_t>(policyOf(bucket).copies, 1);
}

void Store::setRepairHook(std::function<void(const std::string&, const std::string&)> hook) {
  std::lock_guard lock(repairMu_);
  repairHook_ = std::move(hook);
}

void Store::requestRepair(std::string_view bucket, std::string_view name) {
  std::function<void(const std::string&, const std::string&)> hook;
  {
    std::lock_guard lock(repairMu_);
    // (Keyed by bucket and name: a key's versions share its uname.)
    if (!repairHook_ || !repairing_.insert(repairKey(bucket, name)).second) return;
    hook = repairHook_;
  }
  hook(std::string(bucket), std::string(name));
}

bool Store::needsResilver() const {
  bool created = false, existing = false;
  for (const auto& mp : mps_) (mp->createdDb ? created : existing) = true;
  return created && existing;
}

void Store::setFailover(ObjectReader& reader, std::string bucket, std::set<size_t> tried) {
  if (mps_.size() < 2) return;
  reader.setFailover([this, bucket = std::move(bucket), tried = std::move(tried)](
                         const ObjectReader& failed) mutable -> std::unique_ptr<ObjectReader> {
    const Lom& want = failed.lom();
    requestRepair(bucket, want.name);
    for (size_t i : mountpathOrder(bucket, want.name)) {
      if (!tried.insert(i).second) continue;
      std::lock_guard lock(lockFor(bucket, want.name));
      auto other = openAtLocked(i, bucket, want.name);
      if (!other.ok()) continue;
      const Lom& got = (*other)->lom();
      // Only the same bytes: an older or newer version is another object.
      if (got.version != want.version || got.checksum != want.checksum || got.size != want.size) {
        continue;
      }
      return std::move(*other);
    }
    return nullptr;
  });
}

Result<Lom> Store::copyToLocked(Mountpath& mp, std::string_view bucket, const Lom& like,
                                const ReadAt& readAt, bool sync, bool keepVersion) {
  auto w = newWriter(mp, bucket, like.name, PutOptions{});
  AIS_RETURN_IF_ERROR(w);
  ObjectWriter& out = **w;
  std::vector<char> buf(std::min<uint64_t>(like.size, 1 << 20));
  for (uint64_t off = 0; off < like.size;) {
    auto n = readAt(buf.data(), std::min<uint64_t>(buf.size(), like.size - off), off);
    AIS_RETURN_IF_ERROR(n);
    if (*n == 0) return Status(Code::kObjectCorrupted, out.workPath_ + ": source ended early");
    AIS_RETURN_IF_ERROR(out.write(buf.data(), *n));
    off += *n;
  }
  if (out.hasher_.wholeChecksum() != like.checksum) {
    // The source changed or lied under us: a copy must be exactly the object.
    return Status(Code::kObjectCorrupted,
                  fmt::format("ais://{}/{}: copy for {} does not match the object's checksum",
                              bucket, like.name, mp.path));
  }
  AIS_RETURN_IF_ERROR(out.extendToSize());  // a copy that ends in a hole
  if (sync) {
    int injected = faults_ ? faults_->beforeFsync(out.workPath_) : 0;
    if (injected || ::fsync(out.fd_) != 0) {
      return ioError("fsync", out.workPath_, injected ? injected : errno);
    }
  }
  ::close(out.fd_);
  out.fd_ = -1;
  auto installed =
      installLocked(mp, bucket, out.workPath_, like, out.hasher_.blocks(), sync, {}, keepVersion);
  if (installed.ok()) out.finished_ = true;  // the work file is the copy now
  return installed;
}

Result<bool> Store::removeAtLocked(size_t i, std::string_view bucket, std::string_view name) {
  Mountpath& mp = *mps_[i];
  auto lom = readLom(mp, bucket, name);
  if (lom.code() == Code::kObjectCorrupted) {
    // Damaged metadata: drop it, and the file wherever it may live.
    LomDb::Batch batch;
    batch.del(lomKey(bucket, name));
    batch.del(blocksKey(bucket, name));
    AIS_RETURN_IF_ERROR(mp.db->write(batch));
    for (bool hashed : {false, true}) ::unlink(objectFqn(mp.path, bucket, name, hashed).c_str());
    return true;
  }
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return false;
  if (mp.faulted) return heldByFailed(mp, bucket, name, "removed");
  AIS_RETURN_IF_ERROR(removeLocked(mp, bucket, **lom));
  return true;
}

Result<SyncReport> Store::syncCopies(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Result<SyncReport> r = SyncReport{};
  {
    std::lock_guard lock(lockFor(bucket, name));
    openFiles_.forget(bucket, name);
    r = syncCopiesLocked(bucket, name, copiesOf(bucket));
  }
  std::lock_guard lock(repairMu_);
  repairing_.erase(repairKey(bucket, name));
  return r;
}

Result<SyncReport> Store::syncCopiesLocked(std::string_view bucket, std::string_view name,
                                           uint32_t copies) {
  auto order = mountpathOrder(bucket, name);
  copies =
      std::clamp<uint32_t>(copies, 1, static_cast<uint32_t>(std::max<size_t>(enabledCount(), 1)));
  struct Held {
    std::unique_ptr<ObjectReader> reader;  // set if the LOM and its file are there
    bool present = false;                  // a LOM (maybe damaged) is there
    bool intact = false;                   // and every block verified
  };
  std::vector<Held> held(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    auto r = openAtLocked(order[k], bucket, name);
    if (r.code() == Code::kObjectNotFound) continue;
    held[k].present = true;
    if (r.code() == Code::kObjectCorrupted) continue;
    AIS_RETURN_IF_ERROR(r);
    held[k].intact = (*r)->verifyAll().ok();
    held[k].reader = std::move(*r);
  }
  // The source: the main copy if intact; else the newest intact one, of the main's version if
  // its LOM still names one (an older version is not this object).
  size_t src = order.size();
  if (held[0].intact) {
    src = 0;
  } else {
    std::optional<uint64_t> want;
    if (held[0].present) {
      auto lom = readLom(*mps_[order[0]], bucket, name);
      if (lom.ok() && lom->has_value()) want = (*lom)->version;
    }
    for (size_t k = 1; k < order.size(); ++k) {
      if (!held[k].intact) continue;
      uint64_t v = held[k].reader->lom().version;
      if (want && v != *want) continue;
      if (src == order.size() || v > held[src].reader->lom().version) src = k;
    }
  }
  bool any = std::any_of(held.begin(), held.end(), [](const Held& h) { return h.present; });
  if (src == order.size()) {
    if (!any) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
    return Status(Code::kObjectCorrupted,
                  fmt::format("ais://{}/{}: no intact copy on any mountpath", bucket, name));
  }
  const Lom like = held[src].reader->lom();
  ObjectReader& source = *held[src].reader;
  SyncReport report;
  for (size_t k = 0; k < copies; ++k) {
    if (k == src) continue;
    if (held[k].intact && held[k].reader->lom().version == like.version &&
        held[k].reader->lom().checksum == like.checksum) {
      continue;
    }
    auto copied = copyToLocked(
        *mps_[order[k]], bucket, like,
        [&source](char* buf, size_t len, uint64_t off) { return source.read(buf, len, off); },
        false);
    AIS_RETURN_IF_ERROR(copied);
    log::info("ais://{}/{}: copy v{} written to {}", bucket, name, like.version,
              mps_[order[k]]->path);
    report.copied++;
    report.bytes += like.size;
  }
  // Only now that every wanted copy is in place: the ones that should not be there.
  for (size_t k = copies; k < order.size(); ++k) {
    if (!held[k].present) continue;
    held[k].reader.reset();
    auto removed = removeAtLocked(order[k], bucket, name);
    AIS_RETURN_IF_ERROR(removed);
    if (*removed) report.removed++;
  }
  return report;
}

}  // namespace ais::store
