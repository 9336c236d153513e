// LoopMailbox: hands plain functions from any thread to one KJ event loop thread without waiting
// for that thread (kj::Executor::executeSync would block the sender until the loop ran it). The
// loop side pumps it: run() drains the queue whenever a cross-thread fulfiller says it is not
// empty. Functions run on the loop thread in the order they were posted.
#pragma once

#include <kj/async.h>

#include <deque>
#include <functional>
#include <mutex>

namespace ais::proto {

class LoopMailbox {
 public:
  // Any thread. Dropped silently once the pump stopped (the loop is shutting down).
  void post(std::function<void()> fn) {
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      queue_.push_back(std::move(fn));
      wake = kj::mv(waiter_);
    }
    if (wake) wake->fulfill();
  }

  // Loop thread: runs posted functions until the returned promise is dropped.
  kj::Promise<void> run() {
    std::deque<std::function<void()>> batch;
    kj::Promise<void> next = nullptr;
    {
      std::lock_guard lock(mu_);
      batch.swap(queue_);
      if (batch.empty()) {
        auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
        waiter_ = kj::mv(paf.fulfiller);
        next = kj::mv(paf.promise);
      }
    }
    if (batch.empty()) return next.then([this] { return run(); });
    for (auto& fn : batch) fn();
    // Let the work the functions started make progress before the next batch.
    return kj::evalLater([this] { return run(); });
  }

  // Loop thread, once the pump is dropped: later posts are ignored.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
    waiter_ = nullptr;
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> waiter_;
  bool closed_ = false;
};

}  // namespace ais::proto
