// Metrics: what record() and refreshGauges() put in the exposition, in AIStore's names.
#include "node/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace ais::node {
namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, CountsOperationsBytesAndErrorsByKind) {
  Metrics m("t9", "target");
  auto start = Metrics::Clock::now();
  m.record(MetricOp::kGet, "b1", 100, start, Status::OK());
  m.record(MetricOp::kGet, "b1", 50, start, Status::OK());
  m.record(MetricOp::kGet, "b2", 7, start, Status::OK());
  m.record(MetricOp::kPut, "b1", 1000, start, Status::OK());
  m.record(MetricOp::kGet, "b1", 0, start, Status(Code::kObjectNotFound, "x"));
  m.record(MetricOp::kGet, "b1", 0, start, Status(Code::kObjectCorrupted, "x"));
  // Routing answers send the client elsewhere: neither an operation nor an error.
  m.record(MetricOp::kGet, "b1", 0, start, Status(Code::kStaleSmap, "x"));
  m.record(MetricOp::kGet, "b1", 0, start, Status(Code::kObjectMoved, "t2"));
  std::string text = m.render();
  EXPECT_TRUE(has(text, R"(ais_target_get_count{node_id="t9",bucket="b1"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(ais_target_get_count{node_id="t9",bucket="b2"} 1)"));
  EXPECT_TRUE(has(text, R"(ais_target_get_bytes{node_id="t9",bucket="b1"} 150)"));
  EXPECT_TRUE(has(text, R"(ais_target_put_bytes{node_id="t9",bucket="b1"} 1000)"));
  EXPECT_TRUE(has(text, R"(ais_target_err_get_count{node_id="t9",bucket="b1"} 2)"));
  EXPECT_TRUE(
      has(text, R"(ais_target_errors_total{node_id="t9",kind="ObjectNotFound",op="get"} 1)"));
  EXPECT_TRUE(
      has(text, R"(ais_target_errors_total{node_id="t9",kind="ObjectCorrupted",op="get"} 1)"));
  EXPECT_TRUE(has(text, R"(ais_target_get_latency_seconds_count{node_id="t9"} 3)"));
  EXPECT_NE(text.find("# TYPE ais_target_get_count counter"), std::string::npos);
  EXPECT_EQ(text.find("StaleSmap"), std::string::npos);
}

TEST(Metrics, GaugesFollowJobsAndMountpaths) {
  Metrics m("t9", "target");
  Metrics::Integrity integrity{1, 2, 3};
  m.refreshGauges({{"/mp1", 1000, 400, 600}}, {{"validate-1", "validate", 10, 2048, 1, true}},
                  &integrity);
  std::string text = m.render();
  EXPECT_TRUE(
      has(text, R"(ais_target_mountpath_bytes{node_id="t9",kind="used",mountpath="/mp1"} 400)"))
      << text;
  EXPECT_TRUE(has(text, R"(ais_target_integrity_count{node_id="t9",kind="quarantined"} 3)"));
  EXPECT_TRUE(has(
      text,
      R"(ais_job_progress{node_id="t9",job_id="validate-1",what="objects",xkind="validate"} 10)"));
  // A job the registry no longer holds leaves the exposition.
  m.refreshGauges({{"/mp1", 1000, 400, 600}}, {}, &integrity);
  EXPECT_EQ(m.render().find("validate-1"), std::string::npos);
  // A proxy has no integrity counters.
  Metrics proxy("p1", "proxy");
  proxy.refreshGauges({}, {}, nullptr);
  std::string ptext = proxy.render();
  EXPECT_EQ(ptext.find("integrity"), std::string::npos);
  EXPECT_NE(ptext.find(R"(ais_proxy_uptime{node_id="p1"})"), std::string::npos);
}

}  // namespace
}  // namespace ais::node
