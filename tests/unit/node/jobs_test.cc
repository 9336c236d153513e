// JobRegistry: a job's state follows its body and the stops asked of it; ids are unique on a
// node; ended jobs are remembered up to a limit, running ones always.
#include "node/jobs.h"

#include <gtest/gtest.h>
#include <kj/async.h>
#include <kj/debug.h>

#include <memory>
#include <string>

namespace ais::node {
namespace {

class JobRegistryTest : public ::testing::Test {
 protected:
  // kj's loop and wait scope have throwing destructors; gtest's fixture destructor is noexcept.
  std::unique_ptr<kj::EventLoop> loop_ = std::make_unique<kj::EventLoop>();
  std::unique_ptr<kj::WaitScope> ws_ = std::make_unique<kj::WaitScope>(*loop_);
  std::unique_ptr<JobRegistry> jobs_ = std::make_unique<JobRegistry>();

  void TearDown() override { jobs_.reset(); }

  // Starts a job whose body ends when the returned fulfiller is fulfilled.
  kj::Own<kj::PromiseFulfiller<Status>> startControlled(const std::string& id) {
    auto paf = kj::newPromiseAndFulfiller<Status>();
    auto promise = std::make_shared<kj::Promise<Status>>(kj::mv(paf.promise));
    EXPECT_TRUE(
        jobs_->start(id, "test", "bkt", [promise](Job&) mutable { return kj::mv(*promise); }).ok());
    return kj::mv(paf.fulfiller);
  }
  const Job& only(const std::string& id) {
    auto l = jobs_->list(id, "");
    EXPECT_EQ(l.size(), 1u);
    return *l.at(0);
  }
  void settle() {
    kj::evalLater([] {}).wait(*ws_);
  }
};

TEST_F(JobRegistryTest, StatesFollowTheBodyAndStops) {
  auto ok = startControlled("a-1");
  auto bad = startControlled("a-2");
  auto stopped = startControlled("a-3");
  EXPECT_EQ(only("a-1").state, JobState::kRunning);
  EXPECT_EQ(jobs_->list("", "test").size(), 3u);
  EXPECT_EQ(jobs_->list("", "other").size(), 0u);

  EXPECT_EQ(jobs_->stop("a-3", ""), 1u);
  EXPECT_TRUE(only("a-3").counters->stopRequested());
  EXPECT_FALSE(only("a-1").counters->stopRequested());

  ok->fulfill(Status::OK());
  bad->fulfill(Status(Code::kIoError, "disk gone"));
  stopped->fulfill(Status(Code::kInternal, "stopped at object 7"));
  settle();
  EXPECT_EQ(only("a-1").state, JobState::kFinished);
  EXPECT_GT(only("a-1").endNs, 0);
  EXPECT_EQ(only("a-2").state, JobState::kFailed);
  EXPECT_NE(only("a-2").message.find("disk gone"), std::string::npos);
  EXPECT_EQ(only("a-3").state, JobState::kAborted);
  // Nothing runs any more: stopping by kind asks no one.
  EXPECT_EQ(jobs_->stop("", "test"), 0u);
}

TEST_F(JobRegistryTest, IdsAreUniqueAndNeeded) {
  auto f = startControlled("x-1");
  EXPECT_EQ(jobs_->start("x-1", "test", "", [](Job&) { return kj::Promise<Status>(Status::OK()); })
                .code(),
            Code::kObjectExists);
  EXPECT_EQ(
      jobs_->start("", "test", "", [](Job&) { return kj::Promise<Status>(Status::OK()); }).code(),
      Code::kInvalidArgument);
  f->fulfill(Status::OK());
  settle();
}

TEST_F(JobRegistryTest, RemembersEndedJobsUpToALimitAndRunningOnesAlways) {
  auto running = startControlled("keep-0");
  for (size_t i = 1; i <= JobRegistry::kKeepFinished + 20; ++i) {
    ASSERT_TRUE(jobs_
                    ->start("done-" + std::to_string(i), "test", "",
                            [](Job&) { return kj::Promise<Status>(Status::OK()); })
                    .ok());
    settle();
  }
  auto all = jobs_->list("", "");
  EXPECT_EQ(all.size(), JobRegistry::kKeepFinished + 1);
  EXPECT_EQ(all.front()->id, "keep-0");  // oldest, but running
  EXPECT_EQ(jobs_->list("done-1", "").size(), 0u);
  EXPECT_EQ(jobs_->list("done-120", "").size(), 1u);
  running->fulfill(Status::OK());
  settle();
}

TEST_F(JobRegistryTest, ABodyThatThrowsFailsTheJob) {
  ASSERT_TRUE(jobs_
                  ->start("t-1", "test", "",
                          [](Job&) -> kj::Promise<Status> { KJ_FAIL_REQUIRE("broken body"); })
                  .ok());
  settle();
  EXPECT_EQ(only("t-1").state, JobState::kFailed);
  ASSERT_TRUE(jobs_
                  ->start("t-2", "test", "",
                          [](Job&) {
                            return kj::evalLater(
                                []() -> Status { KJ_FAIL_REQUIRE("broken later"); });
                          })
                  .ok());
  settle();
  settle();
  EXPECT_EQ(only("t-2").state, JobState::kFailed);
  EXPECT_NE(only("t-2").message.find("broken later"), std::string::npos);
}

}  // namespace
}  // namespace ais::node
