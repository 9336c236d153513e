// SingleFlight: concurrent callers of one key share one run; other keys run apart; a finished
// run (fulfilled or thrown) is dropped, so the next caller starts afresh and never gets a
// failure that is over.
#include "node/single_flight.h"

#include <gtest/gtest.h>
#include <kj/async.h>
#include <kj/debug.h>

#include <memory>
#include <string>
#include <vector>

namespace ais::node {
namespace {

class SingleFlightTest : public ::testing::Test, public kj::TaskSet::ErrorHandler {
 protected:
  // kj's loop and wait scope have throwing destructors; gtest's fixture destructor is noexcept.
  std::unique_ptr<kj::EventLoop> loop_ = std::make_unique<kj::EventLoop>();
  std::unique_ptr<kj::WaitScope> ws_ = std::make_unique<kj::WaitScope>(*loop_);
  std::unique_ptr<kj::TaskSet> ends_ = std::make_unique<kj::TaskSet>(*this);
  std::unique_ptr<SingleFlight<std::string, int>> flights_ =
      std::make_unique<SingleFlight<std::string, int>>(*ends_);
  std::vector<kj::Own<kj::PromiseFulfiller<int>>> fulfillers_;
  int starts_ = 0;
  int failuresLogged_ = 0;

  void TearDown() override {
    flights_.reset();
    ends_.reset();
    fulfillers_.clear();
  }
  void taskFailed(kj::Exception&&) override { ++failuresLogged_; }

  // A run of key that ends when fulfillers_.back() is fulfilled or rejected.
  kj::Promise<int> ask(const std::string& key) {
    return flights_->run(key, [this] {
      ++starts_;
      auto paf = kj::newPromiseAndFulfiller<int>();
      fulfillers_.push_back(kj::mv(paf.fulfiller));
      return kj::mv(paf.promise);
    });
  }
  void settle() {
    kj::evalLater([] {}).wait(*ws_);
  }
};

TEST_F(SingleFlightTest, ConcurrentCallersShareOneRun) {
  auto a = ask("k");
  auto b = ask("k");
  auto other = ask("j");
  EXPECT_EQ(starts_, 2);  // one for k, one for j
  fulfillers_[0]->fulfill(7);
  EXPECT_EQ(a.wait(*ws_), 7);
  EXPECT_EQ(b.wait(*ws_), 7);
  fulfillers_[1]->fulfill(8);
  EXPECT_EQ(other.wait(*ws_), 8);
}

TEST_F(SingleFlightTest, FinishedRunIsDroppedAndTheNextStartsAfresh) {
  auto a = ask("k");
  fulfillers_[0]->fulfill(1);
  EXPECT_EQ(a.wait(*ws_), 1);
  settle();
  auto b = ask("k");
  EXPECT_EQ(starts_, 2);
  fulfillers_[1]->fulfill(2);
  EXPECT_EQ(b.wait(*ws_), 2);
}

TEST_F(SingleFlightTest, ThrownRunIsDroppedNotHandedOn) {
  auto a = ask("k");
  fulfillers_[0]->reject(KJ_EXCEPTION(FAILED, "disconnected"));
  EXPECT_ANY_THROW(a.wait(*ws_));
  settle();
  EXPECT_EQ(failuresLogged_, 1);  // (the task set hears of it)
  auto b = ask("k");
  EXPECT_EQ(starts_, 2);
  fulfillers_[1]->fulfill(3);
  EXPECT_EQ(b.wait(*ws_), 3);
}

}  // namespace
}  // namespace ais::node
