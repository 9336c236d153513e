#include "fusefs/write_batcher.h"

#include <algorithm>
#include <map>

#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {

WriteBatcher::WriteBatcher(Fs& fs, std::chrono::milliseconds window)
    : fs_(fs), window_(window), thread_([this] { run(); }) {}

WriteBatcher::~WriteBatcher() { stop(); }

void WriteBatcher::add(std::shared_ptr<Inode> inode, uint64_t bytes) {
  {
    std::lock_guard l(mu_);
    queue_.emplace_back(std::move(inode), bytes);
    queuedBytes_ += bytes;
  }
  cv_.notify_one();
}

void WriteBatcher::stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WriteBatcher::run() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // The first queued file waits at most the window for company.
    auto deadline = std::chrono::steady_clock::now() + window_;
    cv_.wait_until(l, deadline, [&] {
      return stopping_ || queue_.size() >= kMaxFiles || queuedBytes_ >= kMaxBytes;
    });
    std::vector<std::shared_ptr<Inode>> batch;
    uint64_t bytes = 0;
    while (!queue_.empty() && batch.size() < kMaxFiles && bytes < kMaxBytes) {
      bytes += queue_.front().second;
      queuedBytes_ -= queue_.front().second;
      batch.push_back(std::move(queue_.front().first));
      queue_.pop_front();
    }
    l.unlock();
    storeBatch(std::move(batch));
    l.lock();
  }
}

void WriteBatcher::storeBatch(std::vector<std::shared_ptr<Inode>> batch) {
  // Inode locks in inode-number order (no other path holds two inode locks at once).
  std::sort(batch.begin(), batch.end(), [](auto& a, auto& b) { return a->ino < b->ino; });
  batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
  std::vector<std::unique_lock<std::mutex>> held;
  for (auto& inode : batch) held.emplace_back(inode->mu);

  struct Pending {
    Inode* inode;
    BatchPut put;
  };
  std::map<std::string, std::vector<Pending>> byBucket;
  for (auto& inode : batch) {
    WriteState* ws = inode->ws.get();
    if (!ws || !ws->queued) continue;  // stored, dropped or removed meanwhile
    if (inode->openCount > 0) {
      // Opened again: its next flush (or last release) stores it, with what it has by then.
      ws->queued = false;
      inode->writeBehind = false;
      continue;
    }
    if (!fs_.batchableLocked(*inode)) {
      // Changed since it was queued (spooled, unlinked...): the usual store.
      Status st = fs_.storeLocked(*inode);
      if (!st.ok()) {
        log::warn("aisfs: store ais://{}/{}: {}", inode->bucket(), inode->name(), st.toString());
      }
      continue;
    }
    byBucket[inode->bucket()].push_back(
        {inode.get(), BatchPut{inode->name(), ws->buf, PutOptions{.custom = inode->info.custom}}});
  }
  for (auto& [bucket, pending] : byBucket) {
    std::vector<BatchPut> puts;
    puts.reserve(pending.size());
    for (auto& p : pending) puts.push_back(p.put);
    auto results = fs_.client_.putBatch(bucket, puts);
    for (size_t i = 0; i < pending.size(); ++i) {
      Inode& inode = *pending[i].inode;
      inode.ws->queued = false;
      if (!results[i].ok()) {
        inode.writeBehind = false;
        // Returned by the file's next flush, fsync or close on this mount (which drops the
        // bytes); until then this mount still shows the unstored file, as a local filesystem
        // shows pages whose write-back failed.
        log::warn("aisfs: store ais://{}/{}: {}", bucket, inode.name(),
                  results[i].status().toString());
        inode.ws->error = results[i].status();
        continue;
      }
      fs_.storedLocked(inode, std::move(*results[i]));
    }
  }
}

}  // namespace ais::fusefs
