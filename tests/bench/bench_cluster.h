// A benchmark's cluster: started, with one client per load thread.
#pragma once

#include <cstdio>
#include <cstdlib>
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

// `threads` clients of the cluster at $AIS_ENDPOINT if set, else of `cluster`, which is then
// made (1 proxy + 3 targets) and started; empty (after saying why) on failure.
inline std::vector<std::unique_ptr<Client>> clientsFor(
    int threads, std::unique_ptr<testing::TestCluster>& cluster) {
  const char* ep = std::getenv("AIS_ENDPOINT");
  if (!ep || !*ep) {
    testing::TestCluster::Options o;
    o.targets = 3;
    cluster = std::make_unique<testing::TestCluster>(o);
    return startWithClients(*cluster, threads);
  }
  std::vector<std::unique_ptr<Client>> clients;
  for (int t = 0; t < threads; ++t) {
    Client::Options o;
    o.endpoint = ep;
    auto c = Client::connect(o);
    if (!c.ok()) {
      std::fprintf(stderr, "connect %s: %s\n", ep, c.status().toString().c_str());
      return {};
    }
    clients.push_back(std::move(*c));
  }
  return clients;
}

}  // namespace ais::bench
