// I/O workers: the threads that do a target's disk work (pread/write/fsync/rename and RocksDB),
// a small fixed pool per mountpath, so the KJ loop thread does network only. Each worker runs its
// own KJ event loop; run() hands a plain function to one and returns a promise on the calling
// (loop) thread that resolves with the function's result once it has run there.
//
// The rule for what crosses: functions take plain C++ values and raw byte spans into messages the
// caller keeps alive; capnp builders, contexts and capabilities stay on the loop thread.
#pragma once

#include <kj/async.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ais::node {

// Enough to keep a disk's queue busy (and overlap page-cache hits) without a thread per request.
inline constexpr unsigned kIoWorkersPerMountpath = 4;

class IoWorkers {
 public:
  IoWorkers(size_t mountpaths, unsigned perMountpath);
  ~IoWorkers();  // waits for running functions, then stops every worker
  IoWorkers(const IoWorkers&) = delete;
  IoWorkers& operator=(const IoWorkers&) = delete;

  // fn runs on a worker of `mountpath` (round robin among its pool). Dropping the promise before
  // fn starts cancels it; once started, the drop waits for it to finish.
  template <typename Fn>
  auto run(size_t mountpath, Fn&& fn) {
    return pick(mountpath).executeAsync(kj::fwd<Fn>(fn));
  }
  // Work that is not about one object (listing, bucket-wide scans): any mountpath's pool.
  template <typename Fn>
  auto runAny(Fn&& fn) {
    return run(anyNext_.fetch_add(1, std::memory_order_relaxed) % pools_.size(), kj::fwd<Fn>(fn));
  }

  size_t mountpaths() const { return pools_.size(); }

 private:
  struct Worker {
    std::thread thread;
    const kj::Executor* executor = nullptr;
    kj::Own<kj::PromiseFulfiller<void>> stop;  // owned and fulfilled on the worker's thread
  };
  struct Pool {
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<size_t> next{0};
  };
  const kj::Executor& pick(size_t mountpath);
  void workerMain(Worker* w);

  std::vector<std::unique_ptr<Pool>> pools_;
  std::atomic<size_t> anyNext_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace ais::node
