// Raw erasure-coding speed with ISA-L on this machine (issue 13's "raw ISA-L encode speed"):
// encode and reconstruct (P slices lost) of 1 MiB and 16 MiB objects for EC 2+1 and 4+2, side by
// side with a plain memcpy of the same bytes as the reference. Figures in bytes/s of object data.
//   build/tests/bench/ec_bench [--benchmark_min_time=0.5]
#include <benchmark/benchmark.h>

#include <cstring>

#include "node/ec/reed_solomon.h"

namespace {

std::string object(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 2654435761u >> 13);
  return s;
}

void BM_Memcpy(benchmark::State& state) {
  std::string src = object(state.range(0)), dst(src.size(), '\0');
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Encode(benchmark::State& state) {
  auto rs = ais::ec::ReedSolomon::make(state.range(1), state.range(2));
  std::string src = object(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(rs->encode(src));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_ReconstructLosingParityCount(benchmark::State& state) {
  auto rs = ais::ec::ReedSolomon::make(state.range(1), state.range(2));
  std::vector<std::string> slices = rs->encode(object(state.range(0)));
  for (auto _ : state) {
    std::vector<std::optional<std::string>> have(slices.begin(), slices.end());
    for (int i = 0; i < rs->paritySlices(); ++i) have[i].reset();  // data slices: the worst case
    benchmark::DoNotOptimize(rs->reconstruct(have));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

constexpr int64_t kMiB = 1 << 20;
BENCHMARK(BM_Memcpy)->Arg(kMiB)->Arg(16 * kMiB);
BENCHMARK(BM_Encode)
    ->Args({kMiB, 2, 1})
    ->Args({16 * kMiB, 2, 1})
    ->Args({kMiB, 4, 2})
    ->Args({16 * kMiB, 4, 2});
BENCHMARK(BM_ReconstructLosingParityCount)
    ->Args({kMiB, 2, 1})
    ->Args({16 * kMiB, 2, 1})
    ->Args({kMiB, 4, 2})
    ->Args({16 * kMiB, 4, 2});

}  // namespace

BENCHMARK_MAIN();
