#include "proto/wait_hook.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace ais {

namespace {
thread_local WaitHook* tlHook = nullptr;
}

WaitHook* WaitHook::current() { return tlHook; }
void WaitHook::setCurrent(WaitHook* hook) { tlHook = hook; }

void awaitCompletion(const std::function<void(std::function<void()> done)>& start) {
  if (WaitHook* hook = WaitHook::current()) return hook->await(start);
  struct Flag {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto flag = std::make_shared<Flag>();
  start([flag] {
    std::lock_guard lock(flag->mu);
    flag->done = true;
    flag->cv.notify_all();
  });
  std::unique_lock lock(flag->mu);
  flag->cv.wait(lock, [&] { return flag->done; });
}

void sleepOrSuspend(std::chrono::milliseconds d) {
  if (WaitHook* hook = WaitHook::current()) return hook->sleepFor(d);
  std::this_thread::sleep_for(d);
}

}  // namespace ais
