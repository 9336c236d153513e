#include "node/gateway/ais_cluster.h"

#include "meta/config_edit.h"
#include "meta/names.h"
#include "node/gateway/ais_actions.h"
#include "node/gateway/http_dates.h"
#include "node/gateway/native_reply.h"

namespace ais::gateway {

using nlohmann::json;

namespace {

constexpr size_t kQueryLimit = 64 << 10;

// The cluster config, nested at the dots of its keys: {"version": "3", "keepalive":
// {"interval_ms": 1000, ...}, ...} (AIStore writes versions as strings).
json configJson(const meta::ClusterConfig& c) {
  json j{{"version", std::to_string(c.version)}};
  for (const auto& [key, value] : meta::configEntries(c)) {
    auto dot = key.find('.');
    j[key.substr(0, dot)][key.substr(dot + 1)] = value;
  }
  return j;
}

// AIStore's BMD: {"version": "N", "uuid", "providers": {"ais": {"@#": {BUCKET: props}}}} ("@#":
// the global namespace, the only one here).
json bmdJson(const meta::BMD& bmd) {
  json buckets = json::object();
  for (const auto& [name, props] : bmd.buckets) {
    if (!meta::isReservedBucket(name)) buckets[name] = aisBucketProps(props);
  }
  return json{{"version", std::to_string(bmd.version)},
              {"uuid", bmd.uuid},
              {"providers", {{"ais", {{"@#", buckets}}}}}};
}

uint64_t usedBytes(const NodeStatus& s) {
  return s.capacityBytes - std::min(s.capacityBytes, s.availableBytes);
}

json capacityJson(const NodeStatus& s) {
  uint64_t used = usedBytes(s);
  return json{{"total", s.capacityBytes},
              {"used", used},
              {"avail", s.availableBytes},
              {"pct_used", s.capacityBytes ? 100.0 * used / s.capacityBytes : 0.0}};
}

// One node's entry of what=stats: identity, uptime, and for targets capacity, objects and damage.
json statsJson(const NodeStatus& s) {
  json j{{"snode", aisSnode(s.node)}, {"reachable", s.reachable}};
  if (!s.reachable) return j;
  j["uptime"] = std::to_string(s.uptimeSec * 1000000000);  // (ns, as AIStore's)
  j["smap_version"] = s.smapVersion;
  if (s.node.isTarget()) {
    j["capacity"] = capacityJson(s);
    j["objects"] = s.objectCount;
    j["integrity"] = {{"corrupt_reads", s.integrity.corruptReads},
                      {"missing_files", s.integrity.missingFiles},
                      {"quarantined", s.integrity.quarantined}};
  }
  return j;
}

// One node's entry of what=sysinfo: AIStore's MemCPUInfo, with capacity for targets.
json sysinfoJson(const NodeStatus& s) {
  json j{{"cpus", s.cpus},
         {"mem_used", s.processRssBytes},
         {"mem_avail", s.memAvailableBytes},
         {"mem_total", s.memTotalBytes},
         {"pct_mem_used", s.memTotalBytes ? 100.0 * s.processRssBytes / s.memTotalBytes : 0.0},
         {"load_avg", {{"one", s.loadAvg1}}}};
  if (s.node.isTarget()) {
    uint64_t used = usedBytes(s);
    j["capacity_used"] = used;
    j["capacity_avail"] = s.availableBytes;
    j["pct_capacity_used"] = s.capacityBytes ? 100.0 * used / s.capacityBytes : 0.0;
  }
  return j;
}

// {"proxy": {ID: f(status)}, "target": {ID: ...}} over the nodes asked (one if only is set).
template <typename F>
Result<json> perNode(Client& c, const std::string& only, F f) {
  auto statuses = c.clusterStatus(only);  // (a node's own query asks only that node)
  if (!statuses.ok()) return statuses.status();
  json out{{"proxy", json::object()}, {"target", json::object()}};
  for (const auto& s : *statuses) {
    out[s.node.isTarget() ? "target" : "proxy"][s.node.id] = f(s);
  }
  return out;
}

// {"ID": ..., "Kind": ...} (AIStore's xact.ArgsMsg; lower-case names and the query too).
struct JobArgs {
  std::string id, kind, node, bucket;
};

std::string field(const json& j, const char* upper, const char* lower) {
  for (const char* k : {upper, lower}) {
    if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
  }
  return "";
}

JobArgs jobArgs(const json& v, const Query& q) {
  JobArgs a;
  if (v.is_object()) {
    a.id = field(v, "ID", "id");
    a.kind = field(v, "Kind", "kind");
    a.node = field(v, "DaemonID", "daemon_id");
    for (const char* k : {"Bck", "bck", "bucket"}) {
      if (v.contains(k) && v[k].is_object()) a.bucket = v[k].value("name", "");
    }
  }
  if (a.id.empty()) a.id = queryGet(q, "id").value_or("");
  if (a.kind.empty()) a.kind = queryGet(q, "kind").value_or("");
  return a;
}

// Kinds are ours (docs/cli.md, Jobs); AIStore's names for the same work map to them.
std::string ourKind(const std::string& kind) {
  if (kind == "mirror" || kind == "make-n-copies") return "make-n-copies";
  return kind;
}

// AIStore's nl.Status of a job: end_time 0 while it runs.
json jobStatusJson(const JobSummary& m) {
  std::string err;
  if (m.state == "failed") {
    for (const auto& p : m.parts) {
      if (!p.message.empty()) err += (err.empty() ? "" : "; ") + p.node + ": " + p.message;
    }
    if (err.empty()) err = "failed";
  }
  return json{{"uuid", m.id},
              {"kind", m.kind},
              {"err", err},
              {"end_time", m.state == "running" ? 0 : m.endNs},
              {"aborted", m.state == "aborted"}};
}

// RFC 3339 (with milliseconds); AIStore's zero time while a job runs.
std::string rfc3339(int64_t ns) { return ns > 0 ? isoDate(ns) : "0001-01-01T00:00:00Z"; }

// AIStore's per-target job snapshots: {TARGET: [{"id", "kind", "bck", "start_time", "end_time",
// "stats": {"objects", "bytes"}, "aborted", "is_idle"}]}.
json jobSnapsJson(const std::vector<JobSummary>& jobs) {
  json out = json::object();
  for (const auto& m : jobs) {
    for (const auto& p : m.parts) {
      if (!out.contains(p.node)) out[p.node] = json::array();
      out[p.node].push_back(json{{"id", m.id},
                                 {"kind", m.kind},
                                 {"bck", {{"name", m.bucket}, {"provider", "ais"}}},
                                 {"start_time", rfc3339(p.startNs)},
                                 {"end_time", rfc3339(p.endNs)},
                                 {"stats", {{"objects", p.objects}, {"bytes", p.bytes}}},
                                 {"aborted", p.state == "aborted"},
                                 {"err", p.message},
                                 {"is_idle", p.state != "running"}});
    }
  }
  return out;
}

void jobWhat(Exchange& ex, Client& c, const std::string& what, const JobArgs& a) {
  auto list = c.listJobs(a.id, ourKind(a.kind));
  if (!list.ok()) return sendError(ex, list.status());
  auto jobs = summarizeJobs(*list);
  if (!a.bucket.empty()) {
    std::erase_if(jobs, [&](const JobSummary& m) { return m.bucket != a.bucket; });
  }
  if (what == "qryxstats") return sendJson(ex, 200, jobSnapsJson(jobs));
  if (what == "status") {
    if (jobs.empty()) {
      return sendError(
          ex, Status(Code::kObjectNotFound, "no job" + (a.id.empty() ? "" : " " + a.id) +
                                                (a.kind.empty() ? "" : " of kind " + a.kind)));
    }
    return sendJson(ex, 200, jobStatusJson(jobs.back()));  // (the newest of a kind)
  }
  json out = json::array();
  for (const auto& m : jobs) {
    if (what == "status_all" || m.state == "running") out.push_back(jobStatusJson(m));
  }
  sendJson(ex, 200, out);
}

void setConfig(Exchange& ex, Client& c,
               const std::vector<std::pair<std::string, std::string>>& edits) {
  if (edits.empty()) {
    return sendError(
        ex, Status(Code::kInvalidArgument,
                   std::string("set-config: no key given (keys: ") + meta::kConfigKeys + ")"));
  }
  auto config = c.setClusterConfig(edits);
  if (!config.ok()) return sendError(ex, config.status());
  sendJson(ex, 200, configJson(*config));
}

const char* const kClusterActions =
    "start-maintenance, stop-maintenance, decommission-node, set-config, start, stop";

}  // namespace

void aisWhat(Gateway& gw, Exchange& ex, Client& c, const std::string& what, bool wholeCluster,
             const Query& q, const S3Auth& auth) {
  const std::string self = wholeCluster ? "" : gw.options().nodeId;
  if (what == "smap") {
    auto smap = c.smap(/*refresh=*/true);
    return smap.ok() ? sendJson(ex, 200, aisSmap(*smap)) : sendError(ex, smap.status());
  }
  if (what == "bmd") {
    if (auto bmd = gw.bmd()) return sendJson(ex, 200, bmdJson(*bmd));
    return sendError(ex, Status(Code::kUnavailable, "this node has no BMD yet"));
  }
  if (what == "config") {
    auto config = c.clusterConfig();
    return config.ok() ? sendJson(ex, 200, configJson(*config)) : sendError(ex, config.status());
  }
  if (what == "snode" && !wholeCluster) {
    auto smap = c.smap();
    if (!smap.ok()) return sendError(ex, smap.status());
    for (const auto& n : smap->nodes) {
      if (n.id == self) return sendJson(ex, 200, aisSnode(n));
    }
    return sendError(ex, Status(Code::kUnavailable, "this node is not in the cluster map yet"));
  }
  if (what == "stats") {
    auto j = perNode(c, self, statsJson);
    if (!j.ok()) return sendError(ex, j.status());
    if (wholeCluster) return sendJson(ex, 200, *j);
    // This node: its entry, with every counter and gauge it serves at GET /metrics.
    json mine = (*j)[gw.options().role == "proxy" ? "proxy" : "target"].value(self, json::object());
    json tracker = json::object();
    for (const auto& [name, value] : gw.metrics().samples()) tracker[name] = {{"value", value}};
    mine["tracker"] = tracker;
    return sendJson(ex, 200, mine);
  }
  if (what == "sysinfo") {
    auto j = perNode(c, self, sysinfoJson);
    return j.ok() ? sendJson(ex, 200, *j) : sendError(ex, j.status());
  }
  if (what == "mountpaths") {
    auto smap = c.smap();
    if (!smap.ok()) return sendError(ex, smap.status());
    json targets = json::object();
    for (const auto& n : smap->nodes) {
      if (!n.isTarget() || (!self.empty() && n.id != self)) continue;
      auto mps = c.mountpaths(n.id);
      if (!mps.ok()) return sendError(ex, mps.status());
      json available = json::array(), disabled = json::array();
      for (const auto& m : *mps) (m.enabled ? available : disabled).push_back(m.path);
      targets[n.id] = {{"available", available}, {"disabled", disabled}};
    }
    if (wholeCluster) return sendJson(ex, 200, json{{"targets", targets}});
    if (!targets.contains(self)) {
      return sendError(ex, Status(Code::kInvalidArgument,
                                  "what=mountpaths: this node is not a "
                                  "target (ask /v1/cluster)"));
    }
    return sendJson(ex, 200, targets[self]);
  }
  if (what == "status" || what == "status_all" || what == "running_all" || what == "qryxstats") {
    json body;
    if (ex.contentLength().value_or(0) > 0 || ex.chunked()) {
      auto text = readMessage(ex, auth, kQueryLimit, "job query");
      if (!text) return;
      body = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) {
        return sendError(ex, Status(Code::kInvalidArgument, "job query: the body is not JSON"));
      }
    }
    return jobWhat(ex, c, what, jobArgs(body, q));
  }
  sendError(ex, Status(Code::kInvalidArgument,
                       "what=" + what +
                           ": supported: smap, bmd, config, stats, sysinfo, mountpaths, status, "
                           "status_all, running_all, qryxstats" +
                           (wholeCluster ? "" : ", snode") + " (docs/api.md)"));
}

void aisClusterAction(Exchange& ex, Client& c, const S3Auth& auth) {
  auto text = readMessage(ex, auth, kQueryLimit, "action message");
  if (!text) return;
  json msg = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!msg.is_object() || !msg.contains("action") || !msg["action"].is_string()) {
    return sendError(ex, Status(Code::kInvalidArgument,
                                "expected an action message {\"action\": ..., \"value\": ...}"));
  }
  std::string action = msg["action"].get<std::string>();
  json value = msg.value("value", json());
  if (action == "set-config") {
    // AIStore's two forms: {"name": KEY, "value": V} and {"value": {KEY: V, ...}} (nested too).
    std::vector<std::pair<std::string, std::string>> edits;
    if (msg.contains("name") && msg["name"].is_string() && !value.is_object()) {
      edits.emplace_back(msg["name"].get<std::string>(),
                         value.is_string() ? value.get<std::string>() : value.dump());
    } else {
      edits = flattenJson(value);
    }
    return setConfig(ex, c, edits);
  }
  if (action == "start") {
    JobArgs a = jobArgs(value, {});
    std::string kind = ourKind(a.kind);
    if (kind != "validate" && kind != "ec-encode") {
      return sendError(ex, Status(Code::kInvalidArgument,
                                  "start: kind '" + a.kind +
                                      "' cannot be started here (kinds: validate, ec-encode; "
                                      "rebalance, resilver and make-n-copies start by themselves: "
                                      "docs/cli.md, Jobs)"));
    }
    if (a.bucket.empty()) {
      return sendError(ex, Status(Code::kInvalidArgument,
                                  "start: " + kind + " needs a bucket: \"Bck\": {\"name\": ...}"));
    }
    if (Status st = meta::refuseReservedBucket(a.bucket); !st.ok()) return sendError(ex, st);
    Result<std::string> id = Status(Code::kInternal, "");
    if (kind == "ec-encode") {
      id = c.ecEncode(a.bucket);
    } else {
      id = Client::newJobId(kind);
      if (Status st = c.startJob(*id, kind, a.bucket); !st.ok()) id = st;
    }
    if (!id.ok()) return sendError(ex, id.status());
    ex.responseHeaders().set(http::field::content_type, "text/plain");
    (void)ex.respond(200, *id);  // (AIStore answers the job id as plain text)
    return;
  }
  if (action == "stop") {
    JobArgs a = jobArgs(value, {});
    if (a.id.empty() && a.kind.empty()) {
      return sendError(ex, Status(Code::kInvalidArgument, "stop: name the job (ID) or a Kind"));
    }
    auto n = c.stopJob(a.id, ourKind(a.kind));
    if (!n.ok()) return sendError(ex, n.status());
    if (*n == 0) {
      return sendError(ex, Status(Code::kObjectNotFound, "no running job " + a.id + a.kind));
    }
    return sendJson(ex, 200, json{{"stopped", *n}});
  }
  if (action == "decommission-node") action = "decommission";
  if (action != "start-maintenance" && action != "stop-maintenance" && action != "decommission") {
    return sendError(ex,
                     Status(Code::kInvalidArgument, "unsupported cluster action '" + action +
                                                        "' (supported: " + kClusterActions + ")"));
  }
  if (!value.is_object() || !value.contains("sid") || !value["sid"].is_string()) {
    return sendError(ex, Status(Code::kInvalidArgument, "value.sid: the node id is required"));
  }
  if (value.contains("rm_user_data") && !value["rm_user_data"].is_boolean()) {
    return sendError(ex, Status(Code::kInvalidArgument, "value.rm_user_data: true or false"));
  }
  bool rmUserData = value.value("rm_user_data", false);
  auto version = c.setNodeState(value["sid"].get<std::string>(), action, rmUserData);
  if (!version.ok()) return sendError(ex, version.status());
  sendJson(ex, 200, json{{"smap_version", *version}});
}

void setConfigFromQuery(Exchange& ex, Client& c, const Query& q) {
  std::vector<std::pair<std::string, std::string>> edits;
  for (const auto& [k, v] : q) {
    if (k != "provider") edits.emplace_back(k, v);
  }
  setConfig(ex, c, edits);
}

}  // namespace ais::gateway
