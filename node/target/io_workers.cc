#include "node/target/io_workers.h"

#include "common/log.h"

namespace ais::node {
namespace {
thread_local const std::atomic<bool>* tCancel = nullptr;  // of the job this worker runs
}  // namespace

bool IoWorkers::cancelRequested() { return tCancel && tCancel->load(std::memory_order_relaxed); }

IoWorkers::IoWorkers(size_t mountpaths, unsigned perMountpath) {
  if (mountpaths == 0) mountpaths = 1;
  if (perMountpath == 0) perMountpath = 1;
  for (size_t m = 0; m < mountpaths; ++m) {
    auto pool = std::make_unique<Pool>();
    for (unsigned i = 0; i < perMountpath; ++i) {
      pool->threads.emplace_back([p = pool.get()] { workerMain(*p); });
    }
    pools_.push_back(std::move(pool));
  }
}

IoWorkers::~IoWorkers() {
  for (auto& p : pools_) {
    {
      std::lock_guard lock(p->mu);
      p->stopping = true;
    }
    p->cv.notify_all();
  }
  for (auto& p : pools_) {
    for (auto& t : p->threads) t.join();
    p->queue.clear();  // never started: their promises are rejected
  }
}

void IoWorkers::post(size_t mountpath, std::function<void()> fn) {
  struct Posted final : Job {
    explicit Posted(std::function<void()> f) : fn(std::move(f)) {}
    void run() override {
      try {
        fn();
      } catch (const std::exception& e) {
        log::error("I/O worker: {}", e.what());
      } catch (const kj::Exception& e) {
        log::error("I/O worker: {}", e.getDescription().cStr());
      }
      markDone();
    }
    std::function<void()> fn;
  };
  enqueue(mountpath, std::make_shared<Posted>(std::move(fn)));
}

void IoWorkers::enqueue(size_t mountpath, std::shared_ptr<Job> job) {
  Pool& p = *pools_[mountpath % pools_.size()];
  {
    std::lock_guard lock(p.mu);
    p.queue.push_back(std::move(job));
  }
  p.cv.notify_one();
}

void IoWorkers::workerMain(Pool& p) {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(p.mu);
      p.cv.wait(lock, [&] { return p.stopping || !p.queue.empty(); });
      if (p.stopping) return;
      job = std::move(p.queue.front());
      p.queue.pop_front();
    }
    int expected = kQueued;
    if (!job->state.compare_exchange_strong(expected, kRunning)) continue;  // canceled
    tCancel = &job->cancelRequested;
    job->run();  // (marks it done)
    tCancel = nullptr;
  }
}

IoWorkers::JobGuard::~JobGuard() {
  int expected = kQueued;
  if (job->state.compare_exchange_strong(expected, kCanceled)) return;
  job->cancelRequested = true;
  std::unique_lock lock(job->mu);
  job->cv.wait(lock, [&] { return job->state.load() == kDone; });
}

}  // namespace ais::node
