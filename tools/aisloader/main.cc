// aisloader: AIStore's load generator, through this cluster's native (fabric) API or S3
// (-s3endpoint), or, as the reference to compare them with, plain files in a local directory
// (-filedir). Workers PUT and GET objects of random sizes in one bucket for a duration (or
// read the whole bucket -epochs times; or read the cluster map, -getconfig); it prints the
// throughput every interval and, at the end, per operation: count, ops/s, MiB/s, latency
// percentiles and errors.
//
// Flags take AIStore's aisloader spellings (`-bucket=ais://b -duration=30s -numworkers=8
// -pctput=50 -minsize=4KiB -maxsize=1MiB -cleanup=true`) as well as `--name value`.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/heap_tuning.h"
#include "proto/client.h"
#include "tools/ais/format.h"
#include "tools/aisloader/file_store.h"
#include "tools/aisloader/s3_client.h"

namespace ais::loader {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string endpoint;  // fabric host:port (AIS_ENDPOINT), or -ip/-port
  std::string ip, bucket = "", durationText = "10s", minSizeText = "1MiB", maxSizeText = "1MiB";
  int port = 0;
  int workers = 4;
  int pctPut = 50;
  bool cleanup = true, verify = false, json = false;
  uint64_t seed = 0;
  std::string statsIntervalText = "10s";
  std::string s3endpoint;  // S3 mode: http://host:port[/s3]
  int epochs = 0;          // > 0: GET every object of the bucket this many times, then stop
  bool getConfig = false;  // control-plane load: fetch the cluster map, no object I/O
  std::string fileDir;     // reference mode: files in this directory instead of a cluster
};

// What a worker does to the cluster: the native client, or S3 (or local files, the reference).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Status createBucket(const std::string& bucket) = 0;
  virtual Status put(const std::string& bucket, const std::string& name,
                     const std::string& data) = 0;
  virtual Result<std::string> get(const std::string& bucket, const std::string& name) = 0;
  virtual Status remove(const std::string& bucket, const std::string& name) = 0;
  virtual Result<std::vector<std::pair<std::string, uint64_t>>> list(const std::string& bucket) = 0;
  virtual Status getConfig() = 0;
};

class FabricBackend final : public Backend {
 public:
  explicit FabricBackend(std::unique_ptr<Client> c) : c_(std::move(c)) {}
  Status createBucket(const std::string& bucket) override {
    Status st = c_->createBucket(bucket);
    return st.code() == Code::kBucketExists ? Status::OK() : st;
  }
  Status put(const std::string& bucket, const std::string& name, const std::string& data) override {
    return c_->put(bucket, name, data).status();
  }
  Result<std::string> get(const std::string& bucket, const std::string& name) override {
    return c_->get(bucket, name);
  }
  Status remove(const std::string& bucket, const std::string& name) override {
    return c_->remove(bucket, name);
  }
  Result<std::vector<std::pair<std::string, uint64_t>>> list(const std::string& bucket) override {
    std::vector<std::pair<std::string, uint64_t>> out;
    ListOptions lo;
    for (;;) {
      auto page = c_->list(bucket, lo);
      if (!page.ok()) return page.status();
      for (auto& e : page->entries) out.emplace_back(e.name, e.size);
      if (page->continuationToken.empty()) return out;
      lo.continuationToken = page->continuationToken;
    }
  }
  // One fabric round trip to a proxy for the cluster map, the BMD and the config (getMeta).
  Status getConfig() override { return c_->smap(/*refresh=*/true).status(); }

 private:
  std::unique_ptr<Client> c_;
};

class S3Backend final : public Backend {
 public:
  explicit S3Backend(std::unique_ptr<S3Client> c) : c_(std::move(c)) {}
  Status createBucket(const std::string& bucket) override { return c_->createBucket(bucket); }
  Status put(const std::string& bucket, const std::string& name, const std::string& data) override {
    return c_->put(bucket, name, data);
  }
  Result<std::string> get(const std::string& bucket, const std::string& name) override {
    return c_->get(bucket, name);
  }
  Status remove(const std::string& bucket, const std::string& name) override {
    return c_->remove(bucket, name);
  }
  Result<std::vector<std::pair<std::string, uint64_t>>> list(const std::string& bucket) override {
    auto all = c_->listAll(bucket);
    if (!all.ok()) return all.status();
    std::vector<std::pair<std::string, uint64_t>> out;
    for (auto& e : *all) out.emplace_back(std::move(e.key), e.size);
    return out;
  }
  Status getConfig() override {
    return Status(Code::kInvalidArgument, "-getconfig needs the native API");
  }

 private:
  std::unique_ptr<S3Client> c_;
};

// The reference: the same operations on local files (file_store.h).
class FileBackend final : public Backend {
 public:
  explicit FileBackend(const std::string& dir) : f_(dir) {}
  Status createBucket(const std::string& bucket) override { return f_.createBucket(bucket); }
  Status put(const std::string& bucket, const std::string& name, const std::string& data) override {
    return f_.put(bucket, name, data);
  }
  Result<std::string> get(const std::string& bucket, const std::string& name) override {
    return f_.get(bucket, name);
  }
  Status remove(const std::string& bucket, const std::string& name) override {
    return f_.remove(bucket, name);
  }
  Result<std::vector<std::pair<std::string, uint64_t>>> list(const std::string& bucket) override {
    return f_.list(bucket);
  }
  Status getConfig() override {
    return Status(Code::kInvalidArgument, "-getconfig needs the native API");
  }

 private:
  FileStore f_;
};

// One operation kind's results.
struct OpStats {
  uint64_t count = 0, bytes = 0, errors = 0;
  std::vector<double> latenciesMs;
  void merge(const OpStats& o) {
    count += o.count;
    bytes += o.bytes;
    errors += o.errors;
    latenciesMs.insert(latenciesMs.end(), o.latenciesMs.begin(), o.latenciesMs.end());
  }
};

// The bytes of object `name`: derived from it, so a GET can verify content without keeping it.
// Eight bytes per step: a byte per step cost about 1 ms per MiB, as much as a local PUT.
std::string contentOf(const std::string& name, uint64_t size) {
  std::string s(size, '\0');
  uint64_t x = std::hash<std::string>{}(name) | 1;
  for (uint64_t i = 0; i < size; i += sizeof(x)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(s.data() + i, &x, std::min<uint64_t>(sizeof(x), size - i));
  }
  return s;
}

std::optional<double> parseDuration(const std::string& t) {
  try {
    size_t pos = 0;
    double v = std::stod(t, &pos);
    std::string unit = t.substr(pos);
    if (unit.empty() || unit == "s") return v;
    if (unit == "ms") return v / 1000;
    if (unit == "m") return v * 60;
    if (unit == "h") return v * 3600;
  } catch (...) {
  }
  return std::nullopt;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// Shared by the workers: names of objects that exist (to GET), and the running totals.
struct Shared {
  std::mutex mu;
  std::vector<std::pair<std::string, uint64_t>> objects;  // name, size
  std::atomic<uint64_t> puts{0}, gets{0}, putBytes{0}, getBytes{0}, errors{0};
  std::atomic<bool> stop{false};
};

int run(const Config& cfg) {
  std::string endpoint = cfg.endpoint;
  if (!cfg.ip.empty()) endpoint = cfg.ip + ":" + std::to_string(cfg.port);
  bool s3 = !cfg.s3endpoint.empty(), files = !cfg.fileDir.empty();
  if (s3 && files) {
    std::fprintf(stderr, "aisloader: -s3endpoint and -filedir exclude each other\n");
    return 2;
  }
  if (!s3 && !files && endpoint.empty()) {
    std::fprintf(stderr,
                 "aisloader: no endpoint: set AIS_ENDPOINT, -ip and -port, -s3endpoint or "
                 "-filedir\n");
    return 2;
  }
  if ((s3 || files) && cfg.getConfig) {
    std::fprintf(stderr, "aisloader: -getconfig reads the cluster map: native API only\n");
    return 2;
  }
  if (cfg.epochs < 0 || (cfg.epochs > 0 && cfg.pctPut != 0)) {
    std::fprintf(stderr,
                 "aisloader: -epochs N (N > 0) reads the whole bucket N times: it needs "
                 "-pctput=0\n");
    return 2;
  }
  std::string bucket = cfg.bucket;
  if (bucket.rfind("ais://", 0) == 0) bucket = bucket.substr(6);
  if (bucket.rfind("s3://", 0) == 0) bucket = bucket.substr(5);
  while (!bucket.empty() && bucket.back() == '/') bucket.pop_back();
  auto duration = parseDuration(cfg.durationText);
  auto interval = parseDuration(cfg.statsIntervalText);
  auto minSize = cli::parseSize(cfg.minSizeText), maxSize = cli::parseSize(cfg.maxSizeText);
  if ((bucket.empty() && !cfg.getConfig) || !duration || !interval || !minSize || !maxSize ||
      *minSize > *maxSize || cfg.workers < 1 || cfg.pctPut < 0 || cfg.pctPut > 100) {
    std::fprintf(stderr,
                 "aisloader: need -bucket, a -duration (e.g. 30s, 2m), 0 <= -pctput <= 100, "
                 "-numworkers >= 1 and -minsize <= -maxsize\n");
    return 2;
  }

  Client::Options opts;
  opts.endpoint = endpoint;
  S3Credentials creds = S3Credentials::fromEnvironment();
  auto connect = [&]() -> Result<std::unique_ptr<Backend>> {
    if (files) return std::unique_ptr<Backend>(std::make_unique<FileBackend>(cfg.fileDir));
    if (s3) {
      auto c = S3Client::connect(cfg.s3endpoint, creds);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Backend>(std::make_unique<S3Backend>(std::move(*c)));
    }
    auto c = Client::connect(opts);
    if (!c.ok()) return c.status();
    return std::unique_ptr<Backend>(std::make_unique<FabricBackend>(std::move(*c)));
  };
  auto admin = connect();
  if (!admin.ok()) {
    std::fprintf(stderr, "aisloader: %s\n", admin.status().toString().c_str());
    return 7;
  }
  Shared shared;
  if (!cfg.getConfig) {
    Status st = (*admin)->createBucket(bucket);
    if (!st.ok()) {
      std::fprintf(stderr, "aisloader: create %s: %s\n", cfg.bucket.c_str(), st.toString().c_str());
      return 1;
    }
    if (cfg.pctPut < 100) {  // GETs also read what the bucket already holds
      auto all = (*admin)->list(bucket);
      if (!all.ok()) {
        std::fprintf(stderr, "aisloader: list %s: %s\n", cfg.bucket.c_str(),
                     all.status().toString().c_str());
        return 1;
      }
      shared.objects = std::move(*all);
    }
    if (cfg.pctPut == 0 && shared.objects.empty()) {
      std::fprintf(stderr, "aisloader: -pctput=0 and %s is empty: nothing to GET\n",
                   cfg.bucket.c_str());
      return 1;
    }
  }
  // -epochs: every object once per epoch, handed out in order through one counter.
  const uint64_t epochReads = uint64_t(cfg.epochs) * shared.objects.size();
  std::atomic<uint64_t> nextRead{0};

  uint64_t seed =
      cfg.seed ? cfg.seed : static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  std::string runId = fmt::format("{:08x}", static_cast<uint32_t>(seed));
  std::vector<OpStats> putStats(cfg.workers), getStats(cfg.workers), cfgStats(cfg.workers);
  std::vector<std::vector<std::string>> written(cfg.workers);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int w = 0; w < cfg.workers; ++w) {
    threads.emplace_back([&, w] {
      auto client = connect();
      if (!client.ok()) {
        shared.errors.fetch_add(1);
        return;
      }
      std::mt19937_64 rng(seed + static_cast<uint64_t>(w) * 7919);
      for (uint64_t i = 0; !shared.stop; ++i) {
        auto t0 = Clock::now();
        auto ms = [&t0] {
          return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        };
        if (cfg.getConfig) {
          OpStats& s = cfgStats[w];
          if (!(*client)->getConfig().ok()) {
            ++s.errors;
            shared.errors.fetch_add(1);
            continue;
          }
          ++s.count;
          s.latenciesMs.push_back(ms());
          shared.gets.fetch_add(1);
          continue;
        }
        bool put = static_cast<int>(rng() % 100) < cfg.pctPut;
        std::pair<std::string, uint64_t> target;
        if (cfg.epochs > 0) {
          uint64_t k = nextRead.fetch_add(1);
          if (k >= epochReads) {
            shared.stop = true;  // every epoch read
            break;
          }
          target = shared.objects[k % shared.objects.size()];
        } else if (!put) {
          std::lock_guard lock(shared.mu);
          if (shared.objects.empty()) {
            put = true;
          } else {
            target = shared.objects[rng() % shared.objects.size()];
          }
        }
        if (put) {
          uint64_t size = *minSize + (*maxSize > *minSize ? rng() % (*maxSize - *minSize + 1) : 0);
          std::string name = fmt::format("aisloader-{}/{}-{}", runId, w, i);
          std::string data = contentOf(name, size);
          t0 = Clock::now();  // (making the bytes is not the PUT's latency)
          Status r = (*client)->put(bucket, name, data);
          double took = ms();
          OpStats& s = putStats[w];
          if (!r.ok()) {
            ++s.errors;
            shared.errors.fetch_add(1);
            continue;
          }
          ++s.count;
          s.bytes += size;
          s.latenciesMs.push_back(took);
          shared.puts.fetch_add(1);
          shared.putBytes.fetch_add(size);
          written[w].push_back(name);
          std::lock_guard lock(shared.mu);
          shared.objects.emplace_back(name, size);
        } else {
          auto r = (*client)->get(bucket, target.first);
          double took = ms();
          OpStats& s = getStats[w];
          bool bad = !r.ok();
          // Objects this run wrote carry derived bytes: -verify compares them.
          if (!bad && cfg.verify && target.first.rfind("aisloader-" + runId, 0) == 0) {
            bad = *r != contentOf(target.first, target.second);
          }
          if (bad) {
            ++s.errors;
            shared.errors.fetch_add(1);
            continue;
          }
          ++s.count;
          s.bytes += r->size();
          s.latenciesMs.push_back(took);
          shared.gets.fetch_add(1);
          shared.getBytes.fetch_add(r->size());
        }
      }
    });
  }

  // Periodic figures while it runs.
  auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*duration));
  auto next =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*interval));
  uint64_t lastPuts = 0, lastGets = 0, lastPutB = 0, lastGetB = 0;
  auto lastAt = start;
  if (!cfg.json) {
    std::printf("%-10s %-6s %12s %12s %8s\n", "TIME", "OP", "OPS/s", "MiB/s", "ERRORS");
  }
  // (-epochs: until every epoch was read, whatever -duration says)
  if (cfg.epochs > 0) end = Clock::time_point::max();
  while (Clock::now() < end && !shared.stop) {
    std::this_thread::sleep_until(
        std::min({end, next, Clock::now() + std::chrono::milliseconds(100)}));
    if (Clock::now() < next || cfg.json) continue;
    double secs = std::chrono::duration<double>(Clock::now() - lastAt).count();
    double at = std::chrono::duration<double>(Clock::now() - start).count();
    uint64_t p = shared.puts, g = shared.gets, pb = shared.putBytes, gb = shared.getBytes;
    std::printf("%-10s %-6s %12.0f %12.1f %8llu\n", fmt::format("{:.0f}s", at).c_str(), "PUT",
                (p - lastPuts) / secs, (pb - lastPutB) / secs / (1 << 20),
                static_cast<unsigned long long>(shared.errors.load()));
    std::printf("%-10s %-6s %12.0f %12.1f\n", "", cfg.getConfig ? "CFG" : "GET",
                (g - lastGets) / secs, (gb - lastGetB) / secs / (1 << 20));
    std::fflush(stdout);
    lastPuts = p, lastGets = g, lastPutB = pb, lastGetB = gb, lastAt = Clock::now();
    next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*interval));
  }
  shared.stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  OpStats puts, gets, cfgs;
  for (int w = 0; w < cfg.workers; ++w) {
    puts.merge(putStats[w]);
    gets.merge(getStats[w]);
    cfgs.merge(cfgStats[w]);
  }
  // Each worker's objects removed by a thread of their own: one by one, tens of thousands of
  // small PUTs took longer to remove than the run took.
  std::atomic<uint64_t> removed{0}, removeErrors{0};
  if (cfg.cleanup) {
    threads.clear();
    for (auto& names : written) {
      threads.emplace_back([&, &mine = names] {
        auto client = connect();
        for (auto& n : mine) {
          if (client.ok() && (*client)->remove(bucket, n).ok()) {
            removed.fetch_add(1);
          } else {
            removeErrors.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const uint64_t cleaned = removed, cleanupErrors = removeErrors;

  auto opJson = [&](const char* op, OpStats& s) {
    return nlohmann::ordered_json{
        {"op", op},
        {"count", s.count},
        {"bytes", s.bytes},
        {"ops_per_sec", s.count / elapsed},
        {"mib_per_sec", s.bytes / elapsed / (1 << 20)},
        {"latency_ms",
         {{"p50", percentile(s.latenciesMs, 50)},
          {"p90", percentile(s.latenciesMs, 90)},
          {"p99", percentile(s.latenciesMs, 99)},
          {"max", s.latenciesMs.empty()
                      ? 0.0
                      : *std::max_element(s.latenciesMs.begin(), s.latenciesMs.end())}}},
        {"errors", s.errors}};
  };
  std::vector<nlohmann::ordered_json> ops;
  if (cfg.getConfig) {
    ops.push_back(opJson("CFG", cfgs));  // (one cluster-map fetch per operation)
  } else {
    ops.push_back(opJson("PUT", puts));
    ops.push_back(opJson("GET", gets));
  }
  if (cfg.json) {
    const char* api = files ? "files" : s3 ? "s3" : "native";
    nlohmann::ordered_json doc = {
        {"bucket", files ? cfg.fileDir + "/" + bucket : (s3 ? "s3://" : "ais://") + bucket},
        {"api", api},
        {"duration_sec", elapsed},
        {"workers", cfg.workers},
        {"ops", ops},
        {"cleaned_up", cleaned},
        {"cleanup_errors", cleanupErrors}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf("\n%-4s %10s %10s %10s %9s %9s %9s %9s %8s\n", "OP", "COUNT", "OPS/s", "MiB/s",
                "p50 ms", "p90 ms", "p99 ms", "max ms", "ERRORS");
    for (auto& op : ops) {
      auto* j = &op;
      auto& l = (*j)["latency_ms"];
      std::printf("%-4s %10llu %10.0f %10.1f %9.2f %9.2f %9.2f %9.2f %8llu\n",
                  (*j)["op"].get<std::string>().c_str(),
                  static_cast<unsigned long long>((*j)["count"].get<uint64_t>()),
                  (*j)["ops_per_sec"].get<double>(), (*j)["mib_per_sec"].get<double>(),
                  l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                  l["max"].get<double>(),
                  static_cast<unsigned long long>((*j)["errors"].get<uint64_t>()));
    }
    if (cfg.cleanup) {
      std::printf("cleanup: removed %llu objects%s\n", static_cast<unsigned long long>(cleaned),
                  cleanupErrors ? fmt::format(", {} failed", cleanupErrors).c_str() : "");
    }
  }
  return (puts.errors + gets.errors + cfgs.errors + cleanupErrors) == 0 ? 0 : 1;
}

// AIStore's aisloader takes Go-style flags (-name=value, -name value); CLI11 wants --name.
std::vector<std::string> goFlagsToLong(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a[0] == '-' && a[1] != '-') a = "-" + a;
    out.push_back(a);
  }
  std::reverse(out.begin(), out.end());  // CLI11's parse(vector) takes them reversed
  return out;
}

}  // namespace
}  // namespace ais::loader

int main(int argc, char** argv) {
  using ais::loader::Config;
  (void)ais::keepFreedMemory();  // (1 MiB GETs would fault in fresh pages each)
  Config cfg;
  CLI::App app{"aisloader: load generator for AIStore in C++ (native fabric API or S3)"};
  app.add_option("--endpoint", cfg.endpoint, "fabric host:port of any node")
      ->envname("AIS_ENDPOINT");
  app.add_option("--ip", cfg.ip, "node address (with --port; instead of --endpoint)");
  app.add_option("--port", cfg.port, "node fabric port");
  app.add_option("--bucket", cfg.bucket, "ais://BUCKET (created if missing)")->required();
  app.add_option("--duration", cfg.durationText, "how long: 30s, 2m, 1h (default 10s)");
  app.add_option("--numworkers", cfg.workers, "concurrent workers (default 4)");
  app.add_option("--pctput", cfg.pctPut, "percent of operations that are PUTs (default 50)");
  app.add_option("--minsize", cfg.minSizeText, "smallest object: 4KiB, 1MiB, ... (default 1MiB)");
  app.add_option("--maxsize", cfg.maxSizeText, "largest object (default 1MiB)");
  app.add_option("--cleanup", cfg.cleanup, "remove the objects this run wrote (default true)");
  app.add_option("--verify", cfg.verify, "check the bytes of GETs of objects this run wrote");
  app.add_option("--seed", cfg.seed, "random seed (default: from the clock)");
  app.add_option("--statsinterval", cfg.statsIntervalText, "periodic figures every (default 10s)");
  app.add_flag("--json", cfg.json, "final report as JSON only");
  app.add_option(
      "--s3endpoint", cfg.s3endpoint,
      "S3 mode: http://host:port[/s3] (SigV4 with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");
  app.add_option("--epochs", cfg.epochs,
                 "GET every object of the bucket N times, then stop (-pctput=0)");
  app.add_flag("--getconfig", cfg.getConfig,
               "control-plane load: fetch the cluster map (native only)");
  app.add_option("--filedir", cfg.fileDir,
                 "reference mode: no cluster; the same workload on plain files DIR/BUCKET/NAME "
                 "(PUT: work file + rename, no fsync; GET: read the whole file)");
  try {
    app.parse(ais::loader::goFlagsToLong(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ais::loader::run(cfg);
}
