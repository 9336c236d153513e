// The load loop of the fabric benchmarks: `threads` threads run an operation back to back for a
// fixed time; the figure is operations (objects) and MiB per second.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

namespace ais::bench {

struct Figures {
  double objsPerSec = 0;
  double mibPerSec = 0;
  bool failed = false;  // an operation failed (that thread stopped early)
};

// Runs `op(thread, i)` on `threads` threads for about `seconds`; op returns false on failure.
inline Figures runFor(int threads, double seconds, size_t objSize,
                      const std::function<bool(int, uint64_t)>& op) {
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false}, failed{false};
  std::vector<std::thread> ts;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (uint64_t i = 0; !stop; ++i) {
        if (!op(t, i)) {
          failed = true;
          return;
        }
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : ts) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) std::fprintf(stderr, "an operation failed\n");
  Figures f;
  f.objsPerSec = done / secs;
  f.mibPerSec = f.objsPerSec * objSize / (1 << 20);
  f.failed = failed;
  return f;
}

}  // namespace ais::bench
