// Scrub (ais storage validate): reads every object of a bucket on one mountpath and verifies it
// block by block, and finds object files that no LOM describes.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "common/log.h"
#include "meta/names.h"
#include "node/store/fqn.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

void note(std::vector<std::string>& list, uint64_t& count, std::string item) {
  ++count;
  if (list.size() < ValidateReport::kMaxReportedNames) list.push_back(std::move(item));
}

}  // namespace

Result<ValidateReport> Store::validate(size_t index, std::string_view bucket,
                                       ScrubCounters* progress) {
  AIS_RETURN_IF_ERROR(validateBucket(bucket));
  if (index >= mps_.size()) return Status(Code::kInvalidArgument, "no such mountpath");
  Mountpath& mp = *mps_[index];
  ValidateReport report;
  std::set<std::string> directNames, hashedLeaves;  // what the LOMs reference

  // Names first (a snapshot), then each object opened and verified under its own lock.
  std::vector<std::string> names;
  AIS_RETURN_IF_ERROR(mp.db->scan(bucketKeyBegin(bucket), bucketKeyEnd(bucket),
                                  [&](std::string_view key, std::string_view value) {
                                    std::string b, name;
                                    if (!splitKey(key, &b, &name)) return true;
                                    auto lom = decodeLom(value);
                                    if (lom.ok() && lom->hashedPath) {
                                      hashedLeaves.insert(hashedLeaf(name));
                                    } else {
                                      directNames.insert(name);
                                    }
                                    names.push_back(std::move(name));
                                    return true;
                                  }));
  ScrubCounters unused;
  ScrubCounters& live = progress ? *progress : unused;  // shared by the mountpaths of one scrub
  for (const auto& name : names) {
    if (live.stopRequested && live.stopRequested()) {
      return Status(Code::kInternal, "validate ais://" + std::string(bucket) + " stopped");
    }
    // This mountpath's copy, whichever it is (main or mirror).
    Result<std::unique_ptr<ObjectReader>> rd = Status(Code::kInternal);
    {
      std::lock_guard lock(lockFor(bucket, name));
      rd = openAtLocked(index, bucket, name);
    }
    // A damaged copy is rewritten from an intact one, if the object has one elsewhere.
    auto repaired = [&] {
      if (mps_.size() < 2) return false;
      auto fixed = syncCopies(bucket, name);
      if (!fixed.ok()) return false;
      log::warn("{}: validate: ais://{}/{} was damaged here; repaired from another copy", mp.path,
                bucket, name);
      note(report.repaired, report.repairedCount, name);
      return true;
    };
    if (!rd.ok()) {
      if (rd.code() == Code::kObjectNotFound) continue;  // removed meanwhile
      if (rd.code() != Code::kObjectCorrupted) {
        note(report.errors, report.errorCount, name + ": " + rd.status().toString());
        continue;
      }
      auto lom = readLom(mp, bucket, name);
      struct stat st;
      bool gone = lom.ok() && lom->has_value() &&
                  ::stat(objectFqn(mp.path, bucket, name, (*lom)->hashedPath).c_str(), &st) != 0;
      ++report.objects;
      live.objects.fetch_add(1, std::memory_order_relaxed);
      if (repaired()) continue;
      if (gone) {
        note(report.missing, report.missingCount, name);
      } else {
        note(report.corrupt, report.corruptCount, name);
      }
      live.damaged.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    ++report.objects;
    report.bytes += (*rd)->lom().size;
    Status st = (*rd)->verifyAll();
    live.objects.fetch_add(1, std::memory_order_relaxed);
    live.bytes.fetch_add((*rd)->lom().size, std::memory_order_relaxed);
    rd->reset();
    if (st.code() == Code::kObjectCorrupted && repaired()) continue;
    if (st.code() == Code::kObjectCorrupted) {
      live.damaged.fetch_add(1, std::memory_order_relaxed);
      note(report.corrupt, report.corruptCount, name);
    } else if (!st.ok()) {
      note(report.errors, report.errorCount, name + ": " + st.toString());
    }
  }

  // Orphans: files under %ob and %hs that no LOM of this mountpath names.
  std::error_code ec;
  std::string obDir = objectDir(mp.path, bucket);
  for (auto it = std::filesystem::recursive_directory_iterator(obDir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = it->path().string().substr(obDir.size() + 1);
    // Re-checked: a PUT may have committed it after the names were taken.
    auto lom = directNames.count(rel) ? Result<Lom>(Lom{}) : head(bucket, rel);
    if (!lom.ok() || lom->hashedPath) {
      note(report.orphaned, report.orphanedCount, it->path().string().substr(mp.path.size() + 1));
    }
  }
  ec.clear();
  std::string hsDir = hashDir(mp.path, bucket);
  std::vector<std::string> unnamed;
  for (auto it = std::filesystem::directory_iterator(hsDir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!hashedLeaves.count(it->path().filename().string())) unnamed.push_back(it->path().string());
  }
  if (!unnamed.empty()) {  // re-checked against the LOMs as they are now
    hashedLeaves.clear();
    AIS_RETURN_IF_ERROR(mp.db->scan(bucketKeyBegin(bucket), bucketKeyEnd(bucket),
                                    [&](std::string_view key, std::string_view value) {
                                      std::string b, name;
                                      auto lom = decodeLom(value);
                                      if (splitKey(key, &b, &name) && lom.ok() && lom->hashedPath) {
                                        hashedLeaves.insert(hashedLeaf(name));
                                      }
                                      return true;
                                    }));
    for (const auto& path : unnamed) {
      if (hashedLeaves.count(std::filesystem::path(path).filename().string())) continue;
      note(report.orphaned, report.orphanedCount, path.substr(mp.path.size() + 1));
    }
  }
  orphans_.fetch_add(report.orphanedCount, std::memory_order_relaxed);
  if (report.corruptCount + report.missingCount + report.orphanedCount > 0) {
    log::error("{}: validate ais://{}: {} objects, {} corrupt, {} missing, {} orphaned files",
               mp.path, bucket, report.objects, report.corruptCount, report.missingCount,
               report.orphanedCount);
  }
  return report;
}

}  // namespace ais::store
