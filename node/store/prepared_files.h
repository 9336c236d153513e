// Empty files made ahead of the PUTs that need them, per bucket directory, by a background
// thread: a PUT renames one into its work directory instead of creating its work file, so the
// filesystem's inode allocation is off the PUT's path. On an ext4 without a journal (this
// project's test VMs) that allocation scans past every inode freed in its group in the last five
// minutes, ~250 µs per create once a workload has removed a few thousand files, all of it on the
// path of a tar or git writing through aisfs.
//
// The files wait in <mp>/@ais/<bucket>/%pw (fqn.h); they are never objects: a restart removes
// them with the work files (reconcile.cc), a destroyed bucket's go with its tree.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace ais::store {

class PreparedFiles {
 public:
  PreparedFiles();
  ~PreparedFiles();  // stops the thread; files not taken stay until the next start
  PreparedFiles(const PreparedFiles&) = delete;
  PreparedFiles& operator=(const PreparedFiles&) = delete;

  // Moves a prepared empty file of bucketDir to `workPath` (its directory must exist); false if
  // none is ready (the caller creates its file as before). Either way more are made for it.
  bool take(const std::string& bucketDir, const std::string& workPath);
  // No more files under root (a mountpath's "<mp>/@ais", disabled or detached): those ready are
  // removed with their directories.
  void forget(const std::string& root);

  static constexpr size_t kDepth = 32;  // files kept ready per bucket directory
  static constexpr size_t kMaxDirs = 256;
  static constexpr uint64_t kPerSubdir = 1024;  // files made in one subdirectory of %pw
  // A directory not asked for this long gets no more files (those ready are removed).
  static constexpr auto kIdle = std::chrono::seconds(60);
  static constexpr auto kRetry = std::chrono::milliseconds(200);

 private:
  using Clock = std::chrono::steady_clock;
  struct Dir {
    std::deque<std::string> ready;  // paths of empty files
    Clock::time_point used{};
    Clock::time_point retryAt{};  // after a failed make (no bucket directory yet, or any more)
  };
  void run();
  // One more file for dir (unlocked); false if it cannot be made (the bucket is gone).
  bool makeOne(const std::string& bucketDir, std::string* path);
  void dropLocked(std::unordered_map<std::string, Dir>::iterator it);

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Dir> dirs_;
  bool stop_ = false;
  uint64_t seq_ = 0;
  std::thread thread_;
};

}  // namespace ais::store
