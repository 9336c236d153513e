#include "node/store/mountpath.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "common/log.h"
#include "meta/hrw.h"
#include "node/store/fs.h"

namespace ais::store {

Result<std::string> normalizeMountpath(const std::string& path) {
  if (path.empty()) return Status(Code::kInvalidArgument, "empty mountpath");
  AIS_RETURN_IF_ERROR(makeDirs(path));
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  if (ec) return ioError("realpath", path, ec.value());
  return canonical.string();
}

namespace {

// Whether a file can be made in dir: a file system the kernel stopped after an error (ext4's
// errors=remount-ro, or its emergency_ro, which the mount options do not show) refuses it.
bool writable(const std::string& dir) {
  std::string probe = dir + "/.ais.probe." + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno != EROFS && errno != EIO;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

// The damaged database is kept (renamed) for a post-mortem; a new one is built from the files.
Status moveLomDbAside(const std::string& mpPath, const std::string& why) {
  const std::string dbDir = mpPath + "/.ais.lomdb";
  const std::string aside = dbDir + ".damaged." + std::to_string(::time(nullptr));
  log::error("{}: {}; moving it to {} and rebuilding", mpPath, why, aside);
  std::error_code ec;
  std::filesystem::rename(dbDir, aside, ec);
  if (ec) return ioError("rename", dbDir, ec.value());
  return Status::OK();
}

}  // namespace

Status heldByFailed(const Mountpath& mp, std::string_view bucket, std::string_view name,
                    std::string_view refused) {
  return Status(Code::kIoError,
                fmt::format("ais://{}/{} is on mountpath {}, which failed: it can be read, not "
                            "{}, until its disk is repaired",
                            bucket, name, mp.path, refused));
}

bool noteWriteFault(Mountpath& mp, int err) {
  if (mp.faulted.load()) return true;
  if (err != EROFS && err != EIO) return false;
  bool readOnly = !writable(mp.path);
  if (!readOnly && err != EIO) return false;
  if (!mp.faulted.exchange(true)) {
    mp.enabled = false;
    log::error(
        "mountpath {} failed ({}): {}; no new object goes there, its objects are still "
        "read (repair its disk, then restart the target)",
        mp.path, std::strerror(err), readOnly ? "its file system is read-only" : "an I/O error");
  }
  return true;
}

Result<std::unique_ptr<Mountpath>> openAndRecover(const std::string& path, IntegrityStats* found) {
  auto mp = openMountpath(path);
  AIS_RETURN_IF_ERROR(mp);
  Status recovered = reconcile(**mp, found);
  if (!recovered.ok() && (*mp)->db->damaged() && !(*mp)->db->readOnly()) {
    // Reconciliation reads every LOM: blocks that fail RocksDB's checksums make the database as
    // unreadable as one that does not open.
    std::string where = (*mp)->path;
    mp->reset();  // (closed before it is moved)
    AIS_RETURN_IF_ERROR(
        moveLomDbAside(where, "the LOM database is damaged (" + recovered.toString() + ")"));
    mp = openMountpath(where);
    AIS_RETURN_IF_ERROR(mp);
    recovered = reconcile(**mp, found);
  }
  AIS_RETURN_IF_ERROR(recovered);
  if ((*mp)->lomDbLost) AIS_RETURN_IF_ERROR(rebuildLoms(**mp, found));
  return mp;
}

Result<std::unique_ptr<Mountpath>> openMountpath(const std::string& path) {
  auto normalized = normalizeMountpath(path);
  AIS_RETURN_IF_ERROR(normalized);
  auto mp = std::make_unique<Mountpath>();
  mp->path = std::move(normalized).value();
  mp->digest = meta::xxhash64(mp->path);
  mp->space = std::make_unique<SpaceReserve>(mp->path);
  std::string dbDir = mp->path + "/.ais.lomdb";
  std::error_code ec;
  bool hadDb = std::filesystem::exists(dbDir + "/CURRENT", ec);
  bool hasObjects = std::filesystem::exists(mp->path + "/@ais", ec);
  // (The database may live on a file system of its own, which can fail alone.)
  if (hadDb && (!writable(mp->path) || !writable(dbDir))) {
    // A file system the kernel made read-only after an error (or mounted so): serve what it
    // holds, place nothing new there; the rest of the target works as before.
    log::error(
        "{}: the file system is read-only; its objects are read, no new object goes "
        "there (repair its disk, then restart the target)",
        mp->path);
    mp->faulted = true;
    mp->enabled = false;
    auto ro = LomDb::open(dbDir, /*readOnly=*/true);
    AIS_RETURN_IF_ERROR(ro);
    mp->db = std::move(ro).value();
    return mp;
  }
  auto db = LomDb::open(dbDir);
  if (!db.ok() && hadDb && db.code() == Code::kOutOfSpace) {
    // A full disk is not a damaged database: open it without writing, serve what it holds, and
    // refuse writes here until a restart finds space.
    log::error(
        "{}: the disk is full ({}); the mountpath is read-only until the target restarts "
        "with free space on it",
        mp->path, db.status().toString());
    db = LomDb::open(dbDir, /*readOnly=*/true);
  }
  if (!db.ok() && hadDb) {
    AIS_RETURN_IF_ERROR(
        moveLomDbAside(mp->path, "cannot open the LOM database (" + db.status().toString() + ")"));
    db = LomDb::open(dbDir);
    hadDb = false;
  }
  AIS_RETURN_IF_ERROR(db);
  mp->createdDb = !hadDb;
  mp->enabled = !std::filesystem::exists(mp->path + "/" + kDisabledMarker, ec);
  if (!hadDb && hasObjects) {
    log::error("{}: the LOM database is missing but object files exist", mp->path);
    mp->lomDbLost = true;
  }
  auto unfinished = (*db)->get(kRebuildMarkerKey);
  AIS_RETURN_IF_ERROR(unfinished);
  if (unfinished->has_value()) mp->lomDbLost = true;  // a rebuild was interrupted: redo it
  mp->db = std::move(db).value();
  // (The database may sit on a disk of its own that fails alone.)
  mp->db->onIoFailure([m = mp.get()] { noteWriteFault(*m, EIO); });
  return mp;
}

}  // namespace ais::store
