// A node's metrics, served in Prometheus's text format at GET /metrics by the node's HTTP gateway
// (prometheus-cpp's registry and serializer behind this one class).
//
// Names follow AIStore's (its monitoring-metrics reference): on a target, per object operation,
// ais_target_<op>_count, ais_target_<op>_bytes (GET, PUT), ais_target_<op>_ns_total and
// ais_target_err_<op>_count, labelled node_id and bucket; beside them a latency histogram per
// operation (ais_target_<op>_latency_seconds) and errors by kind
// (ais_target_errors_total{op,kind}, kind = the status name, e.g. ObjectCorrupted). Every node's
// gateway counts its HTTP requests (ais_http_requests_total{api,method,code}, a duration
// histogram per api). Gauges: uptime, and on targets each mountpath's capacity/used/available
// bytes, the integrity counters, and each job's progress (ais_job_*{xkind,job_id}).
//
// Counters are atomics: any thread records. Gauges are set by the node's loop (refreshGauges).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace ais::node {

// The object operations a target serves (AIStore's short names: get put head del ren lst).
enum class MetricOp { kGet, kPut, kHead, kDelete, kRename, kList };

class Metrics {
 public:
  using Clock = std::chrono::steady_clock;

  // role: "target" or "proxy" (the prefix of role metrics; a node with --role all is a target).
  Metrics(const std::string& nodeId, const std::string& role);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One object operation this target served, from any front end (fabric or its own gateway):
  // its bucket, the bytes it moved (GET: sent; PUT: stored; others 0), when it started, and how
  // it ended (not OK: counted as an error of its kind instead of an operation; StaleSmap and
  // ObjectMoved, which send the client to another target, count as neither).
  void record(MetricOp op, const std::string& bucket, uint64_t bytes, Clock::time_point start,
              const Status& result);
  // One HTTP request the gateway answered: api ("s3", "v1", "other"), method, status code.
  void recordHttp(std::string_view api, std::string_view method, int code, Clock::time_point start);

  // Gauges, from the node's loop thread.
  struct MountpathUse {
    std::string path;
    uint64_t capacity = 0, used = 0, available = 0;
  };
  struct JobProgress {
    std::string id, kind;
    uint64_t objects = 0, bytes = 0, errors = 0;
    bool running = false;
  };
  struct Integrity {
    uint64_t corruptReads = 0, missingFiles = 0, quarantined = 0;
  };
  // integrity: nullptr on a proxy.
  void refreshGauges(const std::vector<MountpathUse>& mountpaths,
                     const std::vector<JobProgress>& jobs, const Integrity* integrity);

  // Everything, in the text exposition format (version 0.0.4).
  std::string render() const;
  // Every counter and gauge (histograms: their _count and _sum) as "name{label=\"v\",...}" and
  // its value, for AIStore's JSON stats (GET /v1/daemon?what=stats): the same numbers.
  std::vector<std::pair<std::string, double>> samples() const;

 private:
  struct OpSeries;
  OpSeries& series(MetricOp op, const std::string& bucket);

  std::shared_ptr<prometheus::Registry> registry_;
  std::string prefix_;  // "ais_target_" or "ais_proxy_"
  Clock::time_point started_;

  prometheus::Family<prometheus::Counter>* errorsByKind_ = nullptr;
  prometheus::Family<prometheus::Counter>* httpRequests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* httpSeconds_ = nullptr;
  prometheus::Family<prometheus::Gauge>* uptime_ = nullptr;
  prometheus::Family<prometheus::Gauge>* mountpath_ = nullptr;
  prometheus::Family<prometheus::Gauge>* integrity_ = nullptr;
  prometheus::Family<prometheus::Gauge>* jobs_ = nullptr;
  std::vector<prometheus::Family<prometheus::Counter>*> count_, bytes_, ns_, errors_;  // by op
  std::vector<prometheus::Family<prometheus::Histogram>*> latency_;                    // by op

  // Caches of the series already made (prometheus-cpp's Family::Add takes an exclusive lock and
  // hashes the labels: not on every request). The series themselves are thread-safe.
  mutable std::shared_mutex mu_;
  std::vector<std::map<std::string, std::unique_ptr<OpSeries>, std::less<>>> series_;  // by op
  struct HttpSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* seconds;
  };
  std::map<std::string, HttpSeries, std::less<>> http_;  // by "api method code"
  std::vector<prometheus::Gauge*> jobGauges_;  // set by the last refresh (loop thread only)
};

}  // namespace ais::node
