// A directory's mtime and ctime follow the entries created, removed and renamed in it (find
// -newer, make, rsync see directories change). This mount shows the new time at once; a thread
// writes it to the directory's marker (posix.mtime_ns, posix.ctime_ns) within about a second, one
// setCustom per directory however many entries changed, so other mounts and a remount see it
// too. A directory without a marker (objects put by other clients) keeps the time in this mount's
// memory only: no marker is made for it. An explicit utimens wins: it drops what is pending.
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"

namespace ais::fusefs {
namespace {

constexpr auto kWritePeriod = std::chrono::seconds(1);

std::string dirKey(const Inode& dir) { return dir.bucket() + '\0' + dir.name(); }

}  // namespace

void Fs::dirChanged(const Inode& dir) {
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::lock_guard l(dirTimesMu_);
  dirTimes_[dirKey(dir)] = now;
  if (dir.kind == Kind::kDir) dirTimesPending_.insert(dirKey(dir));  // (buckets have no marker)
}

int64_t Fs::dirChangedAt(const Inode& dir) {
  std::lock_guard l(dirTimesMu_);
  auto it = dirTimes_.find(dirKey(dir));
  return it == dirTimes_.end() ? 0 : it->second;
}

void Fs::forgetDirChanges(const Inode& dir) { forgetDirChanges(dir.bucket(), dir.name()); }

void Fs::forgetDirChanges(const std::string& bucket, const std::string& marker) {
  std::string key = bucket + '\0' + marker;
  std::lock_guard l(dirTimesMu_);
  dirTimes_.erase(key);
  dirTimesPending_.erase(key);
}

void Fs::startDirTimes() {
  dirTimesWriter_ = std::thread([this] {
    std::unique_lock l(dirTimesMu_);
    while (!stopDirTimes_) {
      dirTimesCv_.wait_for(l, kWritePeriod, [this] { return stopDirTimes_; });
      l.unlock();
      writeDirTimes();
      l.lock();
    }
  });
}

void Fs::stopDirTimes() {
  {
    std::lock_guard l(dirTimesMu_);
    if (stopDirTimes_) return;
    stopDirTimes_ = true;
  }
  dirTimesCv_.notify_all();
  if (dirTimesWriter_.joinable()) dirTimesWriter_.join();
  writeDirTimes();  // (what the last pass did not see)
}

void Fs::writeDirTimes() {
  std::set<std::string> keys;
  {
    std::lock_guard l(dirTimesMu_);
    keys.swap(dirTimesPending_);
  }
  for (const auto& key : keys) {
    size_t cut = key.find('\0');
    std::string bucket = key.substr(0, cut);
    std::string marker = key.substr(cut + 1);
    auto inode = inodes_.find(bucket, marker);
    std::unique_lock il = inode ? std::unique_lock(inode->mu) : std::unique_lock<std::mutex>();
    int64_t changed;
    {
      std::lock_guard l(dirTimesMu_);
      auto it = dirTimes_.find(key);
      if (it == dirTimes_.end()) continue;  // a utimens since: it wins
      changed = it->second;
    }
    std::map<std::string, std::string> times{{kKeyMtime, std::to_string(changed)},
                                             {kKeyCtime, std::to_string(changed)}};
    if (inode && (inode->kind != Kind::kDir || !inode->haveInfo)) continue;  // memory only
    // An entry made or removed moves the directory's mtime, not its atime, which was mtime's.
    if (auto atime = inode ? implicitAtime(inode->info) : std::nullopt) {
      times[kKeyAtime] = std::to_string(*atime);
    }
    // Only an existing marker is updated: a directory removed meanwhile (rm -rf) must not get
    // one back.
    auto updated = client_.setCustom(bucket, marker, times, true);
    if (!updated.ok()) {
      if (updated.code() != Code::kObjectNotFound) {
        log::warn("aisfs: directory mtime of ais://{}/{}: {}", bucket, marker,
                  updated.status().toString());
      }
      continue;
    }
    // The parent's listing shows the directory's times too (and its own listing's `self`): the
    // tokens this mount revalidates them with leave its own writes out.
    std::string path = marker.substr(0, marker.size() - 1);
    std::string prefix = parentPrefix(path);
    dirs_.upsert(
        bucket, prefix, path.substr(prefix.size()),
        DirEntry{.kind = Kind::kDir, .haveInfo = true, .hasMarker = true, .info = *updated});
    if (inode) {
      inode->info = std::move(*updated);
      inode->attrAt = Clock::now();
    }
  }
}

}  // namespace ais::fusefs
