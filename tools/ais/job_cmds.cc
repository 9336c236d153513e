// `ais job ls|show|stop|wait`: the cluster's jobs (scrubs, ...). Each node runs its part of a job
// under the job's id; these commands merge the parts by id.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/progress.h"

namespace ais::cli {
namespace {

std::string elapsed(const JobSummary& m) {
  int64_t end = m.endNs;
  if (end == 0) {
    end = std::chrono::duration_cast<std::chrono::nanoseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  }
  double s = static_cast<double>(end - m.startNs) / 1e9;
  return fmt::format("{:.1f}s", std::max(0.0, s));
}

nlohmann::ordered_json partJson(const JobInfo& p) {
  return {{"node", p.node},
          {"state", p.state},
          {"objects", p.objects},
          {"bytes", p.bytes},
          {"errors", p.errors},
          {"start", formatTime(p.startNs)},
          {"end", formatTime(p.endNs)},
          {"message", p.message}};
}

nlohmann::ordered_json jobJson(const JobSummary& m, bool withParts) {
  nlohmann::ordered_json j = {{"id", m.id},
                              {"kind", m.kind},
                              {"bucket", m.bucket.empty() ? "" : "ais://" + m.bucket},
                              {"state", m.state},
                              {"objects", m.objects},
                              {"bytes", m.bytes},
                              {"errors", m.errors},
                              {"start", formatTime(m.startNs)},
                              {"end", formatTime(m.endNs)},
                              {"nodes", m.parts.size()}};
  if (withParts) {
    auto parts = nlohmann::ordered_json::array();
    for (const JobInfo& p : m.parts) parts.push_back(partJson(p));
    j["parts"] = std::move(parts);
  }
  return j;
}

void warnUnreachable(const JobList& list) {
  for (const auto& [node, why] : list.unreachable) {
    std::fprintf(stderr, "warning: node %s did not answer (%s): its jobs are not shown\n",
                 node.c_str(), why.toString().c_str());
  }
}

int ls(Cli& cli, const std::string& kind, bool all, bool json) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto list = (*client)->listJobs("", kind);
  if (!list.ok()) return fail(list.status());
  warnUnreachable(*list);
  auto jobs = summarizeJobs(*list);
  if (!all) {
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [](const JobSummary& m) { return m.state != "running"; }),
               jobs.end());
  }
  if (json) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& m : jobs) arr.push_back(jobJson(m, false));
    std::printf("%s\n", arr.dump(2).c_str());
    return kExitOk;
  }
  if (jobs.empty()) {
    std::printf(all ? "No jobs.\n" : "No running jobs (--all shows finished ones too).\n");
    return kExitOk;
  }
  Table t(
      {"ID", "KIND", "BUCKET", "STATE", "OBJECTS", "SIZE", "ERRORS", "NODES", "START", "ELAPSED"});
  for (const auto& m : jobs) {
    t.addRow({m.id, m.kind, m.bucket.empty() ? "-" : "ais://" + m.bucket, m.state,
              std::to_string(m.objects), humanSize(m.bytes), std::to_string(m.errors),
              std::to_string(m.parts.size()), formatTime(m.startNs), elapsed(m)});
  }
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

Result<JobSummary> findJob(const JobList& list, const std::string& id) {
  auto jobs = summarizeJobs(list);
  for (auto& m : jobs) {
    if (m.id == id) return m;
  }
  return Status(Code::kObjectNotFound, "no job " + id + " on any node that answered");
}

// A job id as given, or for a kind (rebalance, resilver, ...) its newest job: the running one
// started last, else the one started last.
Result<std::string> resolveJobId(Client& client, const std::string& idOrKind) {
  auto byId = client.listJobs(idOrKind);
  AIS_RETURN_IF_ERROR(byId);
  if (findJob(*byId, idOrKind).ok()) return idOrKind;
  auto byKind = client.listJobs("", idOrKind);
  AIS_RETURN_IF_ERROR(byKind);
  const JobSummary* best = nullptr;
  auto jobs = summarizeJobs(*byKind);
  for (const auto& m : jobs) {
    bool running = m.state == "running";
    if (!best || running > (best->state == "running") ||
        (running == (best->state == "running") && m.startNs > best->startNs)) {
      best = &m;
    }
  }
  if (!best) {
    return Status(Code::kObjectNotFound,
                  "no job with id or kind " + idOrKind + " on any node that answered");
  }
  return best->id;
}

int showJob(Cli& cli, const std::string& idOrKind, bool json) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto resolved = resolveJobId(**client, idOrKind);
  if (!resolved.ok()) return fail(resolved.status());
  const std::string& id = *resolved;
  auto list = (*client)->listJobs(id);
  if (!list.ok()) return fail(list.status());
  warnUnreachable(*list);
  auto m = findJob(*list, id);
  if (!m.ok()) return fail(m.status());
  if (json) {
    std::printf("%s\n", jobJson(*m, true).dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s: %s%s, %s (%s), %llu objects, %s, %llu errors\n", m->id.c_str(), m->kind.c_str(),
              m->bucket.empty() ? "" : (" ais://" + m->bucket).c_str(), m->state.c_str(),
              elapsed(*m).c_str(), static_cast<unsigned long long>(m->objects),
              humanSize(m->bytes).c_str(), static_cast<unsigned long long>(m->errors));
  Table t({"NODE", "STATE", "OBJECTS", "SIZE", "ERRORS", "START", "END", "MESSAGE"});
  for (const JobInfo& p : m->parts) {
    t.addRow({p.node, p.state, std::to_string(p.objects), humanSize(p.bytes),
              std::to_string(p.errors), formatTime(p.startNs), formatTime(p.endNs),
              p.message.empty() ? "-" : p.message});
  }
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

// `ais show rebalance`: the newest rebalance (the highest Smap version in its id), node by node.
int showRebalance(Cli& cli, bool json) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto list = (*client)->listJobs("", "rebalance");
  if (!list.ok()) return fail(list.status());
  std::string newest;
  uint64_t newestVersion = 0;
  for (const auto& m : summarizeJobs(*list)) {
    constexpr std::string_view kPrefix = "rebalance-v";
    if (m.id.rfind(kPrefix, 0) != 0) continue;
    uint64_t v = std::strtoull(m.id.c_str() + kPrefix.size(), nullptr, 10);
    if (newest.empty() || v > newestVersion) {
      newest = m.id;
      newestVersion = v;
    }
  }
  if (newest.empty()) {
    if (json) {
      std::printf("null\n");
    } else {
      std::printf("No rebalance has run since the targets started.\n");
    }
    return kExitOk;
  }
  return showJob(cli, newest, json);
}

int stop(Cli& cli, const std::string& what) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  // An id has a dash ("validate-x1y2z3w4"); a kind does not.
  bool isId = what.find('-') != std::string::npos;
  auto n = (*client)->stopJob(isId ? what : "", isId ? "" : what);
  if (!n.ok()) return fail(n.status());
  if (*n == 0) return fail(Status(Code::kObjectNotFound, "no running job " + what));
  std::printf("asked %u running part%s of %s to stop\n", *n, *n == 1 ? "" : "s", what.c_str());
  return kExitOk;
}

// Exit 0 once finished; 1 if it failed or was stopped; 7 on timeout.
int wait(Cli& cli, const std::string& idOrKind, double timeoutSec) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto resolved = resolveJobId(**client, idOrKind);
  if (!resolved.ok()) return fail(resolved.status());
  const std::string& id = *resolved;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeoutSec * 1000));
  ProgressBar bar("job " + id, true);
  for (;;) {
    auto list = (*client)->listJobs(id);
    if (!list.ok()) return fail(list.status());
    auto m = findJob(*list, id);
    if (!m.ok()) return fail(m.status());
    bar.setLabel(fmt::format("{} {}: {} objects, {} errors,", m->kind, id, m->objects, m->errors));
    bar.update(m->bytes, 0);
    if (m->state != "running") {
      bar.finish();
      std::printf("%s %s: %llu objects, %s, %llu errors\n", id.c_str(), m->state.c_str(),
                  static_cast<unsigned long long>(m->objects), humanSize(m->bytes).c_str(),
                  static_cast<unsigned long long>(m->errors));
      for (const JobInfo& p : m->parts) {  // why a part failed or stopped
        if (!p.message.empty())
          std::fprintf(stderr, "  %s: %s\n", p.node.c_str(), p.message.c_str());
      }
      return m->state == "finished" ? kExitOk : kExitOther;
    }
    if (timeoutSec > 0 && std::chrono::steady_clock::now() >= deadline) {
      bar.finish();
      return fail(Status(Code::kTimeout, "job " + id + " still running"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

int waitForJob(Cli& cli, const std::string& id, double timeoutSec) {
  return wait(cli, id, timeoutSec);
}

void addJobCommands(CLI::App& app, Cli& cli) {
  auto* job =
      app.add_subcommand("job", "Jobs (long-running cluster actions): ls, show, stop, wait");
  job->require_subcommand(1);

  {
    auto* showCmd = app.get_subcommand("show");  // (addClusterCommands made it)
    auto* reb = showCmd->add_subcommand(
        "rebalance", "The newest rebalance, target by target: state, objects and bytes moved");
    auto rebJson = std::make_shared<bool>(false);
    reb->add_flag("--json,-j", *rebJson, "JSON output");
    reb->callback(
        [&cli, rebJson] { cli.action = [&cli, rebJson] { return showRebalance(cli, *rebJson); }; });
  }
  auto* l = job->add_subcommand("ls", "List running jobs (--all: finished ones too)");
  auto kind = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  l->add_option("KIND", *kind, "only jobs of this kind (validate, ...)");
  l->add_flag("--all,-a", *all, "include finished, stopped and failed jobs");
  l->add_flag("--json,-j", *json, "JSON output");
  l->callback([&cli, kind, all, json] {
    cli.action = [&cli, kind, all, json] { return ls(cli, *kind, *all, *json); };
  });

  auto* s = job->add_subcommand("show", "One job, part by part");
  auto id = std::make_shared<std::string>();
  auto showJson = std::make_shared<bool>(false);
  s->add_option("ID|KIND", *id, "job id, or a kind: its newest job")->required();
  s->add_flag("--json,-j", *showJson, "JSON output");
  s->callback([&cli, id, showJson] {
    cli.action = [&cli, id, showJson] { return showJob(cli, *id, *showJson); };
  });

  auto* st = job->add_subcommand("stop", "Stop a job (by id) or every running job of a kind");
  auto what = std::make_shared<std::string>();
  st->add_option("ID|KIND", *what, "job id or kind")->required();
  st->callback([&cli, what] { cli.action = [&cli, what] { return stop(cli, *what); }; });

  auto* w = job->add_subcommand("wait", "Wait until a job ends (exit 0 if it finished)");
  auto waitId = std::make_shared<std::string>();
  auto timeout = std::make_shared<double>(0);
  w->add_option("ID|KIND", *waitId, "job id, or a kind: its newest job")->required();
  w->add_option("--timeout", *timeout, "give up after this many seconds (exit 7); 0: never");
  w->callback([&cli, waitId, timeout] {
    cli.action = [&cli, waitId, timeout] { return wait(cli, *waitId, *timeout); };
  });
}

}  // namespace ais::cli
