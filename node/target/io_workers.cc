#include "node/target/io_workers.h"

namespace ais::node {

IoWorkers::IoWorkers(size_t mountpaths, unsigned perMountpath) {
  if (mountpaths == 0) mountpaths = 1;
  if (perMountpath == 0) perMountpath = 1;
  for (size_t m = 0; m < mountpaths; ++m) {
    auto pool = std::make_unique<Pool>();
    for (unsigned i = 0; i < perMountpath; ++i) {
      auto w = std::make_unique<Worker>();
      Worker* raw = w.get();
      w->thread = std::thread([this, raw] { workerMain(raw); });
      pool->workers.push_back(std::move(w));
    }
    pools_.push_back(std::move(pool));
  }
  // Every executor exists before anyone can call run().
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] {
    for (auto& p : pools_) {
      for (auto& w : p->workers) {
        if (!w->executor) return false;
      }
    }
    return true;
  });
}

void IoWorkers::workerMain(Worker* w) {
  kj::EventLoop loop;
  kj::WaitScope waitScope(loop);
  auto paf = kj::newPromiseAndFulfiller<void>();
  {
    std::lock_guard lock(mu_);
    w->stop = kj::mv(paf.fulfiller);
    w->executor = &kj::getCurrentThreadExecutor();
  }
  cv_.notify_all();
  paf.promise.wait(waitScope);
}

IoWorkers::~IoWorkers() {
  for (auto& p : pools_) {
    for (auto& w : p->workers) {
      w->executor->executeSync([w = w.get()] {
        w->stop->fulfill();
        w->stop = nullptr;  // destroyed on its own thread
      });
      w->thread.join();
    }
  }
}

const kj::Executor& IoWorkers::pick(size_t mountpath) {
  Pool& p = *pools_[mountpath % pools_.size()];
  return *p.workers[p.next.fetch_add(1, std::memory_order_relaxed) % p.workers.size()]->executor;
}

}  // namespace ais::node
