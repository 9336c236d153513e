// WaitHook: how a blocking call of the client library waits. By default the calling thread blocks
// until the result is there. A caller that runs as a coroutine on an event loop (the HTTP
// gateway's request handlers) installs a hook on its thread while it runs, and the call suspends
// the coroutine instead: the thread goes on serving other connections, and the completion (from
// any thread) resumes it. The hook is per thread and must be installed again after every resume
// (the coroutine may continue on another thread); the hook's own await() does that.
#pragma once

#include <chrono>
#include <functional>

namespace ais {

class WaitHook {
 public:
  virtual ~WaitHook() = default;
  // Calls start(done) on this thread, then returns once done() was called (from any thread,
  // exactly once; possibly before start returns).
  virtual void await(const std::function<void(std::function<void()> done)>& start) = 0;
  virtual void sleepFor(std::chrono::milliseconds d) = 0;

  // The hook of the calling thread, or null (plain blocking waits).
  static WaitHook* current();
  static void setCurrent(WaitHook* hook);
};

// Waits for `start`'s completion through the thread's hook, else by blocking the thread.
void awaitCompletion(const std::function<void(std::function<void()> done)>& start);
void sleepOrSuspend(std::chrono::milliseconds d);

}  // namespace ais
