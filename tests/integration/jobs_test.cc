// Jobs across real processes: a scrub started on every target runs on after the call that
// started it, is listed on every node with its progress and report, refuses a missing bucket
// naming the target, and forgets nothing while it runs; a restarted target's part is reported
// lost rather than waited for.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/integration/test_cluster.h"

namespace ais::testing {
namespace {

TEST(JobsTest, ScrubIsAJobThatOutlivesItsStarter) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->createBucket("jobs").ok());
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE((*c)->put("jobs", "o" + std::to_string(i), patternBytes(i, 1000 + i * 37)).ok());
  }

  // Started, then left alone: it finishes on its own and every target remembers its part.
  std::string id = Client::newJobId("validate");
  ASSERT_TRUE((*c)->startJob(id, "validate", "jobs").ok());
  EXPECT_EQ((*c)->startJob(id, "validate", "jobs").code(), Code::kObjectExists);
  Result<JobList> list = Status(Code::kInternal);
  for (int i = 0; i < 100; ++i) {
    list = (*c)->listJobs(id);
    ASSERT_TRUE(list.ok());
    bool running = false;
    for (const auto& p : list->parts) running |= p.running();
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(list->parts.size(), cluster.targetIds().size());
  uint64_t objects = 0;
  std::set<std::string> nodes;
  for (const auto& p : list->parts) {
    EXPECT_EQ(p.state, "finished") << p.node << ": " << p.message;
    EXPECT_EQ(p.kind, "validate");
    EXPECT_EQ(p.bucket, "jobs");
    EXPECT_GT(p.endNs, p.startNs);
    ASSERT_TRUE(p.report.has_value());
    EXPECT_EQ(p.report->objects, p.objects);
    EXPECT_TRUE(p.report->corrupt.empty());
    objects += p.objects;
    nodes.insert(p.node);
  }
  EXPECT_EQ(objects, 120u);
  EXPECT_EQ(nodes.size(), cluster.targetIds().size());
  // Listed by kind too, and nothing left to stop.
  auto byKind = (*c)->listJobs("", "validate");
  ASSERT_TRUE(byKind.ok());
  EXPECT_GE(byKind->parts.size(), cluster.targetIds().size());
  EXPECT_EQ(*(*c)->stopJob(id), 0u);

  // validateBucket is the same job, waited for.
  std::string seen;
  auto results = (*c)->validateBucket("jobs", {}, [&](const std::string& j) { seen = j; });
  ASSERT_TRUE(results.ok()) << results.status().toString();
  EXPECT_EQ(seen.rfind("validate-", 0), 0u);
  uint64_t total = 0;
  for (const auto& r : *results) {
    EXPECT_TRUE(r.status.ok()) << r.targetId << ": " << r.status.toString();
    total += r.objects;
  }
  EXPECT_EQ(total, 120u);
}

TEST(JobsTest, BadStartsAreRefusedWithTheReason) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  Status missing = (*c)->startJob(Client::newJobId("validate"), "validate", "nosuch");
  EXPECT_EQ(missing.code(), Code::kBucketNotFound);
  EXPECT_NE(missing.message().find("target "), std::string::npos) << missing.toString();
  EXPECT_EQ((*c)->startJob(Client::newJobId("x"), "defrag", "").code(), Code::kInvalidArgument);
  EXPECT_EQ((*c)->stopJob("").code(), Code::kInvalidArgument);
  auto none = (*c)->listJobs("nosuch-id");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->parts.empty());
  EXPECT_TRUE(none->unreachable.empty());
}

TEST(JobsTest, AScrubDoesNotWaitForAKilledTarget) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->createBucket("gone").ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((*c)->put("gone", "o" + std::to_string(i), patternBytes(i, 5000)).ok());
  }
  std::string victim = cluster.targetIds().back();
  // The target dies right after the job started: the scrub ends with its part failed.
  std::thread killer;
  auto begin = std::chrono::steady_clock::now();
  auto results = (*c)->validateBucket(
      "gone", {}, [&](const std::string&) { killer = std::thread([&] { cluster.kill(victim); }); });
  if (killer.joinable()) killer.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  EXPECT_LT(secs, 30.0) << "the scrub waited for a dead target";
  ASSERT_TRUE(results.ok()) << results.status().toString();
  ASSERT_EQ(results->size(), cluster.targetIds().size());
  bool victimReported = false;
  for (const auto& r : *results) {
    if (r.targetId == victim) {
      // Either it finished its part before it died, or its part is reported lost, with why.
      victimReported = true;
      if (!r.status.ok()) {
        EXPECT_FALSE(r.status.message().empty());
      }
    } else {
      EXPECT_TRUE(r.status.ok()) << r.targetId << ": " << r.status.toString();
    }
  }
  EXPECT_TRUE(victimReported);
}

}  // namespace
}  // namespace ais::testing
