// Shards vs loose objects (issue 17's Measure), through the client library: N samples of S bytes
// stored as loose objects, as members of K TAR shards and of K TGZ shards (the same TARs
// gzipped), then all read back in one random order by T threads, each read checked byte for
// byte; prints samples/s and MiB/s side by side.
// Usage: shard_bench [--samples N] [--size BYTES] [--shards K] [--threads T]
// With AIS_ENDPOINT set it uses that cluster; otherwise it starts its own 1 proxy + 3 targets.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "node/archive/archive_writer.h"
#include "tests/bench/bench_cluster.h"
#include "tests/integration/test_cluster.h"

namespace {

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string sampleName(size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "sample-%06zu.bin", i);
  return buf;
}

std::string sampleBytes(size_t i, size_t size) {
  std::string s(size, '\0');
  std::mt19937_64 rng(i);
  for (size_t k = 0; k < size; k += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + k, &v, std::min<size_t>(8, size - k));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  size_t samples = 10000, size = 16384, shards = 10;
  int threads = 4;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--samples") && i + 1 < argc)
      samples = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--size") && i + 1 < argc)
      size = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--shards") && i + 1 < argc)
      shards = std::max<size_t>(1, std::strtoull(argv[++i], nullptr, 10));
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
  }
  std::unique_ptr<ais::testing::TestCluster> cluster;
  auto clients = ais::bench::clientsFor(threads, cluster);
  if (clients.empty()) return 1;
  ais::Client& c0 = *clients[0];
  const std::string loose = "shard-bench-loose", sharded = "shard-bench-tar";
  (void)c0.createBucket(loose);
  (void)c0.createBucket(sharded);

  // Store: loose objects in batches; shard j holds samples j, j+K, j+2K, ...
  std::vector<ais::BatchPut> batch;
  std::vector<std::string> keep;
  keep.reserve(samples);
  for (size_t i = 0; i < samples; ++i) keep.push_back(sampleBytes(i, size));
  for (size_t i = 0; i < samples; ++i) batch.push_back({sampleName(i), keep[i], {}});
  size_t failed = 0;
  for (size_t first = 0; first < samples; first += 1000) {
    std::vector<ais::BatchPut> part(batch.begin() + first,
                                    batch.begin() + std::min(samples, first + 1000));
    for (auto& r : c0.putBatch(loose, part)) failed += r.ok() ? 0 : 1;
  }
  auto shardOf = [&](size_t i) { return "shard-" + std::to_string(i % shards) + ".tar"; };
  for (size_t j = 0; j < shards; ++j) {
    for (auto format : {ais::archive::Format::kTar, ais::archive::Format::kTgz}) {
      std::string shard;
      auto w = ais::archive::ArchiveWriter::make(format, [&](std::string_view b) {
        shard.append(b);
        return ais::Status::OK();
      });
      for (size_t i = j; i < samples; i += shards) {
        size_t at = 0;
        (void)w->add(sampleName(i), size, 0644, 0, [&](char* buf, size_t len) {
          size_t n = std::min(len, size - at);
          std::memcpy(buf, keep[i].data() + at, n);
          at += n;
          return ais::Result<size_t>(n);
        });
      }
      (void)w->finish();
      std::string name =
          "shard-" + std::to_string(j) + "." + std::string(ais::archive::formatName(format));
      failed += c0.put(sharded, name, shard).ok() ? 0 : 1;
    }
  }
  if (failed) {
    std::fprintf(stderr, "%zu PUTs failed\n", failed);
    return 1;
  }

  std::vector<size_t> order(samples);
  for (size_t i = 0; i < samples; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  auto readAll = [&](const char* what, auto&& readOne) {
    std::atomic<size_t> next{0}, bad{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (size_t k = next++; k < samples; k = next++) {
          auto got = readOne(*clients[t], order[k]);
          if (!got.ok() || *got != keep[order[k]]) ++bad;
        }
      });
    }
    for (auto& w : workers) w.join();
    double s = secondsSince(t0);
    std::printf(
        "%-28s %zu samples of %zu B, %d threads: %.2f s, %.0f samples/s, %.1f MiB/s (%zu bad)\n",
        what, samples, size, threads, s, samples / s, samples * size / s / (1 << 20), bad.load());
    return bad.load() == 0 ? samples / s : -1.0;
  };
  // (A first pass over the shards' members builds their indexes on the owners, as a loader's
  // first epoch would; the measured pass is the second.)
  double looseRate = readAll("loose objects",
                             [&](ais::Client& c, size_t i) { return c.get(loose, sampleName(i)); });
  auto member = [&](ais::Client& c, size_t i) {
    return c.get(sharded, shardOf(i), ais::ByteRange{0, std::nullopt, sampleName(i)});
  };
  double first = readAll("TAR members (first epoch)", member);
  double memberRate = readAll("TAR members", member);
  auto tgzMember = [&](ais::Client& c, size_t i) {
    std::string shard = shardOf(i);
    shard.replace(shard.size() - 4, 4, ".tgz");
    return c.get(sharded, shard, ais::ByteRange{0, std::nullopt, sampleName(i)});
  };
  double tgzFirst = readAll("TGZ members (first epoch)", tgzMember);
  double tgzRate = readAll("TGZ members", tgzMember);
  if (looseRate > 0 && memberRate > 0 && tgzRate > 0) {
    std::printf("TAR members / loose objects: %.2f (first epoch %.2f)\n", memberRate / looseRate,
                first / looseRate);
    std::printf("TGZ members / TAR members: %.2f (first epoch %.2f)\n", tgzRate / memberRate,
                tgzFirst / first);
  }
  (void)c0.destroyBucket(loose, true);
  (void)c0.destroyBucket(sharded, true);
  return looseRate > 0 && memberRate > 0 && first > 0 && tgzRate > 0 && tgzFirst > 0 ? 0 : 1;
}
