#include "node/store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/log.h"
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
  for (const auto& path : normalizedPaths) {
    auto mp = openMountpath(path);
    AIS_RETURN_IF_ERROR(mp);
    AIS_RETURN_IF_ERROR(reconcile(**mp));
    mps.push_back(std::move(mp).value());
  }
  return std::unique_ptr<Store>(new Store(std::move(mps)));
}

Store::Store(std::vector<std::unique_ptr<Mountpath>> mps) : mps_(std::move(mps)) {
  for (const auto& mp : mps_) digests_.push_back(mp->digest);
}

Store::~Store() = default;

Mountpath& Store::mountpathFor(std::string_view bucket, std::string_view name) const {
  return *mps_[meta::hrwSelect(meta::xxhash64(meta::uname(bucket, name)), digests_)];
}

const std::string& Store::mountpathOf(std::string_view bucket, std::string_view name) const {
  return mountpathFor(bucket, name).path;
}

std::vector<std::string> Store::mountpaths() const {
  std::vector<std::string> out;
  for (const auto& mp : mps_) out.push_back(mp->path);
  return out;
}

std::mutex& Store::lockFor(std::string_view bucket, std::string_view name) {
  return locks_.forHash(meta::xxhash64(meta::uname(bucket, name)));
}

Result<std::optional<Lom>> Store::readLom(Mountpath& mp, std::string_view bucket,
                                          std::string_view name) {
  auto raw = mp.db->get(lomKey(bucket, name));
  AIS_RETURN_IF_ERROR(raw);
  if (!raw->has_value()) return std::optional<Lom>();
  auto lom = decodeLom(**raw);
  if (!lom.ok()) {
    return Status(Code::kInternal,
                  fmt::format("{} {}/{}: {}", mp.path, bucket, name, lom.status().message()));
  }
  return std::optional<Lom>(std::move(lom).value());
}

Result<std::unique_ptr<ObjectReader>> Store::openObject(std::string_view bucket,
                                                        std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Mountpath& mp = mountpathFor(bucket, name);
  auto notFound = [&] { return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name)); };
  // LOM and fd under the name lock: a concurrent overwrite renames a new inode into place and
  // commits its LOM under the same lock, so the pair we take describes the same bytes.
  std::lock_guard lock(lockFor(bucket, name));
  auto lom = readLom(mp, bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return notFound();
  std::string path = objectFqn(mp.path, bucket, name, (*lom)->hashedPath);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return notFound();
    return ioError("open", path, errno);
  }
  auto reader = std::make_unique<ObjectReader>(std::move(**lom), fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ioError("fstat", path, errno);
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != reader->lom().size) {
    // Never serve bytes the LOM does not describe.
    log::error("{}: size {} differs from LOM size {}", path, st.st_size, reader->lom().size);
    return Status(Code::kIoError, path + ": file does not match its LOM");
  }
  return reader;
}

Result<Lom> Store::head(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  auto lom = readLom(mountpathFor(bucket, name), bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  return std::move(**lom);
}

Result<std::string> Store::fqn(std::string_view bucket, std::string_view name) {
  auto lom = head(bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  return objectFqn(mountpathFor(bucket, name).path, bucket, name, lom->hashedPath);
}

Status Store::removeLocked(Mountpath& mp, std::string_view bucket, const Lom& lom) {
  // LOM first: a crash in between leaves an invisible orphan file, never a LOM without bytes.
  AIS_RETURN_IF_ERROR(mp.db->del(lomKey(bucket, lom.name)));
  std::string path = objectFqn(mp.path, bucket, lom.name, lom.hashedPath);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ioError("unlink", path, errno);
  if (!lom.hashedPath) removeEmptyParents(parentDir(path), objectDir(mp.path, bucket));
  return Status::OK();
}

Status Store::remove(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Mountpath& mp = mountpathFor(bucket, name);
  std::lock_guard lock(lockFor(bucket, name));
  auto lom = readLom(mp, bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  return removeLocked(mp, bucket, **lom);
}

Result<Lom> Store::setCustom(std::string_view bucket, std::string_view name,
                             std::map<std::string, std::string> custom) {
  AIS_RETURN_IF_ERROR(validateNames(bucket, name));
  Mountpath& mp = mountpathFor(bucket, name);
  std::lock_guard lock(lockFor(bucket, name));
  auto lom = readLom(mp, bucket, name);
  AIS_RETURN_IF_ERROR(lom);
  if (!lom->has_value()) return Status(Code::kObjectNotFound, fmt::format("{}/{}", bucket, name));
  (*lom)->custom = std::move(custom);
  AIS_RETURN_IF_ERROR(mp.db->put(lomKey(bucket, name), encodeLom(**lom)));
  return std::move(**lom);
}

Result<std::vector<Lom>> Store::list(std::string_view bucket, std::string_view prefix,
                                     std::string_view startAfter, size_t limit) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  std::vector<Lom> out;
  if (limit == 0) return out;
  std::string keyPrefix = lomKey(bucket, prefix);
  std::string after = lomKey(bucket, startAfter);
  std::string begin = std::max(keyPrefix, after);
  // Each mountpath contributes at most `limit` names; the merged first `limit` are exact.
  for (const auto& mp : mps_) {
    size_t taken = 0;
    Status decodeError;
    AIS_RETURN_IF_ERROR(mp->db->scan(
        begin, bucketKeyEnd(bucket), [&](std::string_view key, std::string_view value) {
          if (key.substr(0, keyPrefix.size()) != keyPrefix) return false;
          if (key == after) return true;
          auto lom = decodeLom(value);
          if (!lom.ok()) {
            decodeError = Status(Code::kInternal, mp->path + ": " + lom.status().message());
            return false;
          }
          out.push_back(std::move(lom).value());
          return ++taken < limit;
        }));
    AIS_RETURN_IF_ERROR(decodeError);
  }
  std::sort(out.begin(), out.end(), [](const Lom& a, const Lom& b) { return a.name < b.name; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<bool> Store::bucketEmpty(std::string_view bucket) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
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
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  for (const auto& mp : mps_) {
    // Move the tree aside first (atomic), so a crash leaves either the whole bucket or trash that
    // reconciliation removes, plus LOMs whose files are gone (also removed there).
    std::string dir = bucketDir(mp->path, bucket);
    std::string trash =
        fmt::format("{}/@ais/.trash.{}.{}.{}", mp->path, bucket, ::getpid(), workSeq_.fetch_add(1));
    bool moved = ::rename(dir.c_str(), trash.c_str()) == 0;
    if (!moved && errno != ENOENT) return ioError("rename", dir, errno);
    AIS_RETURN_IF_ERROR(mp->db->deleteRange(bucketKeyBegin(bucket), bucketKeyEnd(bucket)));
    std::string pend(1, kPendingPrefix);
    AIS_RETURN_IF_ERROR(
        mp->db->deleteRange(pend + bucketKeyBegin(bucket), pend + bucketKeyEnd(bucket)));
    if (moved) {
      std::error_code ec;
      std::filesystem::remove_all(trash, ec);
      if (ec) return ioError("remove", trash, ec.value());
    }
  }
  return Status::OK();
}

uint64_t Store::objectCount() const {
  uint64_t n = 0;
  for (const auto& mp : mps_) n += mp->db->estimateKeys();
  return n;
}

Result<Capacity> Store::capacity() const {
  Capacity cap;
  std::set<dev_t> devices;  // several mountpaths on one filesystem count once
  for (const auto& mp : mps_) {
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
