#include "node/store/mountpath.h"

#include <filesystem>

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

Result<std::unique_ptr<Mountpath>> openMountpath(const std::string& path) {
  auto normalized = normalizeMountpath(path);
  AIS_RETURN_IF_ERROR(normalized);
  auto mp = std::make_unique<Mountpath>();
  mp->path = std::move(normalized).value();
  mp->digest = meta::xxhash64(mp->path);
  auto db = LomDb::open(mp->path + "/.ais.lomdb");
  AIS_RETURN_IF_ERROR(db);
  mp->db = std::move(db).value();
  return mp;
}

}  // namespace ais::store
