// Destroying a large bucket is quick for everyone else: the targets detach it in O(1) inside the
// metasync answer and delete its files on their I/O workers in the background, while GETs of
// another bucket go on. Size: AIS_TEST_DESTROY_OBJECTS (default 100,000 objects).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/integration/test_cluster.h"

namespace ais::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

size_t objectCount() {
  const char* v = std::getenv("AIS_TEST_DESTROY_OBJECTS");
  return v ? std::strtoull(v, nullptr, 10) : 100000;
}

TEST(DestroyTest, LargeBucketGoesWhileOtherBucketsKeepServing) {
  TestCluster::Options opts;
  opts.mountpathsPerTarget = 1;
  TestCluster cluster(opts);
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->createBucket("big").ok());
  ASSERT_TRUE((*c)->createBucket("busy").ok());

  const size_t n = objectCount();
  std::atomic<size_t> next{0};
  std::atomic<bool> putFailed{false};
  std::vector<std::thread> writers;
  auto start = Clock::now();
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n && !putFailed;) {
        if (!(*c)->put("big", "d" + std::to_string(i % 100) + "/o" + std::to_string(i), "x").ok()) {
          putFailed = true;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_FALSE(putFailed);
  double putSecs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("put %zu objects in %.1f s (%.0f/s)\n", n, putSecs, n / putSecs);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*c)->put("busy", "k" + std::to_string(i), patternBytes(i, 20000)).ok());
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> gets{0}, bad{0};
  std::atomic<int64_t> worstUs{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int i = t; !stop; i = (i + 1) % 50) {
        auto t0 = Clock::now();
        auto got = (*c)->get("busy", "k" + std::to_string(i));
        int64_t us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        if (!got.ok() || *got != patternBytes(i, 20000)) ++bad;
        int64_t w = worstUs.load();
        while (us > w && !worstUs.compare_exchange_weak(w, us)) {
        }
        ++gets;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = Clock::now();
  Status destroyed = (*c)->destroyBucket("big", /*force=*/true);
  double destroySecs = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_TRUE(destroyed.ok()) << destroyed.toString();
  // The data goes in the background; GETs of the other bucket go on meanwhile.
  auto deadline = Clock::now() + std::chrono::seconds(120);
  bool trashGone = false;
  while (!trashGone && Clock::now() < deadline) {
    trashGone = true;
    for (const auto& id : cluster.targetIds()) {
      for (const auto& mp : cluster.node(id).mountpaths) {
        std::error_code ec;
        for (auto& e : fs::directory_iterator(mp + "/@ais", ec)) {
          std::string leaf = e.path().filename().string();
          if (leaf == "big" || leaf.rfind(".trash.big.", 0) == 0) trashGone = false;
        }
      }
    }
    if (!trashGone) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  for (auto& r : readers) r.join();
  std::printf(
      "destroy of %zu objects answered in %.2f s; %llu GETs of another bucket meanwhile, "
      "slowest %.1f ms\n",
      n, destroySecs, static_cast<unsigned long long>(gets.load()), worstUs.load() / 1000.0);
  EXPECT_TRUE(trashGone) << "the destroyed bucket's files are still on disk after 120 s";
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(gets.load(), 0u);
  // A liveness bound, not a speed goal: a removal that held the workers (or the loop) stalled
  // GETs for seconds (7.3 s with per-thread queues); here they take milliseconds.
  EXPECT_LT(worstUs.load(), 2'000'000);
  // Nothing of it is visible, and the name is free again (and starts empty).
  EXPECT_EQ((*c)->head("big", "d0/o0").code(), Code::kBucketNotFound);
  ASSERT_TRUE((*c)->createBucket("big").ok());
  auto page = (*c)->list("big");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->entries.empty());
}

}  // namespace
}  // namespace ais::testing
