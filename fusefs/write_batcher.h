// Write-behind of small files (--batch-writes): a flush (close) of a file held whole in memory
// queues it instead of storing it; a thread stores what is queued together, one Client::putBatch
// per bucket, within the window (or at once when a batch is full, and at unmount). While a batch
// is stored its inodes' locks are held, so fsync, rename, unlink or a truncate of a queued file
// either comes first (and stores it itself: the batcher then skips it) or after (and sees it
// stored). A file that failed keeps the error for its next flush/fsync/close.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "fusefs/inode_table.h"

namespace ais::fusefs {

class Fs;

class WriteBatcher {
 public:
  static constexpr size_t kMaxFiles = 128;
  static constexpr uint64_t kMaxBytes = 4 << 20;
  // The largest file a flush queues (larger ones are streamed, not held in memory).
  static constexpr uint64_t kMaxFileBytes = 1 << 20;

  WriteBatcher(Fs& fs, std::chrono::milliseconds window);
  ~WriteBatcher();  // stop()
  // inode.mu held; inode.ws->queued set by the caller.
  void add(std::shared_ptr<Inode> inode, uint64_t bytes);
  // Stores everything queued, then ends the thread (unmount).
  void stop();

 private:
  void run();
  void storeBatch(std::vector<std::shared_ptr<Inode>> batch);

  Fs& fs_;
  const std::chrono::milliseconds window_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::shared_ptr<Inode>, uint64_t>> queue_;  // with its bytes
  uint64_t queuedBytes_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ais::fusefs
