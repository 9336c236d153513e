#include "node/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ais::node {

namespace {

constexpr const char* kOpNames[] = {"get", "put", "head", "del", "ren", "lst"};
constexpr const char* kOpHelp[] = {"GET(object)",    "PUT(object)",    "HEAD(object)",
                                   "DELETE(object)", "rename(object)", "list-objects"};
constexpr size_t kOps = std::size(kOpNames);

// Seconds: from a cached hot GET (tens of µs) to a large object over a slow disk.
const prometheus::Histogram::BucketBoundaries& latencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return b;
}

double secondsSince(Metrics::Clock::time_point start) {
  return std::chrono::duration<double>(Metrics::Clock::now() - start).count();
}

}  // namespace

struct Metrics::OpSeries {
  prometheus::Counter* count;
  prometheus::Counter* bytes;  // GET and PUT only
  prometheus::Counter* ns;
  prometheus::Counter* errors;
  prometheus::Histogram* latency;
};

Metrics::Metrics(const std::string& nodeId, const std::string& role)
    : registry_(std::make_shared<prometheus::Registry>()),
      prefix_("ais_" + role + "_"),
      started_(Clock::now()),
      series_(kOps) {
  const prometheus::Labels node{{"node_id", nodeId}};
  auto counter = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Labels(node).Register(*registry_);
  };
  auto gauge = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Labels(node).Register(*registry_);
  };
  auto histogram = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildHistogram().Name(name).Help(help).Labels(node).Register(*registry_);
  };
  for (size_t i = 0; i < kOps; ++i) {
    std::string op = kOpNames[i], what = kOpHelp[i];
    count_.push_back(
        counter(prefix_ + op + "_count", "total number of executed " + what + " requests"));
    bytes_.push_back(
        i == size_t(MetricOp::kGet) || i == size_t(MetricOp::kPut)
            ? counter(prefix_ + op + "_bytes", what + ": total cumulative size (bytes)")
            : nullptr);
    ns_.push_back(
        counter(prefix_ + op + "_ns_total", what + ": total cumulative time (nanoseconds)"));
    errors_.push_back(
        counter(prefix_ + "err_" + op + "_count", "total number of " + what + " errors"));
    latency_.push_back(histogram(prefix_ + op + "_latency_seconds", what + ": latency (seconds)"));
  }
  errorsByKind_ = counter(prefix_ + "errors_total",
                          "failed object operations by operation and kind (status name)");
  httpRequests_ = counter("ais_http_requests_total",
                          "HTTP requests answered by this node's gateway, by api, method and code");
  httpSeconds_ = histogram("ais_http_request_duration_seconds",
                           "HTTP request duration (seconds) by api, to the last byte sent");
  uptime_ = gauge(prefix_ + "uptime", "this node's uptime since its startup (seconds)");
  mountpath_ = gauge(prefix_ + "mountpath_bytes",
                     "a mountpath's file system: capacity, used and available bytes");
  integrity_ =
      gauge(prefix_ + "integrity_count",
            "reads refused for damage (corrupt, missing) and files quarantined since start");
  jobs_ = gauge("ais_job_progress", "a job's objects, bytes and errors so far, and running (1/0)");
}

Metrics::~Metrics() = default;

Metrics::OpSeries& Metrics::series(MetricOp op, const std::string& bucket) {
  size_t i = size_t(op);
  {
    std::shared_lock lock(mu_);
    if (auto it = series_[i].find(bucket); it != series_[i].end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = series_[i][bucket];
  if (!slot) {
    const prometheus::Labels labels{{"bucket", bucket}};
    slot = std::make_unique<OpSeries>(
        OpSeries{&count_[i]->Add(labels), bytes_[i] ? &bytes_[i]->Add(labels) : nullptr,
                 &ns_[i]->Add(labels), &errors_[i]->Add(labels),
                 // One histogram per operation (not per bucket): bounded series.
                 &latency_[i]->Add({}, latencyBuckets())});
  }
  return *slot;
}

void Metrics::record(MetricOp op, const std::string& bucket, uint64_t bytes,
                     Clock::time_point start, const Status& result) {
  if (result.code() == Code::kStaleSmap || result.code() == Code::kObjectMoved) return;
  OpSeries& s = series(op, bucket);
  auto took = Clock::now() - start;
  if (!result.ok()) {
    s.errors->Increment();
    errorsByKind_
        ->Add({{"op", kOpNames[size_t(op)]}, {"kind", std::string(codeName(result.code()))}})
        .Increment();
    return;
  }
  s.count->Increment();
  if (s.bytes) s.bytes->Increment(double(bytes));
  s.ns->Increment(double(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
  s.latency->Observe(std::chrono::duration<double>(took).count());
}

void Metrics::recordHttp(std::string_view api, std::string_view method, int code,
                         Clock::time_point start) {
  // "API METHOD CODE", built by hand: this runs on every request (snprintf's parsing showed).
  char key[64];
  size_t n = 0;
  auto put = [&](std::string_view part) {  // (each at most 24 bytes: the code's 11 still fit)
    part = part.substr(0, 24);
    std::memcpy(key + n, part.data(), part.size());
    n += part.size();
    key[n++] = ' ';
  };
  put(api);
  put(method);
  n = size_t(std::to_chars(key + n, key + sizeof key, code).ptr - key);
  std::string_view k(key, n);
  HttpSeries s{};
  {
    std::shared_lock lock(mu_);
    if (auto it = http_.find(k); it != http_.end()) s = it->second;
  }
  if (!s.requests) {
    std::unique_lock lock(mu_);
    auto& slot = http_[std::string(k)];
    if (!slot.requests) {
      slot.requests = &httpRequests_->Add({{"api", std::string(api)},
                                           {"method", std::string(method)},
                                           {"code", std::to_string(code)}});
      slot.seconds = &httpSeconds_->Add({{"api", std::string(api)}}, latencyBuckets());
    }
    s = slot;
  }
  s.requests->Increment();
  s.seconds->Observe(secondsSince(start));
}

void Metrics::refreshGauges(const std::vector<MountpathUse>& mountpaths,
                            const std::vector<JobProgress>& jobs, const Integrity* integrity) {
  for (const auto& mp : mountpaths) {
    mountpath_->Add({{"mountpath", mp.path}, {"kind", "capacity"}}).Set(double(mp.capacity));
    mountpath_->Add({{"mountpath", mp.path}, {"kind", "used"}}).Set(double(mp.used));
    mountpath_->Add({{"mountpath", mp.path}, {"kind", "available"}}).Set(double(mp.available));
  }
  if (integrity) {
    integrity_->Add({{"kind", "corrupt_reads"}}).Set(double(integrity->corruptReads));
    integrity_->Add({{"kind", "missing_files"}}).Set(double(integrity->missingFiles));
    integrity_->Add({{"kind", "quarantined"}}).Set(double(integrity->quarantined));
  }

  // Jobs come and go (the registry keeps the last finished ones): drop the series of jobs gone.
  std::vector<prometheus::Gauge*> now;
  for (const auto& j : jobs) {
    auto set = [&](const char* what, double v) {
      prometheus::Gauge& g = jobs_->Add({{"xkind", j.kind}, {"job_id", j.id}, {"what", what}});
      g.Set(v);
      now.push_back(&g);
    };
    set("objects", double(j.objects));
    set("bytes", double(j.bytes));
    set("errors", double(j.errors));
    set("running", j.running ? 1 : 0);
  }
  for (prometheus::Gauge* old : jobGauges_) {
    if (std::find(now.begin(), now.end(), old) == now.end()) jobs_->Remove(old);
  }
  jobGauges_ = std::move(now);
}

std::string Metrics::render() const {
  uptime_->Add({}).Set(secondsSince(started_));
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::vector<std::pair<std::string, double>> Metrics::samples() const {
  uptime_->Add({}).Set(secondsSince(started_));
  std::vector<std::pair<std::string, double>> out;
  for (const auto& family : registry_->Collect()) {
    for (const auto& m : family.metric) {
      std::string labels;
      for (const auto& l : m.label) {
        if (l.name == "node_id") continue;  // (the node is the reply's)
        labels += (labels.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
      }
      std::string name = family.name + (labels.empty() ? "" : "{" + labels + "}");
      switch (family.type) {
        case prometheus::MetricType::Counter:
          out.emplace_back(name, m.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          out.emplace_back(name, m.gauge.value);
          break;
        case prometheus::MetricType::Histogram:
          out.emplace_back(family.name + "_count" + (labels.empty() ? "" : "{" + labels + "}"),
                           static_cast<double>(m.histogram.sample_count));
          out.emplace_back(family.name + "_sum" + (labels.empty() ? "" : "{" + labels + "}"),
                           m.histogram.sample_sum);
          break;
        default:
          break;
      }
    }
  }
  return out;
}

}  // namespace ais::node
