#include "node/jobs.h"

#include <chrono>

#include "common/clock.h"
#include "common/log.h"
#include "node/target/io_workers.h"

namespace ais::node {
namespace {

bool matches(const Job& j, const std::string& id, const std::string& kind) {
  return (id.empty() || j.id == id) && (kind.empty() || j.kind == kind);
}

}  // namespace

const char* jobStateName(JobState s) {
  switch (s) {
    case JobState::kRunning:
      return "running";
    case JobState::kFinished:
      return "finished";
    case JobState::kAborted:
      return "aborted";
    case JobState::kFailed:
      return "failed";
  }
  return "unknown";
}

Status JobRegistry::start(std::string id, std::string kind, std::string bucket, Body run) {
  if (id.empty()) return Status(Code::kInvalidArgument, "a job needs an id");
  for (const auto& j : jobs_) {
    if (j->id == id) return Status(Code::kObjectExists, "job " + id + " already exists here");
  }
  auto owned = std::make_unique<Job>();
  Job& job = *owned;
  job.id = std::move(id);
  job.kind = std::move(kind);
  job.bucket = std::move(bucket);
  job.startNs = unixNowNs();
  auto stop = job.stop;
  // Also stops at shutdown (the registry dropping the job's promise cancels its worker calls).
  job.counters->stopRequested = [stop] {
    return stop->load(std::memory_order_relaxed) || IoWorkers::cancelRequested();
  };
  jobs_.push_back(std::move(owned));
  log::info("job {} ({}{}{}) started", job.id, job.kind, job.bucket.empty() ? "" : " ais://",
            job.bucket);
  kj::Promise<Status> body = nullptr;
  try {
    body = run(job);
  } catch (const kj::Exception& e) {
    body = Status(Code::kInternal, e.getDescription().cStr());
  }
  tasks_.add(body.then([this, &job](Status st) { finish(job, std::move(st)); },
                       [this, &job](kj::Exception&& e) {
                         finish(job, Status(Code::kInternal, e.getDescription().cStr()));
                       }));
  trim();
  return Status::OK();
}

void JobRegistry::finish(Job& job, Status st) {
  job.endNs = unixNowNs();
  bool stopped = job.stop->load();
  if (stopped) {
    job.state = JobState::kAborted;
    job.message = "stopped";
  } else if (st.ok()) {
    job.state = JobState::kFinished;
  } else {
    job.state = JobState::kFailed;
    job.message = st.toString();
  }
  log::info("job {} ({}) {}{}{}", job.id, job.kind, jobStateName(job.state),
            job.message.empty() ? "" : ": ", job.message);
  trim();
}

std::vector<const Job*> JobRegistry::list(const std::string& id, const std::string& kind) const {
  std::vector<const Job*> out;
  for (const auto& j : jobs_) {
    if (matches(*j, id, kind)) out.push_back(j.get());
  }
  return out;
}

uint32_t JobRegistry::stop(const std::string& id, const std::string& kind) {
  uint32_t n = 0;
  for (auto& j : jobs_) {
    if (j->state == JobState::kRunning && matches(*j, id, kind)) {
      j->stop->store(true);
      ++n;
    }
  }
  return n;
}

void JobRegistry::trim() {
  size_t finished = 0;
  for (const auto& j : jobs_) finished += j->state != JobState::kRunning;
  for (auto it = jobs_.begin(); finished > kKeepFinished && it != jobs_.end();) {
    if ((*it)->state != JobState::kRunning) {
      it = jobs_.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
}

void JobRegistry::taskFailed(kj::Exception&& e) {
  log::error("job task: {}", e.getDescription().cStr());
}

}  // namespace ais::node
