// Client jobs: start, list and stop a job's parts on every node, and the scrub as a job
// (validateBucket), polled until every target's part ended.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {
namespace {

ValidateResult reportFromWire(const std::string& target, wire::ValidateReport::Reader rep) {
  ValidateResult v;
  v.targetId = target;
  v.objects = rep.getObjects();
  v.bytes = rep.getBytes();
  for (auto n : rep.getCorrupt()) v.corrupt.push_back(proto::str(n));
  for (auto n : rep.getMissing()) v.missing.push_back(proto::str(n));
  for (auto n : rep.getOrphaned()) v.orphaned.push_back(proto::str(n));
  for (auto n : rep.getErrors()) v.errors.push_back(proto::str(n));
  for (auto n : rep.getRepaired()) v.repaired.push_back(proto::str(n));
  return v;
}

JobInfo jobFromWire(wire::JobInfo::Reader j) {
  JobInfo out;
  out.id = proto::str(j.getId());
  out.kind = proto::str(j.getKind());
  out.bucket = proto::str(j.getBucket());
  out.node = proto::str(j.getNode());
  out.state = proto::str(j.getState());
  out.startNs = j.getStartNs();
  out.endNs = j.getEndNs();
  out.objects = j.getObjects();
  out.bytes = j.getBytes();
  out.errors = j.getErrors();
  out.message = proto::str(j.getMessage());
  if (j.hasReport()) out.report = reportFromWire(out.node, j.getReport());
  return out;
}

// What one node answered to a job call: its status, and for listJobs its parts.
struct NodeAnswer {
  std::string node;
  Status status;
  std::vector<JobInfo> jobs;
  uint32_t stopped = 0;
};

}  // namespace

std::string Client::newJobId(const std::string& kind) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::string id = kind + "-";
  for (int i = 0; i < 8; ++i) id += kAlphabet[gen() % (sizeof(kAlphabet) - 1)];
  return id;
}

namespace {

// Sends `make(node)`'s request to every node in `nodes` at once (10 s each) and collects what
// each answered; an unreachable node answers with the transport error.
template <typename MakeCall>
Result<std::vector<NodeAnswer>> askNodes(Client::Impl& impl,
                                         const std::vector<const meta::NodeInfo*>& nodes,
                                         MakeCall make) {
  using Answers = std::vector<NodeAnswer>;
  return impl.onLoop<Answers>([&]() -> kj::Promise<Result<Answers>> {
    kj::Vector<kj::Promise<NodeAnswer>> asks;
    for (const meta::NodeInfo* n : nodes) {
      std::string ep = n->rpcEndpoint, id = n->id;
      asks.add(impl.pool_->timer()
                   .timeoutAfter(10 * kj::SECONDS, make(impl.pool_->get(ep), id))
                   .catch_([&impl, ep, id](kj::Exception&& e) {
                     impl.pool_->drop(ep);
                     return NodeAnswer{id, proto::statusFromException(e), {}, 0};
                   }));
    }
    return kj::joinPromises(asks.releaseAsArray())
        .then([](kj::Array<NodeAnswer>&& all) -> Result<Answers> {
          Answers out;
          for (auto& a : all) out.push_back(std::move(a));
          return out;
        });
  });
}

// Every node of the Smap once (a node in both roles answers for both).
std::vector<const meta::NodeInfo*> everyNode(const meta::Smap& smap) {
  std::vector<const meta::NodeInfo*> out;
  std::set<std::string> endpoints;
  for (const auto& n : smap.nodes) {
    if (endpoints.insert(n.rpcEndpoint).second) out.push_back(&n);
  }
  return out;
}

}  // namespace

Status Client::startJob(const std::string& id, const std::string& kind, const std::string& bucket) {
  auto smap = impl_->currentSmap();
  std::map<std::string, std::string> parts;
  for (const auto* t : smap->activeTargets()) parts[t->id] = "";
  return startJob(id, kind, bucket, parts);
}

Status Client::startJob(const std::string& id, const std::string& kind, const std::string& bucket,
                        const std::map<std::string, std::string>& paramsByTarget) {
  auto smap = impl_->currentSmap();
  std::vector<const meta::NodeInfo*> targets;
  auto active = smap->activeTargets();
  for (const auto& [tid, params] : paramsByTarget) {
    auto t = std::find_if(active.begin(), active.end(), [&](auto* n) { return n->id == tid; });
    if (t == active.end()) {
      return Status(Code::kUnavailable, "target " + tid + " is not an active target");
    }
    targets.push_back(*t);
  }
  if (targets.empty()) return Status(Code::kNoTargets);
  auto answers = askNodes(*impl_, targets, [&](wire::Node::Client node, std::string nodeId) {
    auto req = node.startJobRequest();
    req.setId(id);
    req.setKind(kind);
    req.setBucket(bucket);
    req.setParams(paramsByTarget.at(nodeId));
    return req.send().then([nodeId](auto&& r) {
      return NodeAnswer{nodeId, proto::toStatus(r.getStatus()), {}, 0};
    });
  });
  if (!answers.ok()) return answers.status();
  for (const auto& a : *answers) {
    if (a.status.code() != Code::kObjectExists) continue;
    // The id is taken: a job of that id runs (or ran) there, which a rollback would stop.
    return Status(a.status.code(), "target " + a.node + ": job " + id + " exists");
  }
  for (const auto& a : *answers) {
    if (a.status.ok()) continue;
    (void)stopJob(id);  // all or nothing: the parts that started stop
    return Status(a.status.code(), "target " + a.node + ": " + a.status.message());
  }
  return Status::OK();
}

Result<JobList> Client::listJobs(const std::string& id, const std::string& kind) {
  auto smap = impl_->currentSmap();
  auto answers =
      askNodes(*impl_, everyNode(*smap), [&](wire::Node::Client node, std::string nodeId) {
        auto req = node.listJobsRequest();
        req.setId(id);
        req.setKind(kind);
        return req.send().then([nodeId](auto&& r) {
          NodeAnswer a{nodeId, proto::toStatus(r.getStatus()), {}, 0};
          for (auto j : r.getJobs()) a.jobs.push_back(jobFromWire(j));
          return a;
        });
      });
  if (!answers.ok()) return answers.status();
  JobList out;
  for (auto& a : *answers) {
    if (!a.status.ok()) {
      out.unreachable.emplace_back(a.node, a.status);
      continue;
    }
    for (auto& j : a.jobs) out.parts.push_back(std::move(j));
  }
  return out;
}

Result<uint32_t> Client::stopJob(const std::string& id, const std::string& kind) {
  if (id.empty() && kind.empty()) {
    return Status(Code::kInvalidArgument, "stop which job? give an id or a kind");
  }
  auto smap = impl_->currentSmap();
  auto answers =
      askNodes(*impl_, everyNode(*smap), [&](wire::Node::Client node, std::string nodeId) {
        auto req = node.stopJobRequest();
        req.setId(id);
        req.setKind(kind);
        return req.send().then([nodeId](auto&& r) {
          return NodeAnswer{nodeId, proto::toStatus(r.getStatus()), {}, r.getStopped()};
        });
      });
  if (!answers.ok()) return answers.status();
  uint32_t n = 0;
  for (const auto& a : *answers) n += a.stopped;
  return n;
}

std::vector<JobSummary> summarizeJobs(const JobList& list) {
  std::map<std::string, JobSummary> byId;
  for (const auto& p : list.parts) {
    JobSummary& m = byId[p.id];
    if (m.parts.empty()) {
      m.id = p.id;
      m.kind = p.kind;
      m.bucket = p.bucket;
      m.startNs = p.startNs;
    }
    m.startNs = std::min(m.startNs, p.startNs);
    m.endNs = std::max(m.endNs, p.endNs);
    m.objects += p.objects;
    m.bytes += p.bytes;
    m.errors += p.errors;
    m.parts.push_back(p);
  }
  std::vector<JobSummary> out;
  for (auto& [id, m] : byId) {
    auto any = [&](const char* s) {
      return std::any_of(m.parts.begin(), m.parts.end(),
                         [&](const JobInfo& p) { return p.state == s; });
    };
    m.state = any("running")   ? "running"
              : any("failed")  ? "failed"
              : any("aborted") ? "aborted"
                               : "finished";
    if (m.state == "running") m.endNs = 0;
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const JobSummary& a, const JobSummary& b) { return a.startNs < b.startNs; });
  return out;
}

Result<std::vector<ValidateResult>> Client::validateBucket(
    const std::string& bucket, ScrubProgressFn progress,
    std::function<void(const std::string& jobId)> started) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  auto targets = impl_->currentSmap()->activeTargets();
  std::string id = newJobId("validate");
  AIS_RETURN_IF_ERROR(startJob(id, "validate", bucket));
  if (started) started(id);
  std::map<std::string, ValidateResult> results;  // by target, once its part ended
  std::map<std::string, int> silent;              // consecutive polls a target did not answer
  for (const meta::NodeInfo* t : targets) silent[t->id] = 0;
  auto poll = std::chrono::milliseconds(100);
  for (;;) {
    sleepOrSuspend(poll);
    poll = std::min(poll * 2, std::chrono::milliseconds(500));
    auto list = listJobs(id);
    if (!list.ok()) return list.status();
    uint64_t objects = 0, bytes = 0, damaged = 0;
    for (const auto& part : list->parts) {
      objects += part.objects;
      bytes += part.bytes;
      damaged += part.errors;
      if (part.running() || results.count(part.node)) continue;
      ValidateResult r = part.report.value_or(ValidateResult{});
      r.targetId = part.node;
      if (part.state != "finished") {
        r.status =
            Status(part.state == "aborted" ? Code::kInternal : Code::kIoError,
                   "validate " + part.state + (part.message.empty() ? "" : ": ") + part.message);
      }
      results[part.node] = std::move(r);
    }
    // A target that does not answer, or answers without its part (it restarted: jobs live in
    // memory), for 3 polls in a row ends its part with the reason.
    std::map<std::string, Status> missing;
    for (const auto& [node, why] : list->unreachable) missing[node] = why;
    for (const meta::NodeInfo* t : targets) {
      bool seen = std::any_of(list->parts.begin(), list->parts.end(),
                              [&](const JobInfo& p) { return p.node == t->id; });
      if (seen) silent[t->id] = 0;
      if (!seen && !missing.count(t->id)) {
        missing[t->id] = Status(Code::kInternal, "its part of job " + id + " is gone (restarted?)");
      }
    }
    for (const auto& [node, why] : missing) {
      if (silent.count(node) && !results.count(node) && ++silent[node] >= 3) {
        ValidateResult r;
        r.targetId = node;
        r.status = why;
        results[node] = std::move(r);
      }
    }
    if (progress) progress(objects, bytes, damaged);
    if (results.size() >= targets.size()) break;
  }
  std::vector<ValidateResult> out;
  for (auto& [node, r] : results) out.push_back(std::move(r));
  return out;
}

}  // namespace ais
