// What the targets' Prometheus metrics (GET /metrics on each gateway, node/metrics.h) say, as
// AIStore's views show its own: `ais show performance [counters|throughput|latency]` (counters
// since start, throughput over an interval, average latencies) and `ais show storage` (each
// mountpath's use).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/http_get.h"

namespace ais::cli {
namespace {

constexpr const char* kOps[] = {"get", "put", "head", "del", "ren", "lst"};

// One target's scrape: each metric's value summed over its label sets (buckets).
using Sums = std::map<std::string, double>;

// The text exposition format: "name{labels} value" or "name value"; comments skipped.
Sums parseMetrics(const std::string& text) {
  Sums out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t nameEnd = line.find_first_of("{ ");
    size_t valueAt = line.rfind(' ');
    if (nameEnd == std::string_view::npos || valueAt == std::string_view::npos) continue;
    out[std::string(line.substr(0, nameEnd))] +=
        std::strtod(std::string(line.substr(valueAt + 1)).c_str(), nullptr);
  }
  return out;
}

struct TargetSample {
  std::string id;
  Sums sums;
  std::string text;   // the scrape as it came
  std::string error;  // why it has no figures
};

Result<std::vector<TargetSample>> scrape(Client& client, double timeoutSec) {
  std::vector<TargetSample> out;
  auto smap = client.smap(/*refresh=*/true);
  if (!smap.ok()) return smap.status();
  for (const auto& n : smap->nodes) {
    if (!n.isTarget()) continue;
    TargetSample s{n.id, {}, {}, {}};
    if (n.httpEndpoint.empty()) {
      s.error = "no HTTP endpoint";
    } else if (auto r = httpGet(n.httpEndpoint, "/metrics", timeoutSec); !r.ok()) {
      s.error = r.status().message();
    } else if (r->status != 200) {
      s.error = "GET /metrics: HTTP " + std::to_string(r->status);
    } else {
      s.sums = parseMetrics(r->body);
      s.text = std::move(r->body);
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

double get(const Sums& s, const std::string& name) {
  auto it = s.find(name);
  return it == s.end() ? 0 : it->second;
}
std::string count(double v) { return fmt::format("{:.0f}", v); }

int show(Cli& cli, const std::string& what, double intervalSec, bool json, bool noHeaders) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto first = scrape(**client, cli.timeoutSec);
  if (!first.ok()) return fail(first.status());
  const std::vector<TargetSample>& before = *first;
  std::vector<TargetSample> after;
  if (what == "throughput") {
    std::this_thread::sleep_for(std::chrono::duration<double>(intervalSec));
    auto second = scrape(**client, cli.timeoutSec);
    if (!second.ok()) return fail(second.status());
    after = std::move(*second);
  }
  auto p = [](const std::string& op, const std::string& what) {
    return "ais_target_" + op + "_" + what;
  };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  Table table(
      what == "counters" ? std::vector<std::string>{"TARGET", "GET", "PUT", "HEAD", "DEL", "REN",
                                                    "LST", "ERRORS", "GET-SIZE", "PUT-SIZE"}
      : what == "throughput"
          ? std::vector<std::string>{"TARGET", "GET/s", "GET-BW", "PUT/s", "PUT-BW", "ERR/s"}
          : std::vector<std::string>{"TARGET", "GET(ms)", "PUT(ms)", "HEAD(ms)", "DEL(ms)",
                                     "LST(ms)"});
  int unreachable = 0;
  Sums total;
  for (size_t i = 0; i < before.size(); ++i) {
    const auto& b = before[i];
    std::string error = b.error;
    if (error.empty() && what == "throughput") {
      // (the cluster map can change between the two samples)
      error = i < after.size() && after[i].id == b.id ? after[i].error
                                                      : "joined or left during the interval";
    }
    if (!error.empty()) {
      ++unreachable;
      std::fprintf(stderr, "%s: %s\n", b.id.c_str(), error.c_str());
      continue;
    }
    nlohmann::ordered_json j = {{"target", b.id}};
    double errors = 0;
    for (const char* op : kOps)
      errors += get(b.sums, std::string("ais_target_err_") + op + "_count");
    if (what == "counters") {
      std::vector<std::string> row{b.id};
      for (const char* op : kOps) {
        double n = get(b.sums, p(op, "count"));
        row.push_back(count(n));
        j[std::string(op) + "_count"] = uint64_t(n);
        total[op] += n;
      }
      row.push_back(count(errors));
      row.push_back(humanSize(uint64_t(get(b.sums, p("get", "bytes")))));
      row.push_back(humanSize(uint64_t(get(b.sums, p("put", "bytes")))));
      j["err_count"] = uint64_t(errors);
      j["get_bytes"] = uint64_t(get(b.sums, p("get", "bytes")));
      j["put_bytes"] = uint64_t(get(b.sums, p("put", "bytes")));
      total["errors"] += errors;
      total["get_bytes"] += get(b.sums, p("get", "bytes"));
      total["put_bytes"] += get(b.sums, p("put", "bytes"));
      table.addRow(std::move(row));
    } else if (what == "throughput") {
      const Sums& a = after[i].sums;
      auto rate = [&](const std::string& name) {
        return (get(a, name) - get(b.sums, name)) / intervalSec;
      };
      double errorsAfter = 0;
      for (const char* op : kOps)
        errorsAfter += get(a, std::string("ais_target_err_") + op + "_count");
      double gets = rate(p("get", "count")), puts = rate(p("put", "count"));
      double getBw = rate(p("get", "bytes")), putBw = rate(p("put", "bytes"));
      double errRate = (errorsAfter - errors) / intervalSec;
      table.addRow({b.id, fmt::format("{:.1f}", gets), humanSize(uint64_t(getBw)) + "/s",
                    fmt::format("{:.1f}", puts), humanSize(uint64_t(putBw)) + "/s",
                    fmt::format("{:.1f}", errRate)});
      j["get_per_sec"] = gets;
      j["get_bytes_per_sec"] = getBw;
      j["put_per_sec"] = puts;
      j["put_bytes_per_sec"] = putBw;
      j["errors_per_sec"] = errRate;
      j["interval_sec"] = intervalSec;
    } else {
      std::vector<std::string> row{b.id};
      for (const char* op : {"get", "put", "head", "del", "lst"}) {
        double n = get(b.sums, p(op, "count"));
        double ms = n > 0 ? get(b.sums, p(op, "ns_total")) / n / 1e6 : 0;
        row.push_back(n > 0 ? fmt::format("{:.3f}", ms) : "-");
        j[std::string(op) + "_avg_ms"] = ms;
      }
      table.addRow(std::move(row));
    }
    out.push_back(std::move(j));
  }
  if (what == "counters" && !table.empty()) {
    std::vector<std::string> row{"TOTAL"};
    for (const char* op : kOps) row.push_back(count(total[op]));
    row.push_back(count(total["errors"]));
    row.push_back(humanSize(uint64_t(total["get_bytes"])));
    row.push_back(humanSize(uint64_t(total["put_bytes"])));
    if (!noHeaders) table.addRow(std::move(row));
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::fputs(table.render(!noHeaders).c_str(), stdout);
  }
  // Some targets without figures: a partial answer, as `ais ls` with a target down.
  return unreachable ? kExitUnavailable : kExitOk;
}

// The value of label `key` in a sample line's {...}, "" if absent.
std::string labelOf(std::string_view line, const std::string& key) {
  size_t at = line.find(key + "=\"");
  if (at == std::string_view::npos) return {};
  at += key.size() + 2;
  size_t end = line.find('"', at);
  return end == std::string_view::npos ? std::string() : std::string(line.substr(at, end - at));
}

// `ais show storage`: every target's mountpaths and their file systems' use, from the
// ais_target_mountpath_bytes gauges (refreshed every 2 s by each target).
int showStorage(Cli& cli, bool json, bool noHeaders) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto samples = scrape(**client, cli.timeoutSec);
  if (!samples.ok()) return fail(samples.status());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  Table table({"TARGET", "MOUNTPATH", "CAPACITY", "USED", "AVAILABLE", "USED%"});
  int unreachable = 0;
  for (const auto& t : *samples) {
    if (!t.error.empty()) {
      ++unreachable;
      std::fprintf(stderr, "%s: %s\n", t.id.c_str(), t.error.c_str());
      continue;
    }
    std::map<std::string, std::map<std::string, double>> mps;  // mountpath -> kind -> bytes
    size_t pos = 0;
    while (pos < t.text.size()) {
      size_t end = t.text.find('\n', pos);
      if (end == std::string::npos) end = t.text.size();
      std::string_view line(t.text.data() + pos, end - pos);
      pos = end + 1;
      if (line.rfind("ais_target_mountpath_bytes{", 0) != 0) continue;
      size_t valueAt = line.rfind(' ');
      mps[labelOf(line, "mountpath")][labelOf(line, "kind")] =
          std::strtod(std::string(line.substr(valueAt + 1)).c_str(), nullptr);
    }
    for (auto& [path, kinds] : mps) {
      uint64_t cap = uint64_t(kinds["capacity"]), used = uint64_t(kinds["used"]),
               avail = uint64_t(kinds["available"]);
      double pct = cap ? 100.0 * double(used) / double(cap) : 0;
      table.addRow({t.id, path, humanSize(cap), humanSize(used), humanSize(avail),
                    fmt::format("{:.0f}%", pct)});
      out.push_back({{"target", t.id},
                     {"mountpath", path},
                     {"capacity_bytes", cap},
                     {"used_bytes", used},
                     {"available_bytes", avail}});
    }
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::fputs(table.render(!noHeaders).c_str(), stdout);
  }
  return unreachable ? kExitUnavailable : kExitOk;
}

}  // namespace

void addStorageView(CLI::App& app, Cli& cli) {
  auto* cmd = app.get_subcommand("show")->add_subcommand(
      "storage", "Every target's mountpaths: capacity, used, available (from /metrics)");
  auto json = std::make_shared<bool>(false), noHeaders = std::make_shared<bool>(false);
  cmd->add_flag("--json,-j", *json, "JSON output");
  cmd->add_flag("--no-headers,-H", *noHeaders, "Table without headers");
  cmd->callback([&cli, json, noHeaders] {
    cli.action = [&cli, json, noHeaders] { return showStorage(cli, *json, *noHeaders); };
  });
}

void addPerformanceCommands(CLI::App& app, Cli& cli) {
  auto* showCmd = app.get_subcommand("show");  // (addClusterCommands made it)
  auto* perf =
      showCmd->add_subcommand("performance",
                              "Targets' object operations from their /metrics: counters (default), "
                              "throughput, latency");
  auto json = std::make_shared<bool>(false);
  auto noHeaders = std::make_shared<bool>(false);
  auto interval = std::make_shared<double>(2);
  perf->add_flag("--json,-j", *json, "JSON output");
  perf->add_flag("--no-headers,-H", *noHeaders, "Table without headers and totals");
  for (const char* what : {"counters", "throughput", "latency"}) {
    auto* sub = perf->add_subcommand(
        what,
        std::string(what) == "counters" ? "Operations, errors and bytes since each target started"
        : std::string(what) == "throughput" ? "Operations and bytes per second over an interval"
                                            : "Average latency per operation since start (ms)");
    sub->add_flag("--json,-j", *json, "JSON output");
    sub->add_flag("--no-headers,-H", *noHeaders, "Table without headers and totals");
    if (std::string(what) == "throughput") {
      sub->add_option("--interval", *interval, "Seconds between the two samples (default 2)")
          ->check(CLI::PositiveNumber);
    }
  }
  perf->callback([&cli, perf, json, noHeaders, interval] {
    std::string what = "counters";
    for (auto* sub : perf->get_subcommands()) what = sub->get_name();
    cli.action = [&cli, what, json, noHeaders, interval] {
      return show(cli, what, *interval, *json, *noHeaders);
    };
  });
}

}  // namespace ais::cli
