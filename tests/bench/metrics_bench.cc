// What the Prometheus metrics cost on the hot path (issue 18): Metrics::record (one per object
// operation a target serves) and Metrics::recordHttp (one per gateway request), from one and two
// threads, beside the floor of one relaxed atomic increment. Divide by a request's own time
// (docs/performance.md: a 16 KiB GET through a gateway takes tens of microseconds) for the share.
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/metrics.h"

namespace {

ais::node::Metrics& metrics() {
  static ais::node::Metrics m("t1", "target");
  return m;
}

void BM_AtomicIncrementFloor(benchmark::State& state) {
  static std::atomic<uint64_t> counter{0};
  for (auto _ : state) counter.fetch_add(1, std::memory_order_relaxed);
  benchmark::DoNotOptimize(counter.load());
}
BENCHMARK(BM_AtomicIncrementFloor)->Threads(1)->Threads(2);

// A GET of one bucket: the series is in the cache after the first call.
void BM_RecordGet(benchmark::State& state) {
  const std::string bucket = "train";
  auto start = ais::node::Metrics::Clock::now();
  for (auto _ : state) {
    metrics().record(ais::node::MetricOp::kGet, bucket, 16384, start, ais::Status::OK());
  }
}
BENCHMARK(BM_RecordGet)->Threads(1)->Threads(2);

// GETs spread over 1,000 buckets (a bigger cache to search).
void BM_RecordGetManyBuckets(benchmark::State& state) {
  std::vector<std::string> buckets;
  for (int i = 0; i < 1000; ++i) buckets.push_back("bucket-" + std::to_string(i));
  auto start = ais::node::Metrics::Clock::now();
  size_t i = 0;
  for (auto _ : state) {
    metrics().record(ais::node::MetricOp::kGet, buckets[i++ % buckets.size()], 16384, start,
                     ais::Status::OK());
  }
}
BENCHMARK(BM_RecordGetManyBuckets)->Threads(1)->Threads(2);

// A failed GET: counted by kind as well.
void BM_RecordError(benchmark::State& state) {
  const std::string bucket = "train";
  auto start = ais::node::Metrics::Clock::now();
  ais::Status missing(ais::Code::kObjectNotFound, "x");
  for (auto _ : state) metrics().record(ais::node::MetricOp::kGet, bucket, 0, start, missing);
}
BENCHMARK(BM_RecordError);

void BM_RecordHttp(benchmark::State& state) {
  auto start = ais::node::Metrics::Clock::now();
  for (auto _ : state) metrics().recordHttp("s3", "GET", 200, start);
}
BENCHMARK(BM_RecordHttp)->Threads(1)->Threads(2);

// A scrape while nothing else runs (GET /metrics), with 1,000 buckets' series.
void BM_Render(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(metrics().render());
}
BENCHMARK(BM_Render);

}  // namespace

BENCHMARK_MAIN();
