#include "node/store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <random>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "meta/codec.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/mountpath.h"

namespace ais::store {

Result<std::unique_ptr<Store>> Store::open(std::vector<std::string> mountpaths) {
  if (mountpaths.empty()) return Status(Code::kInvalidArgument, "no mountpaths");
  std::vector<std::unique_ptr<Mountpath>> mps;
  std::set<std::string> seen;
  std::vector<std::string> normalizedPaths;
  for (const auto& path : mountpaths) {
    auto normalized = normalizeMountpath(path);
    AIS_RETURN_IF_ERROR(normalized);
    if (!seen.insert(*normalized).second) {
      return Status(Code::kInvalidArgument, "duplicate mountpath " + *normalized);
    }
    normalizedPaths.push_back(std::move(normalized).value());
  }
  IntegrityStats found;
  for (const auto& path : normalizedPaths) {
    auto mp = openAndRecover(path, &found);
    AIS_RETURN_IF_ERROR(mp);
    mps.push_back(std::move(mp).value());
  }
  auto store = std::unique_ptr<Store>(new Store(std::move(mps)));
  store->startup_ = found;
  return store;
}

Store::Store(std::vector<std::unique_ptr<Mountpath>> mps)
    : boot_(std::random_device{}() * uint64_t{0x100000001} ^ unixNowNs()) {
  for (auto& mp : mps) {
    Status st = mps_.append(std::move(mp));
    if (!st.ok()) log::error("{}", st.toString());
  }
}

Store::Changes Store::changes(std::string_view bucket, std::string_view prefix,
                              uint64_t asker) const {
  std::string_view dir = prefix.substr(0, prefix.rfind('/') + 1);  // ("" if none)
  uint64_t h = 0;
  for (const auto& mp : mps_) {
    auto [epoch, count] = mp->db->changes(bucket, dir, asker);
    const uint64_t parts[] = {mp->digest, mp->enabled.load() ? 1u : 0u,
                              mp->detached.load() ? 1u : 0u, epoch, count};
    h = meta::xxhash64(std::string_view(reinterpret_cast<const char*>(parts), sizeof parts), h);
  }
  return {boot_, h};
}

Store::~Store() = default;

Mountpath& Store::mountpathFor(std::string_view bucket, std::string_view name) const {
  return *mps_[mountpathIndex(bucket, name)];
}

size_t Store::mountpathIndex(std::string_view bucket, std::string_view name) const {
  // HRW over the enabled mountpaths (over all of them if none is: setMountpathEnabled prevents
  // that). One pass: the best enabled one, else the best of all.
  uint64_t h = meta::xxhash64(meta::uname(bucket, name));
  std::optional<size_t> bestEnabled, bestAny;
  uint64_t enabledWeight = 0, anyWeight = 0;
  for (size_t i = 0; i < mps_.size(); ++i) {
    uint64_t w = meta::mix64(h ^ mps_.digest(i));
    if (!bestAny || w > anyWeight) {
      bestAny = i;
      anyWeight = w;
    }
    if (mps_[i]->enabled.load(std::memory_order_relaxed) && (!bestEnabled || w > enabledWeight)) {
      bestEnabled = i;
      enabledWeight = w;
    }
  }
  return bestEnabled.value_or(*bestAny);
}

size_t Store::enabledCount() const {
  size_t n = 0;
  for (const auto& mp : mps_) n += mp->enabled.load(std::memory_order_relaxed) ? 1 : 0;
  return n;
}

std::vector<MountpathState> Store::mountpathStates() const {
  std::vector<MountpathState> out;
  for (const auto& mp : mps_) {
    if (!mp->detached) out.push_back({mp->path, mp->enabled.load(), mp->faulted.load()});
  }
  return out;
}

Result<Mountpath*> Store::findMountpath(const std::string& path) const {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  for (const auto& m : mps_) {
    if (!m->detached && (m->path == path || (!ec && m->path == canonical.string()))) {
      return m.get();
    }
  }
  return Status(Code::kInvalidArgument, "no mountpath " + path + " on this target");
}

Result<bool> Store::setMountpathEnabled(const std::string& path, bool enabled) {
  std::lock_guard lock(policiesMu_);  // one toggle at a time
  auto found = findMountpath(path);
  AIS_RETURN_IF_ERROR(found);
  Mountpath* mp = *found;
  if (enabled && mp->faulted) {
    return Status(Code::kInvalidArgument,
                  mp->path +
                      " failed (its file system took no write): repair its disk, then "
                      "restart the target");
  }
  if (mp->enabled == enabled) return false;
  openFiles_.forgetAll();  // (none may hold a mountpath busy or outlive its HRW place)
  std::string marker = mp->path + "/" + kDisabledMarker;
  if (!enabled) {
    if (enabledCount() <= 1) {
      return Status(Code::kInvalidArgument, "cannot disable " + mp->path +
                                                ": it is the last enabled mountpath of the target");
    }
    for (const auto& [bucket, policy] : policies_) {  // (policiesMu_ is held)
      if (policy.copies > enabledCount() - 1) {
        return Status(Code::kInvalidArgument,
                      fmt::format("cannot disable {}: ais://{} keeps {} copies (mirror.copies) "
                                  "and {} enabled mountpath(s) would be left",
                                  mp->path, bucket, policy.copies, enabledCount() - 1));
      }
    }
    AIS_RETURN_IF_ERROR(meta::writeFileAtomic(marker, "disabled\n"));
  } else if (::unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return ioError("unlink", marker, errno);
  }
  mp->enabled = enabled;
  if (!enabled && prepared_) prepared_->forget(mp->path + "/@ais");
  log::warn("mountpath {} {}", mp->path, enabled ? "enabled" : "disabled");
  return true;
}

Result<std::string> Store::attachMountpath(const std::string& path) {
  std::lock_guard lock(policiesMu_);  // one mountpath change at a time
  openFiles_.forgetAll();
  auto normalized = normalizeMountpath(path);
  AIS_RETURN_IF_ERROR(normalized);
  for (const auto& m : mps_) {
    if (m->path != *normalized) continue;
    if (!m->detached) {
      return Status(Code::kInvalidArgument, m->path + " is a mountpath of this target already");
    }
    // Detached earlier in this run: back in use (empty, as it was left).
    std::string marker = m->path + "/" + kDisabledMarker;
    if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return ioError("unlink", marker, errno);
    m->detached = false;
    m->enabled = true;
    log::warn("mountpath {} attached again", m->path);
    return m->path;
  }
  // (A path disabled before it was detached comes back enabled.)
  std::string marker = *normalized + "/" + kDisabledMarker;
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return ioError("unlink", marker, errno);
  IntegrityStats found;
  auto mp = openAndRecover(*normalized, &found);
  AIS_RETURN_IF_ERROR(mp);
  std::string canonical = (*mp)->path;
  AIS_RETURN_IF_ERROR(mps_.append(std::move(mp).value()));
  log::warn("mountpath {} attached", canonical);
  return canonical;
}

Status Store::detachMountpath(const std::string& path) {
  std::lock_guard lock(policiesMu_);
  openFiles_.forgetAll();
  auto found = findMountpath(path);
  AIS_RETURN_IF_ERROR(found);
  Mountpath* mp = *found;
  if (mp->enabled) {
    return Status(Code::kInvalidArgument,
                  mp->path +
                      " is enabled: disable it first (its objects move off in the "
                      "resilver job), then detach it");
  }
  // (From the pending markers on: the notes below them are moved off, not objects.)
  std::string left;
  AIS_RETURN_IF_ERROR(mp->db->scan(std::string(1, kPendingPrefix), std::string(8, '\xff'),
                                   [&](std::string_view key, std::string_view) {
                                     left = std::string(key.substr(0, key.find('\0')));
                                     return false;
                                   }));
  if (!left.empty()) {
    return Status(Code::kInvalidArgument,
                  mp->path + " still holds objects (of ais://" + left +
                      "): wait for the resilver job to move them off, then detach it");
  }
  AIS_RETURN_IF_ERROR(moveNotesOff(*mp));
  mp->detached = true;
  if (prepared_) prepared_->forget(mp->path + "/@ais");
  log::warn("mountpath {} detached", mp->path);
  return Status::OK();
}

const std::string& Store::mountpathOf(std::string_view bucket, std::string_view name) const {
  return mountpathFor(bucket, name).path;
}

std::vector<std::string> Store::mountpaths() const {
  std::vector<std::string> out;
  for (const auto& mp : mps_) out.push_back(mp->path);
  return out;
}

std::shared_mutex& Store::lockFor(std::string_view bucket, std::string_view name) {
  return locks_.forHash(meta::xxhash64(meta::uname(bucket, name)));
}

Result<std::optional<Lom>> Store::readLom(Mountpath& mp, std::string_view bucket,
                                          std::string_view name, bool cachedOnly) {
  auto raw = mp.db->get(lomKey(bucket, name), cachedOnly);
  AIS_RETURN_IF_ERROR(raw);
  if (!raw->has_value()) return std::optional<Lom>();
  auto lom = decodeLom(**raw);
  if (!lom.ok()) {
    if (cachedOnly) return Status(Code::kWouldBlock, "damaged LOM");  // reported by openObject
    // The metadata itself is damaged: the object reads as corrupted (an overwrite or a delete
    // still works: see installLocked and remove).
    corruptReads_.fetch_add(1, std::memory_order_relaxed);
    log::error("{}: ais://{}/{}: damaged LOM: {}", mp.path, bucket, name, lom.status().message());
    return Status(Code::kObjectCorrupted,
                  fmt::format("{}: ais://{}/{}: damaged metadata ({})", mp.path, bucket, name,
                              lom.status().message()));
  }
  return std::optional<Lom>(std::move(lom).value());
}

Result<BlockSums> Store::readBlocks(Mountpath& mp, std::string_view bucket, const Lom& lom,
                                    bool cachedOnly) {
  if (lom.blockSize == 0) return BlockSums{};
  uint64_t count = blockCount(lom.size, lom.blockSize);
  if (count <= 1) {
    BlockSums one{lom.blockSize, {}};
    if (count == 1) one.sums.push_back(lom.checksum);
    return one;
  }
  auto damaged = [&](std::string_view why) {
    return Status(Code::kObjectCorrupted, fmt::format("{}: ais://{}/{}: block checksums {}",
                                                      mp.path, bucket, lom.name, why));
  };
  auto raw = mp.db->get(blocksKey(bucket, lom.name), cachedOnly);
  AIS_RETURN_IF_ERROR(raw);
  if (!raw->has_value()) return damaged("missing");
  auto blocks = decodeBlockSums(**raw);
  if (!blocks.ok()) return damaged(blocks.status().message());
  if (blocks->blockSize != lom.blockSize || blocks->sums.size() != count) {
    return damaged("do not match the object's size");
  }
  return blocks;
}

Result<BlockSums> Store::addBlocksLocked(Mountpath& mp, std::string_view bucket, Lom& lom, int fd,
                                         const std::string& what) {
  auto digest = digestFd(fd, what);
  AIS_RETURN_IF_ERROR(digest);
  if (digest->size != lom.size || digest->checksum != lom.checksum) {
    corruptReads_.fetch_add(1, std::memory_order_relaxed);
    log::error("{}: content does not match its LOM (checksum {:016x}, expected {:016x})", what,
               digest->checksum, lom.checksum);
    return Status(Code::kObjectCorrupted, what + ": content does not match its checksum");
  }
  LomDb::Batch batch;
  batch.putLom(bucket, lom, digest->blocks);
  AIS_RETURN_IF_ERROR(mp.db->write(batch));
  log::info("{}: verified whole and given block checksums", what);
  return std::move(digest->blocks);
}

Result<std::unique_ptr<ObjectReader>> Store::openObject(std::string_view bucket,
                                                        std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  // LOM, block sums and fd under the name lock: a concurrent overwrite renames a new inode into
  // place and commits its LOM under the same lock, so what we take describes the same bytes.
  std::lock_guard lock(lockFor(bucket, name));
  auto main = openAtLocked(order[0], bucket, name, /*cachedOnly=*/false, /*keepOpen=*/true);
  if (order.size() == 1) return main;
  if (main.ok()) {
    setFailover(**main, std::string(bucket), {order[0]});
    return main;
  }
  if (main.code() != Code::kObjectNotFound && main.code() != Code::kObjectCorrupted) return main;
  // The main copy is missing or damaged: a copy on another mountpath (mirroring, or an object
  // not yet moved to a new HRW mountpath), of the main's version if its LOM names one.
  std::optional<uint64_t> want;
  if (main.code() == Code::kObjectCorrupted) {
    auto lom = readLom(*mps_[order[0]], bucket, name);
    if (lom.ok() && lom->has_value()) want = (*lom)->version;
  }
  std::unique_ptr<ObjectReader> best;
  for (size_t k = 1; k < order.size(); ++k) {
    auto r = openAtLocked(order[k], bucket, name);
    if (!r.ok()) continue;
    uint64_t v = (*r)->lom().version;
    if (want && v != *want) continue;
    if (!best || v > best->lom().version) best = std::move(*r);
  }
  if (!best) return main;
  std::set<size_t> tried{order[0], best->mountpathIndex()};
  best->setDegraded();
  requestRepair(bucket, name);
  setFailover(*best, std::string(bucket), std::move(tried));
  return std::unique_ptr<ObjectReader>(std::move(best));
}

Result<std::unique_ptr<ObjectReader>> Store::openCached(std::string_view bucket,
                                                        std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  std::shared_lock lock(lockFor(bucket, name), std::try_to_lock);
  if (!lock.owns_lock()) return Status(Code::kWouldBlock, "name lock busy");
  auto rd = openAtLocked(order[0], bucket, name, /*cachedOnly=*/true, /*keepOpen=*/true);
  if (!rd.ok()) return Status(Code::kWouldBlock, rd.status().message());
  lock.unlock();
  if (order.size() > 1) setFailover(**rd, std::string(bucket), {order[0]});
  return rd;
}

Result<std::unique_ptr<ObjectReader>> Store::openAtLocked(size_t i, std::string_view bucket,
                                                          std::string_view name, bool cachedOnly,
                                                          bool keepOpen) {
  Mountpath& mp = *mps_[i];
  const uint64_t dbWrites = mp.db->writes();  // (before the LOM is read: see OpenFiles)
  std::optional<OpenFiles::Kept> kept;
  if (keepOpen) kept = openFiles_.find(bucket, name, i, dbWrites);
  struct stat st;
  // The kept file is still the one of that size (else it is dropped, and the path opened again
  // below reports what is wrong).
  auto stillKept = [&](uint64_t size) {
    if (::fstat(kept->file->fd(), &st) == 0 && OpenFiles::stillSame(kept->id, st, size)) {
      return true;
    }
    openFiles_.forget(bucket, name);
    kept.reset();
    return false;
  };
  if (kept && kept->described && stillKept(kept->described->lom.size)) {
    // A hot object: file, LOM and block sums as an earlier read left them.
    return std::make_unique<ObjectReader>(
        std::move(kept->described->lom), std::move(kept->described->blocks), std::move(kept->file),
        fmt::format("{}: ais://{}/{}", mp.path, bucket, name), &corruptReads_, i, faults_);
  }
  auto lom = readLom(mp, bucket, name, cachedOnly);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  std::string what = fmt::format("{}: ais://{}/{}", mp.path, bucket, name);
  std::string path = objectFqn(mp.path, bucket, name, (*lom)->hashedPath);
  std::shared_ptr<const OpenFile> file;
  // A file kept open by an earlier read, if it is still this LOM's.
  if (kept && kept->path == path && stillKept((*lom)->size)) file = std::move(kept->file);
  if (!file) {
    int fd = cachedOnly ? openCachedPath(path) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && cachedOnly) return Status(Code::kWouldBlock, path);
    if (fd < 0) {
      if (errno != ENOENT && errno != ENOTDIR) return ioError("open", path, errno);
      // The LOM says the object exists: its bytes are lost, not elsewhere.
      missingFiles_.fetch_add(1, std::memory_order_relaxed);
      log::error("{}: file {} is missing", what, path);
      return Status(Code::kObjectCorrupted, what + ": object file is missing");
    }
    file = std::make_shared<OpenFile>(fd);
    if (::fstat(fd, &st) != 0) return ioError("fstat", path, errno);
    if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != (*lom)->size) {
      if (cachedOnly) return Status(Code::kWouldBlock, path);  // reported by the full open
      // Never serve bytes the LOM does not describe.
      corruptReads_.fetch_add(1, std::memory_order_relaxed);
      log::error("{}: file size {} differs from the LOM's {}", what, st.st_size, (*lom)->size);
      return Status(Code::kObjectCorrupted, what + ": file size does not match its metadata");
    }
  }
  auto blocks = readBlocks(mp, bucket, **lom, cachedOnly);
  if (cachedOnly && (!blocks.ok() || blocks->blockSize == 0)) {
    return Status(Code::kWouldBlock, path);  // the full open reports, or adds the checksums
  }
  if (!blocks.ok() && blocks.code() != Code::kObjectCorrupted) return blocks.status();
  if (!blocks.ok() || blocks->blockSize == 0) {
    if (!blocks.ok()) log::error("{}", blocks.status().message());
    blocks = addBlocksLocked(mp, bucket, **lom, file->fd(), what);
    AIS_RETURN_IF_ERROR(blocks);
  }
  if (keepOpen) {
    // (Kept again when reused too: with the description read now.)
    OpenFiles::Identity id = OpenFiles::identityOf(st);
    openFiles_.keep(bucket, name, path, file, id,
                    OpenFiles::Described{i, dbWrites, **lom, *blocks});
  }
  return std::make_unique<ObjectReader>(std::move(**lom), std::move(*blocks), std::move(file),
                                        std::move(what), &corruptReads_, i, faults_);
}

Result<Lom> Store::head(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  return currentLom(bucket, name, mountpathOrder(bucket, name));
}

Result<Lom> Store::currentLom(std::string_view bucket, std::string_view name,
                              const std::vector<size_t>& order) {
  auto lom = readLom(*mps_[order[0]], bucket, name);
  if (lom.ok() && lom->has_value()) return std::move(**lom);
  if (!lom.ok() && lom.code() != Code::kObjectCorrupted) return lom.status();
  // No main copy (or its LOM is damaged): the newest copy elsewhere, if any.
  std::optional<Lom> best;
  for (size_t k = 1; k < order.size(); ++k) {
    auto other = readLom(*mps_[order[k]], bucket, name);
    if (other.ok() && other->has_value() && (!best || (*other)->version > best->version)) {
      best = std::move(**other);
    }
  }
  if (!best) {
    AIS_RETURN_IF_ERROR(lom);
    return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  }
  requestRepair(bucket, name);
  return std::move(*best);
}

Result<Lom> Store::headCached(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  std::shared_lock lock(lockFor(bucket, name), std::try_to_lock);
  if (!lock.owns_lock()) return Status(Code::kWouldBlock, "name lock busy");
  auto lom = readLom(*mps_[order[0]], bucket, name, /*cachedOnly=*/true);
  if (!lom.ok() || !lom->has_value()) return Status(Code::kWouldBlock, "LOM not in memory");
  return std::move(**lom);
}

Result<std::string> Store::fqn(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Mountpath& mp = mountpathFor(bucket, name);
  auto lom = readLom(mp, bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  return objectFqn(mp.path, bucket, name, (*lom)->hashedPath);
}

std::vector<std::string> Store::copyFqns(std::string_view bucket, std::string_view name) {
  std::vector<std::string> out;
  if (!validateNames(bucket, name).ok()) return out;
  for (size_t i : mountpathOrder(bucket, name)) {
    auto lom = readLom(*mps_[i], bucket, name);
    if (lom.ok() && lom->has_value()) {
      out.push_back(objectFqn(mps_[i]->path, bucket, name, (*lom)->hashedPath));
    }
  }
  return out;
}

Status Store::removeLocked(Mountpath& mp, std::string_view bucket, const Lom& lom) {
  // LOM first: a crash in between leaves an invisible orphan file, never a LOM without bytes.
  LomDb::Batch batch;
  batch.del(lomKey(bucket, lom.name));
  if (lom.hasBlocksKey()) batch.del(blocksKey(bucket, lom.name));
  AIS_RETURN_IF_ERROR(mp.db->write(batch));
  std::string path = objectFqn(mp.path, bucket, lom.name, lom.hashedPath);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ioError("unlink", path, errno);
  if (!lom.hashedPath) removeEmptyParents(parentDir(path), objectDir(mp.path, bucket));
  return Status::OK();
}

Status Store::remove(std::string_view bucket, std::string_view name, uint64_t ifVersion,
                     int64_t clientDeleteNs) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  std::lock_guard lock(lockFor(bucket, name));
  openFiles_.forget(bucket, name);
  if (ifVersion != 0) {
    // The version a HEAD reports is the one the caller named (head()'s own choice of copy).
    auto cur = currentLom(bucket, name, order);
    AIS_RETURN_IF_ERROR(cur);
    if (cur->version != ifVersion) {
      return Status(Code::kVersionChanged, fmt::format("{}/{} is version {}, not {}", bucket, name,
                                                       cur->version, ifVersion));
    }
  }
  // Noted under the name lock before anything goes: a move's commit (which checks it under the
  // same lock) either went before and is removed now, or comes after and is refused.
  if (clientDeleteNs != 0) deleted_.note(bucket, name, clientDeleteNs);
  auto found = removeAllLocked(bucket, name);
  AIS_RETURN_IF_ERROR(found);
  if (!*found) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  return Status::OK();
}

Status Store::removeIfSame(std::string_view bucket, std::string_view name, const Lom& seen) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  std::lock_guard lock(lockFor(bucket, name));
  auto cur = currentLom(bucket, name, order);
  AIS_RETURN_IF_ERROR(cur);
  if (cur->version != seen.version || cur->mtimeNs != seen.mtimeNs ||
      cur->checksum != seen.checksum || cur->size != seen.size) {
    return Status(Code::kVersionChanged, fmt::format("{}/{} was written again (version {}, was {})",
                                                     bucket, name, cur->version, seen.version));
  }
  openFiles_.forget(bucket, name);
  auto found = removeAllLocked(bucket, name);
  AIS_RETURN_IF_ERROR(found);
  if (!*found) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  return Status::OK();
}

Result<Lom> Store::setCustom(std::string_view bucket, std::string_view name,
                             std::map<std::string, std::string> custom, bool merge,
                             const CustomCounters* counters) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto order = mountpathOrder(bucket, name);
  std::lock_guard lock(lockFor(bucket, name));
  AIS_RETURN_IF_ERROR(refuseIfHeldOnFailed(bucket, name, "changed"));
  Mountpath& mp = *mps_[order[0]];
  auto lom = readLom(mp, bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value() && order.size() > 1) {
    // The main copy is gone: put it back from another before changing it.
    auto synced = syncCopiesLocked(bucket, name, copiesOf(bucket));
    AIS_RETURN_IF_ERROR(synced);
    lom = readLom(mp, bucket, name);
    AIS_RETURN_IF_ERROR(lom);
  }
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  if (counters && !counters->opId.empty()) {
    auto last = (*lom)->custom.find(std::string(kCounterOpKey));
    if (last != (*lom)->custom.end() && last->second == counters->opId) return std::move(**lom);
  }
  if (merge) {
    for (auto& [k, v] : custom) {
      if (v.empty()) {
        (*lom)->custom.erase(k);
      } else {
        (*lom)->custom[k] = std::move(v);
      }
    }
  } else {
    // The version id and delete mark are the store's, not the caller's to replace.
    for (auto key : {kVersionIdKey, kDeleteMarkerKey}) {
      auto it = (*lom)->custom.find(std::string(key));
      if (it != (*lom)->custom.end()) custom[it->first] = it->second;
    }
    (*lom)->custom = std::move(custom);
  }
  if (counters) {
    for (const auto& [k, delta] : counters->deltas) {
      int64_t n = counters->missingAs;
      if (auto it = (*lom)->custom.find(k); it != (*lom)->custom.end()) {
        const std::string& v = it->second;
        int64_t parsed = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
        if (ec == std::errc() && end == v.data() + v.size()) n = parsed;
      }
      (*lom)->custom[k] = std::to_string(n + delta);
    }
    if (!counters->opId.empty()) (*lom)->custom[std::string(kCounterOpKey)] = counters->opId;
  }
  AIS_RETURN_IF_ERROR(mp.db->put(lomKey(bucket, name), encodeLom(**lom)));
  // The copies of this version carry the same metadata (they may serve it).
  for (size_t k = 1; k < order.size(); ++k) {
    auto copy = readLom(*mps_[order[k]], bucket, name);
    if (!copy.ok() || !copy->has_value() || (*copy)->version != (*lom)->version) continue;
    (*copy)->custom = (*lom)->custom;
    AIS_RETURN_IF_ERROR(mps_[order[k]]->db->put(lomKey(bucket, name), encodeLom(**copy)));
  }
  return std::move(**lom);
}

Result<std::vector<Lom>> Store::list(std::string_view bucket, std::string_view prefix,
                                     std::string_view startAfter, size_t limit) {
  AIS_RETURN_IF_ERROR(validateBucket(bucket));
  std::vector<Lom> out;
  if (limit == 0) return out;
  std::string keyPrefix = lomKey(bucket, prefix);
  std::string after = lomKey(bucket, startAfter);
  std::string begin = std::max(keyPrefix, after);
  const size_t nameAt = bucketKeyBegin(bucket).size();
  // The mountpaths' LomDbs merged in name order as they are read: each key read once, only the
  // returned LOMs decoded.
  std::vector<std::unique_ptr<LomDb::Cursor>> runs;
  auto skip = [&](LomDb::Cursor& c) {  // past `after` (exclusive start)
    while (c.valid() && c.key() == after) c.next();
  };
  for (const auto& mp : mps_) {
    runs.push_back(mp->db->cursor(begin, bucketKeyEnd(bucket)));
    skip(*runs.back());
  }
  auto live = [&](const LomDb::Cursor& c) { return c.valid() && c.key().starts_with(keyPrefix); };
  auto decoded = [&](size_t mp, std::string_view key, std::string_view value) {
    auto lom = decodeLom(value);
    if (lom.ok()) return std::move(lom).value();
    // Listed by name (its GET answers ObjectCorrupted): a damaged entry must neither hide the
    // object nor break the listing.
    std::string name(key.substr(nameAt));
    log::error("{}: ais://{}/{}: damaged LOM: {}", mps_[mp]->path, bucket, name,
               lom.status().message());
    Lom named;
    named.name = std::move(name);
    return named;
  };
  out.reserve(std::min<size_t>(limit, 4096));
  std::string key;
  while (out.size() < limit) {
    size_t first = runs.size();
    for (size_t i = 0; i < runs.size(); ++i) {
      if (live(*runs[i]) && (first == runs.size() || runs[i]->key() < runs[first]->key())) {
        first = i;
      }
    }
    if (first == runs.size()) break;
    // A mirrored object is in several mountpaths' LomDbs: listed once, its newest version.
    key.assign(runs[first]->key());
    std::optional<Lom> best;
    for (size_t i = first; i < runs.size(); ++i) {
      if (!live(*runs[i]) || runs[i]->key() != key) continue;
      Lom lom = decoded(i, key, runs[i]->value());
      if (!best || lom.version > best->version) best = std::move(lom);
      runs[i]->next();
    }
    out.push_back(std::move(*best));
  }
  for (const auto& run : runs) {
    if (!run->valid()) AIS_RETURN_IF_ERROR(run->status());
  }
  return out;
}

Result<bool> Store::bucketEmpty(std::string_view bucket) {
  AIS_RETURN_IF_ERROR(validateBucket(bucket));
  bool empty = true;
  for (const auto& mp : mps_) {
    AIS_RETURN_IF_ERROR(mp->db->scan(bucketKeyBegin(bucket), bucketKeyEnd(bucket),
                                     [&](std::string_view, std::string_view) {
                                       empty = false;
                                       return false;
                                     }));
    if (!empty) break;
  }
  return empty;
}

Status Store::destroyBucket(std::string_view bucket) {
  auto trash = detachBucket(bucket);
  AIS_RETURN_IF_ERROR(trash);
  return removeTrash(*trash);
}

Result<std::vector<std::string>> Store::detachBucket(std::string_view bucket) {
  AIS_RETURN_IF_ERROR(validateBucket(bucket));
  deleted_.forgetBucket(bucket);
  std::vector<std::string> trashed;
  for (const auto& mp : mps_) {
    // Move the tree aside first (atomic), so a crash leaves either the whole bucket or trash that
    // reconciliation removes, plus LOMs whose files are gone (also removed there).
    std::string dir = bucketDir(mp->path, bucket);
    std::string trash =
        fmt::format("{}/@ais/.trash.{}.{}.{}", mp->path, bucket, ::getpid(), workSeq_.fetch_add(1));
    bool moved = ::rename(dir.c_str(), trash.c_str()) == 0;
    if (!moved && errno != ENOENT) return ioError("rename", dir, errno);
    if (moved) trashed.push_back(trash);
    AIS_RETURN_IF_ERROR(mp->db->deleteRange(bucketKeyBegin(bucket), bucketKeyEnd(bucket)));
    for (char prefix : {kPendingPrefix, kBlocksPrefix}) {
      std::string p(1, prefix);
      AIS_RETURN_IF_ERROR(
          mp->db->deleteRange(p + bucketKeyBegin(bucket), p + bucketKeyEnd(bucket)));
    }
  }
  openFiles_.forgetBucket(bucket);
  return trashed;
}

Status Store::removeTrash(const std::vector<std::string>& trash) {
  for (const auto& dir : trash) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) return ioError("remove", dir, ec.value());
  }
  return Status::OK();
}

uint64_t Store::objectCount() const {
  uint64_t n = 0;
  for (const auto& mp : mps_) n += mp->db->estimateKeys();
  return n;
}

IntegrityStats Store::integrityStats() const {
  IntegrityStats s = startup_;
  s.corruptReads += corruptReads_.load(std::memory_order_relaxed);
  s.missingFiles += missingFiles_.load(std::memory_order_relaxed);
  s.orphans += orphans_.load(std::memory_order_relaxed);
  return s;
}

Result<Capacity> Store::capacity() const {
  Capacity cap;
  std::set<dev_t> devices;  // several mountpaths on one filesystem count once
  for (const auto& mp : mps_) {
    if (mp->detached) continue;
    struct stat st;
    if (::stat(mp->path.c_str(), &st) != 0) return ioError("stat", mp->path, errno);
    if (!devices.insert(st.st_dev).second) continue;
    struct statvfs vfs;
    if (::statvfs(mp->path.c_str(), &vfs) != 0) return ioError("statvfs", mp->path, errno);
    cap.totalBytes += static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    cap.availBytes += static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  return cap;
}

}  // namespace ais::store
