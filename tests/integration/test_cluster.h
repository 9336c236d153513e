// A real cluster for integration tests: aisnode processes on free 127.0.0.1 ports with data in a
// temporary directory. Nodes can be SIGKILLed and restarted on their old data. The destructor
// kills everything and removes the directory, also when a test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/client.h"
#include "tests/lib/file_damage.h"

namespace ais::testing {

class TestCluster {
 public:
  struct Options {
    int proxies = 1;
    int targets = 3;
    bool single = false;  // one --role all node instead
    int mountpathsPerTarget = 2;
    uint32_t keepaliveIntervalMs = 300;
    uint32_t keepaliveTimeoutMs = 3000;
  };

  struct NodeProc {
    std::string id;
    std::string role;  // proxy | target | all
    int port = 0;
    std::string dir;
    std::vector<std::string> mountpaths;
    pid_t pid = -1;
  };

  explicit TestCluster(Options options);
  ~TestCluster();

  Status start();
  std::string endpoint() const;  // the primary's fabric endpoint
  // changeWriter: as an aisfs mount's client (Client::Options::changeWriter).
  Result<std::unique_ptr<Client>> client(uint64_t changeWriter = 0) const;

  void kill(const std::string& id);       // SIGKILL
  Status restart(const std::string& id);  // same config and data; waits until ready
  Status stop(const std::string& id);     // SIGTERM and wait
  const NodeProc& node(const std::string& id) const { return nodes_.at(id); }
  std::vector<std::string> targetIds() const;
  // Starts one more target ("t<N+1>") that joins the running cluster; returns its id.
  Result<std::string> addTarget();

 private:
  Status launch(NodeProc& n);
  Status waitReady(const NodeProc& n, std::chrono::seconds timeout);

  Options options_;
  std::string root_;
  std::string primaryEndpoint_;
  std::map<std::string, NodeProc> nodes_;
};

// Deterministic pseudo-random bytes for (seed, size): lets tests regenerate what they wrote.
std::string patternBytes(uint64_t seed, size_t size);

}  // namespace ais::testing
