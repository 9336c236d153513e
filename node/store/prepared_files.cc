#include "node/store/prepared_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace ais::store {
namespace {

void markTopDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  int flags = 0;
  // (Other filesystems refuse or ignore the flag: only the placement differs.)
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_TOPDIR_FL;
    (void)::ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
  ::close(fd);
}

}  // namespace

PreparedFiles::PreparedFiles() : thread_([this] { run(); }) {}

PreparedFiles::~PreparedFiles() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::optional<std::string> PreparedFiles::take(const std::string& bucketDir) {
  std::string from;
  bool wake = false;
  {
    std::lock_guard l(mu_);
    auto it = dirs_.find(bucketDir);
    if (it == dirs_.end()) {
      if (dirs_.size() >= kMaxDirs) {
        auto oldest = dirs_.begin();
        for (auto d = dirs_.begin(); d != dirs_.end(); ++d) {
          if (d->second.used < oldest->second.used) oldest = d;
        }
        dropLocked(oldest);
      }
      it = dirs_.emplace(bucketDir, Dir{}).first;
    }
    it->second.used = Clock::now();
    if (!it->second.ready.empty()) {
      from = std::move(it->second.ready.front());
      it->second.ready.pop_front();
    }
    // The maker is woken at half depth, then fills the directory up: one wake-up per
    // kDepth / 2 PUTs, not one per PUT (each a hand-off that can preempt the PUT's worker).
    wake = it->second.ready.size() < kDepth / 2;
  }
  if (wake) cv_.notify_one();
  if (from.empty()) return std::nullopt;
  return from;
}

void PreparedFiles::forget(const std::string& root) {
  {
    std::lock_guard l(mu_);
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      auto next = std::next(it);
      if (it->first.starts_with(root + "/")) dropLocked(it);
      it = next;
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(root, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code ignored;
    std::filesystem::remove_all(it->path() / "%pw", ignored);
  }
}

void PreparedFiles::run() {
  // Below the I/O workers: the maker uses idle time, and yields to the PUTs it serves.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kNice);
  std::unique_lock l(mu_);
  while (!stop_) {
    auto now = Clock::now();
    auto wake = now + kIdle;
    std::string want;
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      if (now - it->second.used > kIdle) {
        auto next = std::next(it);
        dropLocked(it);
        it = next;
        continue;
      }
      if (it->second.ready.size() < kDepth) {
        if (it->second.retryAt > now) {
          wake = std::min(wake, it->second.retryAt);
        } else if (want.empty()) {
          want = it->first;
        }
      }
      ++it;
    }
    if (want.empty()) {
      cv_.wait_until(l, wake);
      continue;
    }
    l.unlock();
    std::string path;
    bool made = makeOne(want, &path);
    l.lock();
    auto it = dirs_.find(want);
    if (!made) {
      if (it != dirs_.end()) it->second.retryAt = Clock::now() + kRetry;
    } else if (it == dirs_.end()) {
      ::unlink(path.c_str());
    } else {
      Dir& d = it->second;
      std::string sub = std::filesystem::path(path).parent_path().string();
      d.ready.push_back(std::move(path));
      if (sub != d.subdir) {
        if (!d.subdir.empty()) d.retired.push_back(d.subdir);
        d.subdir = std::move(sub);
        std::vector<std::string> tries = d.retired;
        l.unlock();
        std::vector<std::string> gone;
        for (const auto& r : tries) {
          if (::rmdir(r.c_str()) == 0 || errno == ENOENT) gone.push_back(r);
        }
        l.lock();
        if (auto again = dirs_.find(want); again != dirs_.end()) {
          std::erase_if(again->second.retired, [&](const std::string& r) {
            return std::find(gone.begin(), gone.end(), r) != gone.end();
          });
        }
      }
    }
  }
}

bool PreparedFiles::makeOne(const std::string& bucketDir, std::string* path) {
  // A new subdirectory every kPerSubdir files. %pw is marked a top directory (ext4's TOPDIR), so
  // the filesystem spreads its subdirectories, and the inodes made in them, over its groups:
  // new files stay away from the group where this bucket's removed objects just freed theirs.
  const uint64_t seq = seq_++;
  std::string top = bucketDir + "/%pw";
  std::string dir = fmt::format("{}/{}.{}", top, ::getpid(), seq / kPerSubdir);
  *path = fmt::format("{}/{}", dir, seq % kPerSubdir);
  int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    // Never the bucket's directory itself: a destroyed bucket's is not made again here.
    if (::mkdir(top.c_str(), 0755) == 0) markTopDir(top);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
    fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

void PreparedFiles::dropLocked(std::unordered_map<std::string, Dir>::iterator it) {
  for (const auto& p : it->second.ready) ::unlink(p.c_str());
  // (Those a PUT still writes into stay, removed at the next start.)
  for (const auto& r : it->second.retired) ::rmdir(r.c_str());
  if (!it->second.subdir.empty()) ::rmdir(it->second.subdir.c_str());
  dirs_.erase(it);
}

}  // namespace ais::store
