// I/O workers: the threads that do a target's disk work (pread/write/fsync/rename and RocksDB),
// a small fixed pool per mountpath sharing one queue, so the KJ loop thread does network only and
// a slow call (an fsync, a bucket's removal) holds up one worker, not the requests behind it.
// run() queues a plain function and returns a promise on the calling (loop) thread that resolves
// with the function's result, through a cross-thread fulfiller.
//
// What crosses: plain C++ values and raw byte spans into messages the caller keeps alive. That is
// safe because dropping the promise cancels a function that has not started and waits for one
// that has (as kj::Executor::executeAsync does), so the spans outlive every use. capnp builders,
// contexts and capabilities stay on the loop thread.
#pragma once

#include <kj/async.h>
#include <kj/debug.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace ais::node {

// Enough to keep a disk's queue busy (and overlap page-cache hits) without a thread per request.
inline constexpr unsigned kIoWorkersPerMountpath = 4;

class IoWorkers {
 public:
  IoWorkers(size_t mountpaths, unsigned perMountpath);
  ~IoWorkers();  // finishes running functions, drops queued ones, stops every worker
  IoWorkers(const IoWorkers&) = delete;
  IoWorkers& operator=(const IoWorkers&) = delete;

  // fn runs on a worker of `mountpath`'s pool; its result resolves the returned promise.
  template <typename Fn>
  auto run(size_t mountpath, Fn&& fn) -> kj::Promise<std::invoke_result_t<Fn&>> {
    using T = std::invoke_result_t<Fn&>;
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    auto job =
        std::make_shared<JobImpl<std::decay_t<Fn>, T>>(kj::fwd<Fn>(fn), kj::mv(paf.fulfiller));
    enqueue(mountpath, job);
    return kj::mv(paf.promise).attach(kj::heap<JobGuard>(std::move(job)));
  }
  // Work that is not about one object (listing, bucket-wide scans): any mountpath's pool.
  template <typename Fn>
  auto runAny(Fn&& fn) {
    return run(anyNext_.fetch_add(1, std::memory_order_relaxed), kj::fwd<Fn>(fn));
  }

  // fn runs on a worker of `mountpath`'s pool, with no promise: for callers outside a KJ loop
  // (the HTTP gateway's coroutines), which signal their own completion from inside fn.
  // Exceptions escaping fn are logged and dropped.
  void post(size_t mountpath, std::function<void()> fn);

  size_t mountpaths() const { return pools_.size(); }

  // Inside a running function: true once its promise was dropped. Long functions (a scrub) poll
  // it and return early, so the drop does not wait for them to run to the end.
  static bool cancelRequested();

 private:
  enum State : int { kQueued, kRunning, kDone, kCanceled };
  struct Job {
    virtual ~Job() noexcept(false) = default;  // kj::Own members may throw
    virtual void run() = 0;  // calls the function, markDone(), fulfills (or rejects) the promise
    void markDone() {
      {
        std::lock_guard lock(mu);
        state = kDone;
      }
      cv.notify_all();
    }
    std::atomic<int> state{kQueued};
    std::atomic<bool> cancelRequested{false};
    std::mutex mu;
    std::condition_variable cv;
  };
  template <typename Fn, typename T>
  struct JobImpl final : Job {
    JobImpl(Fn f, kj::Own<kj::CrossThreadPromiseFulfiller<T>> p)
        : fn(std::move(f)), fulfiller(kj::mv(p)) {}
    using ValueOf = std::conditional_t<std::is_void_v<T>, bool, T>;
    // Done before the promise is fulfilled: the loop thread, woken by the fulfill, drops the
    // guard at once, which then need not wait for this worker to mark the job done (a block of
    // the loop and one more wake-up per job).
    void run() override {
      kj::Maybe<kj::Exception> failure;
      std::optional<ValueOf> value;
      try {
        if constexpr (std::is_void_v<T>) {
          fn();
          value.emplace();
        } else {
          value.emplace(fn());
        }
      } catch (const kj::Exception& e) {
        failure = kj::cp(e);
      } catch (const std::exception& e) {
        failure = KJ_EXCEPTION(FAILED, "I/O worker", e.what());
      }
      markDone();
      KJ_IF_MAYBE (f, failure) {
        fulfiller->reject(kj::mv(*f));
      } else if constexpr (std::is_void_v<T>) {
        fulfiller->fulfill();
      } else {
        fulfiller->fulfill(kj::mv(*value));
      }
    }
    Fn fn;
    kj::Own<kj::CrossThreadPromiseFulfiller<T>> fulfiller;
  };
  // Attached to the promise: dropping it before the job started cancels the job; once it runs,
  // asks it to stop (cancelRequested) and waits until it finished (it may be using memory the
  // promise's owner is about to free).
  struct JobGuard {
    explicit JobGuard(std::shared_ptr<Job> j) : job(std::move(j)) {}
    ~JobGuard();
    std::shared_ptr<Job> job;
  };
  struct Pool {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::shared_ptr<Job>> queue;
    bool stopping = false;
    std::vector<std::thread> threads;
  };

  void enqueue(size_t mountpath, std::shared_ptr<Job> job);
  static void workerMain(Pool& pool);

  std::vector<std::unique_ptr<Pool>> pools_;
  std::atomic<size_t> anyNext_{0};
};

}  // namespace ais::node
