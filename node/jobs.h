// Jobs on a node: long-running actions (a bucket's scrub, a rebalance pass) that run in the
// background — on this loop, with their disk work on the I/O workers — outlive the call that
// started them, count their progress, can be stopped, and are remembered for a while after they
// end. One job has one id on every node running a part of it; the cluster-wide view is the
// client's, which asks every node and merges the parts by id (Client::listJobs). Loop-thread only,
// except the counters, which the job's workers update.
#pragma once

#include <kj/async.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/store/store.h"

namespace ais::node {

// objects/bytes done so far, damaged = errors (validate: damaged objects; rebalance: failed
// moves); stopRequested is polled by the job's work between objects.
using JobCounters = store::ScrubCounters;

enum class JobState { kRunning, kFinished, kAborted, kFailed };
const char* jobStateName(JobState s);  // "running", "finished", "aborted", "failed"

struct Job {
  std::string id, kind, bucket;
  JobState state = JobState::kRunning;
  int64_t startNs = 0, endNs = 0;
  std::shared_ptr<JobCounters> counters = std::make_shared<JobCounters>();
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
  std::string message;                          // why it failed or stopped
  std::optional<store::ValidateReport> report;  // validate, once finished
};

class JobRegistry final : private kj::TaskSet::ErrorHandler {
 public:
  static constexpr size_t kKeepFinished = 100;  // finished jobs remembered, newest kept

  JobRegistry() : tasks_(*this) {}

  // Starts `run` as job `id`. The status it resolves to ends the job: OK is finished (aborted if a
  // stop was asked), an error is failed (aborted if a stop was asked). kObjectExists if a job with
  // this id runs or ran here.
  using Body = std::function<kj::Promise<Status>(Job&)>;
  Status start(std::string id, std::string kind, std::string bucket, Body run);
  // Jobs matching id and kind (an empty filter matches all), oldest first.
  std::vector<const Job*> list(const std::string& id, const std::string& kind) const;
  // Asks the running jobs matching id or kind to stop; how many were asked.
  uint32_t stop(const std::string& id, const std::string& kind);

 private:
  void finish(Job& job, Status st);
  void trim();
  void taskFailed(kj::Exception&& exception) override;

  std::deque<std::unique_ptr<Job>> jobs_;  // oldest first; running ones are never trimmed
  kj::TaskSet tasks_;
};

}  // namespace ais::node
