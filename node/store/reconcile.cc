// Startup reconciliation of one mountpath after a crash (kill -9 at any instant) or damage.
// Invariants it restores: every LOM describes the bytes of an existing file, no work file or
// trash remains, and no file that contradicts its LOM is ever adopted: such a file goes to
// <mountpath>/%lost (quarantine) and is counted, and the LOM's view is kept.
#include <dirent.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <vector>

#include "common/log.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/lom.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

using namespace std::chrono_literals;

bool isRegularFile(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string quarantineDir(const Mountpath& mp) { return mp.path + "/%lost"; }

// Moves a file that must not be served out of the object namespace, keeping its bytes for a
// human to look at.
Status quarantine(Mountpath& mp, const std::string& path, std::string_view why,
                  IntegrityStats* stats) {
  static std::atomic<uint64_t> seq{0};
  std::string dir = quarantineDir(mp);
  AIS_RETURN_IF_ERROR(makeDirs(dir));
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::string dst =
      fmt::format("{}/{}.{}.{}", dir, std::chrono::duration_cast<std::chrono::seconds>(now).count(),
                  seq.fetch_add(1), std::filesystem::path(path).filename().string().substr(0, 200));
  if (::rename(path.c_str(), dst.c_str()) != 0) return ioError("rename", path, errno);
  ++stats->quarantined;
  log::error("{}: {}: {}; quarantined as {}", mp.path, path, why, dst);
  return Status::OK();
}

// A pending marker means: the file may or may not have been renamed into place, and the LOM was
// not committed. The file at the marked path is adopted only if it holds the marked bytes.
Status resolvePending(Mountpath& mp, const std::string& key, std::string_view value,
                      IntegrityStats* stats, std::set<std::string>* keptLoms) {
  std::string bucket, name;
  auto marker = decodeLom(value);
  if (!splitKey(key, &bucket, &name) || !marker.ok() || marker->name != name) {
    log::warn("{}: dropping malformed pending marker", mp.path);
    return mp.db->del(key);
  }
  auto oldRaw = mp.db->get(lomKey(bucket, name));
  AIS_RETURN_IF_ERROR(oldRaw);
  std::optional<Lom> old;
  if (oldRaw->has_value()) {
    auto decoded = decodeLom(**oldRaw);
    if (decoded.ok()) old = std::move(decoded).value();
  }
  std::string path = objectFqn(mp.path, bucket, name, marker->hashedPath);
  if (!isRegularFile(path)) {
    log::info("{}: {}/{}: interrupted PUT never reached its file; dropped", mp.path, bucket, name);
    return mp.db->del(key);
  }
  auto digest = digestFile(path);
  AIS_RETURN_IF_ERROR(digest);
  bool oldAtPath = old && old->hashedPath == marker->hashedPath;
  bool isOld = oldAtPath && digest->size == old->size && digest->checksum == old->checksum;
  bool isNew = digest->size == marker->size && digest->checksum == marker->checksum;
  if (isOld && !isNew) {
    log::info("{}: {}/{}: interrupted PUT before rename; old version kept", mp.path, bucket, name);
    return mp.db->del(key);
  }
  if (!isNew) {
    // Neither the old nor the new bytes: damaged. Keep the LOM's view (the old one, if any).
    AIS_RETURN_IF_ERROR(quarantine(mp, path, "matches neither its old nor its new LOM", stats));
    keptLoms->insert(lomKey(bucket, name));  // reads as corrupted, not as absent
    return mp.db->del(key);
  }
  Lom lom = std::move(marker).value();
  lom.version = old ? old->version + 1 : 1;
  LomDb::Batch batch;
  batch.del(key);
  batch.putLom(bucket, lom, digest->blocks);
  AIS_RETURN_IF_ERROR(mp.db->write(batch));
  if (old && !oldAtPath) {
    ::unlink(objectFqn(mp.path, bucket, name, old->hashedPath).c_str());
  }
  log::info("{}: {}/{}: interrupted PUT completed (version {})", mp.path, bucket, name,
            lom.version);
  return Status::OK();
}

// Work files of unfinished PUTs and trees of destroyed buckets.
Status removeLeftovers(Mountpath& mp) {
  std::string root = mp.path + "/@ais";
  DIR* dir = ::opendir(root.c_str());
  if (!dir) return errno == ENOENT ? Status::OK() : ioError("opendir", root, errno);
  std::vector<std::string> victims;
  while (dirent* e = ::readdir(dir)) {
    std::string entry = e->d_name;
    if (entry == "." || entry == "..") continue;
    if (entry.rfind(".trash.", 0) == 0) {
      victims.push_back(root + "/" + entry);
    } else {
      victims.push_back(workDir(mp.path, entry));
      victims.push_back(bucketDir(mp.path, entry) + "/%pw");  // files made ahead (prepared_files.h)
    }
  }
  ::closedir(dir);
  size_t removed = 0;
  for (const auto& v : victims) {
    std::error_code ec;
    bool trash = v.rfind(root + "/.trash.", 0) == 0;
    for (auto it = std::filesystem::directory_iterator(v, ec);
         !trash && !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      removed += std::filesystem::remove_all(it->path(), ec);
    }
    if (trash) std::filesystem::remove_all(v, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) return ioError("remove", v, ec.value());
    if (trash) log::info("{}: removed {}", mp.path, v);
  }
  if (removed > 0) log::info("{}: removed {} work files of interrupted PUTs", mp.path, removed);
  return Status::OK();
}

// A LOM whose file vanished is the source of an interrupted same-mountpath rename (or a lost
// file): dropped, loudly. A file whose size contradicts its LOM is quarantined, the LOM kept: the
// object then reads as corrupted (never as the wrong bytes).
Status checkLoms(Mountpath& mp, IntegrityStats* stats, const std::set<std::string>& keptLoms) {
  LomDb::Batch batch;
  size_t dropped = 0, checked = 0;
  std::vector<std::string> damaged;
  std::string begin(1, kFirstLomKey);
  // One stat per object: minutes for millions of cold ones. Progress is logged so that whoever
  // waits (tools/dev, an operator) sees a node at work rather than a hung one.
  auto started = std::chrono::steady_clock::now();
  auto reported = started;
  AIS_RETURN_IF_ERROR(mp.db->scan(begin, "", [&](std::string_view key, std::string_view value) {
    if (++checked % 4096 == 0 && std::chrono::steady_clock::now() - reported > 5s) {
      reported = std::chrono::steady_clock::now();
      log::info("{}: start-up check: {} objects checked against their files so far", mp.path,
                checked);
    }
    std::string bucket, name;
    auto lom = decodeLom(value);
    if (!splitKey(key, &bucket, &name)) {
      log::error("{}: dropping a LOM entry with a malformed key", mp.path);
      batch.del(std::string(key));
      ++dropped;
      return true;
    }
    if (!lom.ok() || lom->name != name) {
      // Kept: the object stays listed and reads as corrupted until it is overwritten or
      // deleted (dropping it would make it vanish without a trace).
      log::error("{}: ais://{}/{}: damaged LOM kept (reads answer ObjectCorrupted)", mp.path,
                 bucket, name);
      return true;
    }
    std::string path = objectFqn(mp.path, bucket, name, lom->hashedPath);
    struct stat st;
    bool present = ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    if (!present && keptLoms.count(std::string(key))) return true;
    if (!present) {
      log::warn("{}: {}/{}: file missing; LOM dropped", mp.path, bucket, name);
      batch.del(std::string(key));
      if (lom->hasBlocksKey()) batch.del(blocksKey(bucket, name));
      ++dropped;
      return true;
    }
    if (static_cast<uint64_t>(st.st_size) != lom->size) damaged.push_back(path);
    return true;
  }));
  for (const auto& path : damaged) {
    AIS_RETURN_IF_ERROR(quarantine(mp, path, "size differs from its LOM", stats));
  }
  stats->lomsDropped += dropped;
  if (dropped > 0) AIS_RETURN_IF_ERROR(mp.db->write(batch));
  if (reported != started) {
    log::info(
        "{}: start-up check: {} objects checked in {} s", mp.path, checked,
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count());
  }
  return Status::OK();
}

}  // namespace

Status reconcile(Mountpath& mp, IntegrityStats* stats) {
  if (mp.faulted) {
    log::error("{}: read-only file system, crash recovery postponed", mp.path);
    return Status::OK();
  }
  if (mp.db->readOnly()) {
    // (a full disk: nothing can be recorded; a PUT a crash left half done keeps its old LOM,
    // whose checksums its new bytes then fail, so they are refused, never served)
    log::error("{}: read-only, crash recovery postponed to a start with free space", mp.path);
    return removeLeftovers(mp);  // (work files: frees what it can)
  }
  std::vector<std::pair<std::string, std::string>> pending;
  std::string begin(1, kPendingPrefix), end(1, kBlocksPrefix);
  AIS_RETURN_IF_ERROR(mp.db->scan(begin, end, [&](std::string_view k, std::string_view v) {
    pending.emplace_back(k, v);
    return true;
  }));
  std::set<std::string> keptLoms;
  for (const auto& [key, value] : pending) {
    AIS_RETURN_IF_ERROR(resolvePending(mp, key, value, stats, &keptLoms));
  }
  AIS_RETURN_IF_ERROR(removeLeftovers(mp));
  return checkLoms(mp, stats, keptLoms);
}

Status rebuildLoms(Mountpath& mp, IntegrityStats* stats) {
  std::string root = mp.path + "/@ais";
  std::error_code ec;
  if (!std::filesystem::exists(root, ec)) return Status::OK();
  log::error(
      "{}: rebuilding the LOM database from the object files (checksums recomputed; "
      "versions restart at 1, custom metadata is lost)",
      mp.path);
  AIS_RETURN_IF_ERROR(mp.db->put(kRebuildMarkerKey, "1", true));
  std::vector<std::string> buckets;
  for (auto it = std::filesystem::directory_iterator(root, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string b = it->path().filename().string();
    if (b.rfind(".trash.", 0) != 0) buckets.push_back(b);
  }
  if (ec) return ioError("readdir", root, ec.value());
  for (const auto& bucket : buckets) {
    std::string obDir = objectDir(mp.path, bucket);
    std::vector<std::string> files;
    for (auto it = std::filesystem::recursive_directory_iterator(obDir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    for (const auto& path : files) {
      Lom lom;
      lom.name = path.substr(obDir.size() + 1);
      struct stat st;
      if (!validateNames(bucket, lom.name).ok() || ::stat(path.c_str(), &st) != 0) {
        AIS_RETURN_IF_ERROR(quarantine(mp, path, "not a valid object path", stats));
        continue;
      }
      auto digest = digestFile(path);
      AIS_RETURN_IF_ERROR(digest);
      lom.size = digest->size;
      lom.checksum = digest->checksum;
      // The bucket's type is not known here: the XXH64 recomputed from the bytes stands in.
      lom.checksumValue = fmt::format("{:016x}", lom.checksum);
      lom.version = 1;
      lom.mtimeNs = lom.atimeNs =
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      LomDb::Batch batch;
      batch.putLom(bucket, lom, digest->blocks);
      AIS_RETURN_IF_ERROR(mp.db->write(batch));
      ++stats->lomsRebuilt;
    }
    // Objects stored by hash keep their names only in the lost database.
    std::string hsDir = hashDir(mp.path, bucket);
    std::vector<std::string> hashed;
    for (auto it = std::filesystem::directory_iterator(hsDir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      hashed.push_back(it->path().string());
    }
    for (const auto& path : hashed) {
      AIS_RETURN_IF_ERROR(
          quarantine(mp, path, "stored by hash, its name was in the lost LOM database", stats));
    }
  }
  AIS_RETURN_IF_ERROR(mp.db->del(kRebuildMarkerKey, true));
  log::error("{}: LOM database rebuilt: {} objects recovered, {} files quarantined", mp.path,
             stats->lomsRebuilt, stats->quarantined);
  return Status::OK();
}

}  // namespace ais::store
