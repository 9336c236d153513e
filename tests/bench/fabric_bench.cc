// PUT and GET of 16 KiB and 1 MiB objects through the fabric (client library → owner target)
// against writing/reading the same bytes to/from local files, in one run, printed as ratios.
// --mirror N: the bucket keeps N copies (mirror.copies) on N mountpaths per target.
// --big: 16 MiB objects too.
// Usage: fabric_bench [--threads N] [--seconds S] [--single] [--mirror N] [--big]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_cluster.h"
#include "tests/bench/run_for.h"
#include "tests/integration/test_cluster.h"

namespace {

using ais::testing::TestCluster;

using ais::bench::Figures;
using ais::bench::runFor;

bool writeFile(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return ::close(fd) == 0 && ok;
}

bool readFile(const std::string& path, std::string& buf) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  size_t got = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n <= 0) break;
    got += n;
  }
  ::close(fd);
  return got == buf.size();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 8;
  double seconds = 3;
  bool single = false, big = false;
  int mirror = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--single"))
      single = true;
    else if (!std::strcmp(argv[i], "--mirror") && i + 1 < argc)
      mirror = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--big"))
      big = true;
  }
  TestCluster::Options o;
  o.single = single;
  o.mountpathsPerTarget = mirror;
  TestCluster cluster(o);
  auto clients = ais::bench::startWithClients(cluster, threads);
  if (clients.empty()) return 1;
  if (!clients[0]->createBucket("bench").ok()) return 1;
  if (mirror > 1) {
    auto props = clients[0]->bucketProps("bench");
    if (!props.ok()) return 1;
    props->mirrorCopies = static_cast<uint32_t>(mirror);
    if (!clients[0]->setBucketProps("bench", *props).ok()) return 1;
  }

  char tmpl[] = "/tmp/ais-bench-local-XXXXXX";
  std::string local = ::mkdtemp(tmpl);
  const uint64_t kKeys = 2000;  // objects rewritten in a ring: a bounded working set

  std::printf("fabric vs local files: %d threads, %.0f s per figure, %s, %d cop%s per object\n",
              threads, seconds, single ? "1 node (--role all)" : "1 proxy + 3 targets", mirror,
              mirror == 1 ? "y" : "ies");
  std::printf("%-10s %-4s %14s %12s %14s %12s %8s\n", "size", "op", "local obj/s", "local MiB/s",
              "fabric obj/s", "fabric MiB/s", "ratio");
  std::vector<size_t> sizes = {size_t(16 << 10), size_t(1 << 20)};
  if (big) sizes.push_back(size_t(16 << 20));
  for (size_t size : sizes) {
    std::string data = ais::testing::patternBytes(size, size);
    uint64_t keys = size >= (16 << 20) ? 24 : size >= (1 << 20) ? 200 : kKeys;
    auto name = [&](int t, uint64_t i) {
      return "o-" + std::to_string(t) + "-" + std::to_string(i % keys);
    };
    // Seed every key once so GETs always find their object.
    for (int t = 0; t < threads; ++t) {
      for (uint64_t i = 0; i < keys / threads + 1; ++i) {
        if (!writeFile(local + "/" + name(t, i), data) ||
            !clients[t]->put("bench", name(t, i), data).ok()) {
          std::fprintf(stderr, "seeding failed\n");
          return 1;
        }
      }
    }
    keys = keys / threads + 1;
    // The local reference writes the way a crash-safe writer must: a new file, then rename.
    Figures lp = runFor(threads, seconds, size, [&](int t, uint64_t i) {
      std::string dst = local + "/" + name(t, i);
      std::string tmp = dst + ".tmp";
      return writeFile(tmp, data) && ::rename(tmp.c_str(), dst.c_str()) == 0;
    });
    Figures fp = runFor(threads, seconds, size, [&](int t, uint64_t i) {
      return clients[t]->put("bench", name(t, i), data).ok();
    });
    // Read back only what each thread's PUT phase wrote.
    std::vector<std::string> bufs(threads, std::string(size, '\0'));
    Figures lg = runFor(threads, seconds, size, [&](int t, uint64_t i) {
      return readFile(local + "/" + name(t, i), bufs[t]);
    });
    Figures fg = runFor(threads, seconds, size, [&](int t, uint64_t i) {
      auto r = clients[t]->get("bench", name(t, i));
      return r.ok() && r->size() == size;
    });
    const char* label = size == (16 << 10) ? "16 KiB" : size == (1 << 20) ? "1 MiB" : "16 MiB";
    std::printf("%-10s %-4s %14.0f %12.1f %14.0f %12.1f %8.2f\n", label, "PUT", lp.objsPerSec,
                lp.mibPerSec, fp.objsPerSec, fp.mibPerSec, fp.objsPerSec / lp.objsPerSec);
    std::printf("%-10s %-4s %14.0f %12.1f %14.0f %12.1f %8.2f\n", label, "GET", lg.objsPerSec,
                lg.mibPerSec, fg.objsPerSec, fg.mibPerSec, fg.objsPerSec / lg.objsPerSec);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(local);
  return 0;
}
