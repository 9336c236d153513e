// Startup reconciliation of one mountpath after a crash (kill -9 at any instant). Invariant it
// restores: every LOM describes the bytes of an existing file, and no work file or trash remains.
#include <dirent.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "common/log.h"
#include "node/store/fqn.h"
#include "node/store/fs.h"
#include "node/store/lom.h"
#include "node/store/mountpath.h"

namespace ais::store {
namespace {

bool isRegularFile(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A pending marker means: the file may or may not have been renamed into place, and the LOM was
// not committed. Whatever file is at the marked path now gets a LOM that matches its bytes.
Status resolvePending(Mountpath& mp, const std::string& key, std::string_view value) {
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
  if (oldAtPath && digest->size == old->size && digest->checksum == old->checksum &&
      (digest->size != marker->size || digest->checksum != marker->checksum)) {
    log::info("{}: {}/{}: interrupted PUT before rename; old version kept", mp.path, bucket, name);
    return mp.db->del(key);
  }
  Lom lom = std::move(marker).value();
  if (digest->size != lom.size || digest->checksum != lom.checksum) {
    log::warn("{}: {}/{}: file matches neither LOM; rebuilt from the file", mp.path, bucket, name);
    lom.size = digest->size;
    lom.checksum = digest->checksum;
  }
  lom.version = old ? old->version + 1 : 1;
  LomDb::Batch batch;
  batch.put(lomKey(bucket, name), encodeLom(lom));
  batch.del(key);
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

// LOMs whose file vanished (e.g. the source of an interrupted rename) are deleted; a size that
// disagrees with the file is corrected from the file.
Status checkLoms(Mountpath& mp) {
  LomDb::Batch batch;
  size_t dropped = 0, rebuilt = 0;
  Status err;
  std::string begin(1, static_cast<char>(kPendingPrefix + 1));
  AIS_RETURN_IF_ERROR(mp.db->scan(begin, "", [&](std::string_view key, std::string_view value) {
    std::string bucket, name;
    auto lom = decodeLom(value);
    if (!splitKey(key, &bucket, &name) || !lom.ok() || lom->name != name) {
      log::warn("{}: dropping malformed LOM entry", mp.path);
      batch.del(std::string(key));
      ++dropped;
      return true;
    }
    std::string path = objectFqn(mp.path, bucket, name, lom->hashedPath);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      log::warn("{}: {}/{}: file missing; LOM dropped", mp.path, bucket, name);
      batch.del(std::string(key));
      ++dropped;
      return true;
    }
    if (static_cast<uint64_t>(st.st_size) != lom->size) {
      auto digest = digestFile(path);
      if (!digest.ok()) {
        err = digest.status();
        return false;
      }
      log::warn("{}: {}/{}: size differs from LOM; rebuilt from the file", mp.path, bucket, name);
      lom->size = digest->size;
      lom->checksum = digest->checksum;
      batch.put(std::string(key), encodeLom(*lom));
      ++rebuilt;
    }
    return true;
  }));
  AIS_RETURN_IF_ERROR(err);
  if (dropped + rebuilt > 0) {
    log::info("{}: {} LOMs dropped, {} rebuilt", mp.path, dropped, rebuilt);
    AIS_RETURN_IF_ERROR(mp.db->write(batch));
  }
  return Status::OK();
}

}  // namespace

Status reconcile(Mountpath& mp) {
  std::vector<std::pair<std::string, std::string>> pending;
  std::string begin(1, kPendingPrefix), end(1, static_cast<char>(kPendingPrefix + 1));
  AIS_RETURN_IF_ERROR(mp.db->scan(begin, end, [&](std::string_view k, std::string_view v) {
    pending.emplace_back(k, v);
    return true;
  }));
  for (const auto& [key, value] : pending) AIS_RETURN_IF_ERROR(resolvePending(mp, key, value));
  AIS_RETURN_IF_ERROR(removeLeftovers(mp));
  return checkLoms(mp);
}

}  // namespace ais::store
