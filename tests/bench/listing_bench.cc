// Small objects at scale (issue 20), through the client library: ingest of many tiny objects with
// Client::putBatch (objects/s), then a full listing page by page (entries/s).
// Usage: listing_bench [--objects N] [--threads T] [--page-size P] [--bucket B] [--keep]
//                      [--list-only]
// --list-only lists a bucket filled by an earlier --keep run (at least N objects) without
// ingesting. With AIS_ENDPOINT set it uses that cluster (and leaves the bucket unless it created it
// and
// --keep is not given); otherwise it starts its own 1 proxy + 3 targets.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_cluster.h"
#include "tests/integration/test_cluster.h"

namespace {

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Object i's name: 1,000 "directories" of names, like a dataset of samples.
std::string nameOf(uint64_t i) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "train/%04llu/sample-%08llu.bin",
                static_cast<unsigned long long>(i % 1000), static_cast<unsigned long long>(i));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t objects = 1000000;
  int threads = 4;
  uint32_t pageSize = 1000;
  std::string bucket = "listing-bench";
  bool keep = false, listOnly = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--objects") && i + 1 < argc)
      objects = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--page-size") && i + 1 < argc)
      pageSize = static_cast<uint32_t>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--bucket") && i + 1 < argc)
      bucket = argv[++i];
    else if (!std::strcmp(argv[i], "--keep"))
      keep = true;
    else if (!std::strcmp(argv[i], "--list-only"))
      listOnly = keep = true;
  }
  std::unique_ptr<ais::testing::TestCluster> cluster;
  auto clients = ais::bench::clientsFor(threads, cluster);
  if (clients.empty()) return 1;
  ais::Client& c0 = *clients[0];
  bool created = !listOnly && c0.createBucket(bucket).ok();

  // Ingest: every thread puts its share in batches of 1,000 names.
  constexpr uint64_t kBatch = 1000;
  const std::string payload(16, 'x');
  std::atomic<uint64_t> next{0}, failed{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads && !listOnly; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t first = next.fetch_add(kBatch); first < objects;
           first = next.fetch_add(kBatch)) {
        std::vector<ais::BatchPut> batch;
        for (uint64_t i = first; i < std::min(objects, first + kBatch); ++i) {
          batch.push_back({nameOf(i), payload, {}});
        }
        for (auto& r : clients[t]->putBatch(bucket, batch)) failed += r.ok() ? 0 : 1;
      }
    });
  }
  for (auto& w : workers) w.join();
  double put = secondsSince(t0);
  if (!listOnly)
    std::printf("ingest: %llu objects of %zu B in %.2f s: %.0f objects/s (%llu failed)\n",
                static_cast<unsigned long long>(objects), payload.size(), put, objects / put,
                static_cast<unsigned long long>(failed.load()));

  // Listing: the whole bucket, page by page.
  ais::ListOptions lo;
  lo.pageSize = pageSize;
  uint64_t listed = 0, pages = 0;
  t0 = std::chrono::steady_clock::now();
  for (;;) {
    auto page = c0.list(bucket, lo);
    if (!page.ok()) {
      std::fprintf(stderr, "list: %s\n", page.status().toString().c_str());
      return 1;
    }
    listed += page->entries.size();
    ++pages;
    if (page->continuationToken.empty()) break;
    lo.continuationToken = page->continuationToken;
  }
  double list = secondsSince(t0);
  std::printf("list (client library, pages of %u): %llu entries in %.2f s: %.0f entries/s\n",
              pageSize, static_cast<unsigned long long>(listed), list, listed / list);
  if (created && !keep) (void)c0.destroyBucket(bucket, true);
  return failed.load() == 0 && listed >= objects ? 0 : 1;
}
