// IoWorkers: results and exceptions come back on the loop thread; a long job occupies one worker,
// not the queue; a dropped promise cancels a job that has not started and waits for one that has.
#include "node/target/io_workers.h"

#include <gtest/gtest.h>
#include <kj/async.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

namespace ais::node {
namespace {

class IoWorkersTest : public ::testing::Test {
 protected:
  // kj's loop and wait scope have throwing destructors; gtest's fixture destructor is noexcept.
  std::unique_ptr<kj::EventLoop> loopPtr_ = std::make_unique<kj::EventLoop>();
  std::unique_ptr<kj::WaitScope> wsPtr_ = std::make_unique<kj::WaitScope>(*loopPtr_);
  kj::WaitScope& ws_ = *wsPtr_;
};

TEST_F(IoWorkersTest, ResultsVoidAndExceptions) {
  IoWorkers io(2, 2);
  EXPECT_EQ(io.run(0, [] { return 41 + 1; }).wait(ws_), 42);
  std::atomic<bool> ran{false};
  io.run(1, [&] { ran = true; }).wait(ws_);
  EXPECT_TRUE(ran);
  auto bad = io.runAny([]() -> int { throw std::runtime_error("disk on fire"); });
  try {
    bad.wait(ws_);
    ADD_FAILURE() << "no exception";
  } catch (const kj::Exception& e) {
    EXPECT_NE(std::string(e.getDescription().cStr()).find("disk on fire"), std::string::npos);
  }
  // Runs on a worker thread, not the loop's.
  auto self = std::this_thread::get_id();
  EXPECT_NE(io.run(0, [] { return std::this_thread::get_id(); }).wait(ws_), self);
}

TEST_F(IoWorkersTest, ALongJobDoesNotHoldUpTheQueue) {
  IoWorkers io(1, 2);
  std::promise<void> release;
  auto released = release.get_future().share();
  auto slow = io.run(0, [released] { released.wait(); });
  // Many short jobs all finish while the long one still runs on the other worker.
  for (int i = 0; i < 50; ++i) EXPECT_EQ(io.run(0, [i] { return i; }).wait(ws_), i);
  release.set_value();
  slow.wait(ws_);
}

TEST_F(IoWorkersTest, DroppedPromiseCancelsQueuedAndWaitsForRunning) {
  IoWorkers io(1, 1);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> started{false}, finished{false}, queuedRan{false};
  auto running = io.run(0, [&, released] {
    started = true;
    released.wait();
    finished = true;
  });
  auto queued = io.run(0, [&] { queuedRan = true; });
  while (!started) std::this_thread::yield();
  queued = nullptr;  // never started: canceled
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release.set_value();
  });
  running = nullptr;  // started: waits until the job is done
  EXPECT_TRUE(finished);
  releaser.join();
  io.run(0, [] {}).wait(ws_);  // the worker moved past the canceled job
  EXPECT_FALSE(queuedRan);
}

TEST_F(IoWorkersTest, ARunningJobSeesItsCancellation) {
  IoWorkers io(1, 1);
  std::atomic<bool> started{false}, sawCancel{false};
  auto longJob = io.run(0, [&] {
    started = true;
    // A scrub-like loop: stops at the next item once its caller went away.
    for (int i = 0; i < 100000 && !IoWorkers::cancelRequested(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    sawCancel = IoWorkers::cancelRequested();
  });
  while (!started) std::this_thread::yield();
  EXPECT_FALSE(IoWorkers::cancelRequested());  // not inside a job
  auto t0 = std::chrono::steady_clock::now();
  longJob = nullptr;  // asks it to stop, then waits for it
  EXPECT_TRUE(sawCancel);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace ais::node
