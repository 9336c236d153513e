// GoogleTest fixture: one real 1-proxy + 3-target cluster per test suite (started once, torn down
// after the suite's last test) and a fresh client per test.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/integration/test_cluster.h"

namespace ais::testing {

class ClusterFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster(TestCluster::Options{});
    Status st = cluster_->start();
    ASSERT_TRUE(st.ok()) << st.toString();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    auto c = cluster_->client();
    ASSERT_TRUE(c.ok()) << c.status().toString();
    client_ = std::move(*c);
  }

  static inline TestCluster* cluster_ = nullptr;
  std::unique_ptr<Client> client_;
};

}  // namespace ais::testing
