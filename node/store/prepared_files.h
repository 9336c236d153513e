// Empty files made ahead of the PUTs that need them, per bucket directory, by a background
// thread: a PUT writes into one as its work file instead of creating that, so the filesystem's
// inode allocation is off the PUT's path. On an ext4 without a journal (this
// project's test VMs) that allocation scans past every inode freed in its group in the last five
// minutes, ~250 µs per create once a workload has removed a few thousand files, all of it on the
// path of a tar or git writing through aisfs.
//
// The files wait in <mp>/@ais/<bucket>/%pw (fqn.h), and stay there as work files until renamed
// into place; they are never objects: a restart removes them with the work files in %wk
// (reconcile.cc), a destroyed bucket's go with its tree.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ais::store {

class PreparedFiles {
 public:
  PreparedFiles();
  ~PreparedFiles();  // stops the thread; files not taken stay until the next start
  PreparedFiles(const PreparedFiles&) = delete;
  PreparedFiles& operator=(const PreparedFiles&) = delete;

  // The path of a prepared empty file of bucketDir, the caller's from now on: its PUT's work file
  // where it is, in %pw (a rename into %wk would cost as much again); nullopt if none is ready
  // (the caller creates its work file as before). Fewer than kDepth / 2 left: the maker fills
  // the directory up again.
  std::optional<std::string> take(const std::string& bucketDir);
  // No more files under root (a mountpath's "<mp>/@ais", disabled or detached): those ready are
  // removed with their directories.
  void forget(const std::string& root);

  static constexpr size_t kDepth = 32;  // files kept ready per bucket directory
  static constexpr size_t kMaxDirs = 256;
  static constexpr uint64_t kPerSubdir = 1024;  // files made in one subdirectory of %pw
  // A directory not asked for this long gets no more files (those ready are removed).
  static constexpr auto kIdle = std::chrono::seconds(60);
  static constexpr auto kRetry = std::chrono::milliseconds(200);
  static constexpr int kNice = 10;  // the maker thread's (setpriority of its own tid)

 private:
  using Clock = std::chrono::steady_clock;
  struct Dir {
    std::deque<std::string> ready;  // paths of empty files
    Clock::time_point used{};
    Clock::time_point retryAt{};  // after a failed make (no bucket directory yet, or any more)
    std::string subdir;           // where its files are made now
    // Subdirectories it made files in before, removed once empty: their last files may still
    // wait in `ready`, or be a PUT's work file (a long stream), so each switch to a new one
    // tries them all again; what is left at a restart goes with %pw.
    std::vector<std::string> retired;
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
