// A benchmark's cluster: started, with one client per load thread.
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "tests/integration/test_cluster.h"

namespace ais::bench {

// Starts the cluster and connects `threads` clients; empty (after saying why) on failure.
inline std::vector<std::unique_ptr<Client>> startWithClients(testing::TestCluster& cluster,
                                                             int threads) {
  std::vector<std::unique_ptr<Client>> clients;
  if (auto st = cluster.start(); !st.ok()) {
    std::fprintf(stderr, "cluster: %s\n", st.toString().c_str());
    return clients;
  }
  for (int t = 0; t < threads; ++t) {
    auto c = cluster.client();
    if (!c.ok()) {
      std::fprintf(stderr, "client: %s\n", c.status().toString().c_str());
      return {};
    }
    clients.push_back(std::move(*c));
  }
  return clients;
}

}  // namespace ais::bench
