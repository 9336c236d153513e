// What data protection costs, measured through the fabric (client library → owner target) on one
// 1 proxy + 7 target cluster (2 mountpaths per target), side by side in one run: PUT and GET of
// 1 MiB and 16 MiB objects in a plain bucket, a 2-copy mirror (mirror.copies=2) and EC D+P
// (default 4+2; every object sliced). Then P targets are killed: GETs of the EC objects whose
// owner is down (degraded reads, rebuilt from slices) beside GETs of the same objects while the
// cluster was healthy, and the first read of each of other such objects (what a reader that
// comes once per object, an epoch of a data loader, sees: every read a rebuild).
// Beside EC's PUT, its floor on this cluster: the same bytes and commits as plain PUTs (the
// object, then D+P slice-sized objects, one PUT each): what any EC PUT that keeps the object
// whole and its D+P slices must at least do, without the encode or the coordination. And a
// degraded read's: D slice-sized GETs and a GET of the whole object (the bytes a rebuild moves
// before the reader has them), without the decode or finding the slices.
// Usage: protection_bench [--threads N] [--seconds S] [--data D] [--parity P] [--sizes small]
//                         [--buckets plain,mirror,coded,shaped]   (a subset, say to profile one)
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "meta/hrw.h"
#include "tests/bench/bench_cluster.h"
#include "tests/bench/run_for.h"
#include "tests/integration/test_cluster.h"

namespace {

using ais::testing::TestCluster;

using ais::bench::Figures;
using ais::bench::runFor;

std::string label(size_t size) { return size >= (16 << 20) ? "16 MiB" : "1 MiB"; }

void row(const std::string& size, const std::string& what, const std::string& op, Figures f,
         double ref) {
  std::string vs = ref > 0 ? fmt::format("{:.2f}", f.objsPerSec / ref) : "-";
  std::printf("%-7s %-34s %-4s %10.1f %10.1f %8s%s\n", size.c_str(), what.c_str(), op.c_str(),
              f.objsPerSec, f.mibPerSec, vs.c_str(), f.failed ? "  (an operation failed)" : "");
  std::fflush(stdout);
}

// Runs `op(thread, i)` once for each i < count, spread over `threads` threads (each takes the
// next index); op returns false on failure.
Figures onceEach(int threads, size_t count, size_t objSize,
                 const std::function<bool(int, size_t)>& op) {
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (size_t i = next++; i < count; i = next++) {
        if (!op(t, i)) {
          failed = true;
          return;
        }
        ++done;
      }
    });
  }
  for (auto& th : ts) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Figures f;
  f.objsPerSec = secs > 0 ? done / secs : 0;
  f.mibPerSec = f.objsPerSec * objSize / (1 << 20);
  f.failed = failed;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 4, data = 4, parity = 2;
  double seconds = 3;
  bool small = false;
  std::string only;  // empty: every bucket; else ",plain,coded," and the like
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--data") && i + 1 < argc)
      data = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--parity") && i + 1 < argc)
      parity = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc)
      small = !std::strcmp(argv[++i], "small");
    else if (!std::strcmp(argv[i], "--buckets") && i + 1 < argc)
      only = std::string(",") + argv[++i] + ",";
  }
  TestCluster::Options o;
  o.targets = data + parity + 1;
  o.mountpathsPerTarget = 2;
  TestCluster cluster(o);
  auto clients = ais::bench::startWithClients(cluster, threads);
  if (clients.empty()) return 1;
  ais::Client& c0 = *clients[0];
  std::vector<std::string> buckets;
  for (const char* b : {"plain", "mirror", "coded", "shaped"}) {
    if (only.empty() || only.find(std::string(",") + b + ",") != std::string::npos)
      buckets.push_back(b);
  }
  for (const auto& b : buckets) {
    auto created = c0.createBucket(b);
    auto props = created.ok() ? c0.bucketProps(b) : ais::Result<ais::meta::BucketProps>(created);
    if (!props.ok()) {
      std::fprintf(stderr, "bucket %s: %s\n", b.c_str(), props.status().toString().c_str());
      return 1;
    }
    if (b == "mirror") props->mirrorCopies = 2;
    if (b == "coded") {
      props->ec.enabled = true;
      props->ec.dataSlices = static_cast<uint32_t>(data);
      props->ec.paritySlices = static_cast<uint32_t>(parity);
      props->ec.objSizeLimit = 0;  // every object sliced
    }
    if (auto st = c0.setBucketProps(b, *props); !st.ok()) {
      std::fprintf(stderr, "props of %s: %s\n", b.c_str(), st.toString().c_str());
      return 1;
    }
  }
  for (auto& c : clients) (void)c->smap(true);  // every client sees the new BMD

  std::printf("protection: 1 proxy + %d targets, %d threads, %.0f s per figure, EC %d+%d\n",
              o.targets, threads, seconds, data, parity);
  std::printf("%-7s %-34s %-4s %10s %10s %8s\n", "size", "bucket", "op", "obj/s", "MiB/s",
              "vs plain");
  std::fflush(stdout);  // the header says the cluster is up (a profiler may wait for it)
  std::vector<size_t> sizes = {size_t(1) << 20};
  if (!small) sizes.push_back(size_t(16) << 20);
  // The EC objects of every size, and their healthy GET figure over those a victim owns.
  struct Kept {
    size_t size;
    std::vector<std::string> names;
    std::vector<std::string> once;  // read once each, degraded
  };
  std::vector<Kept> kept;
  for (size_t size : sizes) {
    std::string bytes = ais::testing::patternBytes(size, size);
    uint64_t keys = size >= (16 << 20) ? 4 : 24;  // per thread, rewritten in a ring
    auto name = [&](int t, uint64_t i) {
      return "o-" + std::to_string(size) + "-" + std::to_string(t) + "-" + std::to_string(i % keys);
    };
    double plainPut = 0, plainGet = 0;
    for (const auto& b : buckets) {
      if (b == "shaped") {
        // (The slices' names spread over the targets by HRW, as EC's D+P targets after the owner.)
        std::string slice = bytes.substr(0, (size + data - 1) / data);
        auto putShaped = [&](int t, uint64_t i) {
          if (!clients[t]->put(b, name(t, i), bytes).ok()) return false;
          for (int s = 0; s < data + parity; ++s) {
            if (!clients[t]->put(b, name(t, i) + ".s" + std::to_string(s), slice).ok())
              return false;
          }
          return true;
        };
        Figures put = runFor(threads, seconds, size, putShaped);
        row(label(size), "plain, EC's bytes (floor)", "PUT", put, plainPut);
        for (int t = 0; t < threads; ++t) {
          for (uint64_t i = 0; i < keys; ++i) (void)putShaped(t, i);
        }
        // A rebuild's floor: D slice-sized objects in, the whole object out.
        Figures get = runFor(threads, seconds, size, [&](int t, uint64_t i) {
          for (int s = 0; s < data; ++s) {
            auto r = clients[t]->get(b, name(t, i) + ".s" + std::to_string(s));
            if (!r.ok() || r->size() != slice.size()) return false;
          }
          auto r = clients[t]->get(b, name(t, i));
          return r.ok() && r->size() == size;
        });
        row(label(size), "plain, a rebuild's bytes (floor)", "GET", get, plainGet);
        continue;
      }
      Figures put = runFor(threads, seconds, size, [&](int t, uint64_t i) {
        return clients[t]->put(b, name(t, i), bytes).ok();
      });
      // Every key exists now (each thread went round its ring at least once, or failed).
      for (int t = 0; t < threads; ++t) {
        for (uint64_t i = 0; i < keys; ++i) (void)clients[t]->put(b, name(t, i), bytes);
      }
      Figures get = runFor(threads, seconds, size, [&](int t, uint64_t i) {
        auto r = clients[t]->get(b, name(t, i));
        return r.ok() && r->size() == size;
      });
      if (b == "plain") {
        plainPut = put.objsPerSec;
        plainGet = get.objsPerSec;
      }
      std::string what = b == "plain" ? "plain"
                         : b == "mirror"
                             ? "mirror 2 copies"
                             : "EC " + std::to_string(data) + "+" + std::to_string(parity);
      row(label(size), what, "PUT", put, plainPut);
      row(label(size), what, "GET", get, plainGet);
    }
    Kept k{size, {}, {}};
    for (int t = 0; t < threads; ++t) {
      for (uint64_t i = 0; i < keys; ++i) k.names.push_back(name(t, i));
    }
    if (std::find(buckets.begin(), buckets.end(), "coded") != buckets.end()) {
      // Objects for the first-read figure (about 2/7 of them have a victim for owner).
      size_t extra = size >= (16 << 20) ? 24 : 192;
      for (size_t i = 0; i < extra; ++i) {
        std::string n = "once-" + std::to_string(size) + "-" + std::to_string(i);
        if (clients[0]->put("coded", n, bytes).ok()) k.once.push_back(n);
      }
    }
    kept.push_back(std::move(k));
  }

  if (std::find(buckets.begin(), buckets.end(), "coded") == buckets.end()) return 0;
  // The victims: the first P targets. Their EC objects, healthy, then degraded.
  auto ids = cluster.targetIds();
  std::vector<std::string> victims(ids.begin(), ids.begin() + parity);
  auto smap = c0.smap(true);
  if (!smap.ok()) return 1;
  std::vector<double> healthy;
  auto victimsOwn = [&](const std::vector<std::string>& names) {
    std::vector<std::string> owned;
    for (auto& n : names) {
      const ais::meta::NodeInfo* owner =
          ais::meta::ownerTarget(*smap, ais::meta::uname("coded", n));
      if (owner && std::find(victims.begin(), victims.end(), owner->id) != victims.end()) {
        owned.push_back(n);
      }
    }
    return owned;
  };
  for (auto& k : kept) {
    k.names = victimsOwn(k.names);
    k.once = victimsOwn(k.once);
    if (k.names.empty()) {
      healthy.push_back(0);
      continue;
    }
    Figures h = runFor(threads, seconds, k.size, [&](int t, uint64_t i) {
      auto r = clients[t]->get("coded", k.names[(t * 7 + i) % k.names.size()]);
      return r.ok() && r->size() == k.size;
    });
    healthy.push_back(h.objsPerSec);
    row(label(k.size), "EC, victims' objects", "GET", h, h.objsPerSec);
  }
  for (const auto& v : victims) cluster.kill(v);
  // Until the primary marks them down, each read tries the dead owner first; then it goes
  // straight to the next target.
  std::this_thread::sleep_for(std::chrono::milliseconds(o.keepaliveTimeoutMs + 1500));
  for (auto& c : clients) (void)c->smap(true);
  for (size_t j = 0; j < kept.size(); ++j) {
    const Kept& k = kept[j];
    if (k.names.empty()) continue;
    std::string down = "EC, " + std::to_string(parity) + " targets down";
    if (!k.once.empty()) {
      Figures first = onceEach(threads, k.once.size(), k.size, [&](int t, size_t i) {
        auto r = clients[t]->get("coded", k.once[i]);
        return r.ok() && r->size() == k.size;
      });
      row(label(k.size), down + ", 1st", "GET", first, healthy[j]);
    }
    Figures d = runFor(threads, seconds, k.size, [&](int t, uint64_t i) {
      auto r = clients[t]->get("coded", k.names[(t * 7 + i) % k.names.size()]);
      return r.ok() && r->size() == k.size;
    });
    row(label(k.size), down + ", again", "GET", d, healthy[j]);
  }
  return 0;
}
