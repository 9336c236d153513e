#include "tests/integration/test_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#ifndef AISNODE_BIN
#error "AISNODE_BIN must name the aisnode binary"
#endif

namespace ais::testing {
namespace fs = std::filesystem;

namespace {

// A free port below the ephemeral range (32768+), so no outgoing connection can take it between
// this check and the node's bind.
int freePort() {
  static std::mt19937 gen(std::random_device{}());
  static std::set<int> handedOut;  // not yet bound by their nodes: never give one out twice
  for (;;) {
    int port = 28000 + static_cast<int>(gen() % 4700);
    if (handedOut.count(port)) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free) {
      handedOut.insert(port);
      return port;
    }
  }
}

std::string endpointOf(int port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

std::string patternBytes(uint64_t seed, size_t size) {
  std::string out(size, '\0');
  std::mt19937_64 gen(seed * 0x9E3779B97F4A7C15ULL + 1);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v = gen();
    std::memcpy(out.data() + i, &v, 8);
  }
  uint64_t v = gen();
  std::memcpy(out.data() + i, &v, size - i);
  return out;
}

TestCluster::TestCluster(Options options) : options_(options) {
  char tmpl[] = "/tmp/ais-it-XXXXXX";
  root_ = ::mkdtemp(tmpl);
  auto add = [&](const std::string& id, const std::string& role) {
    NodeProc n;
    n.id = id;
    n.role = role;
    n.port = freePort();
    n.dir = root_ + "/" + id;
    if (role != "proxy") {
      for (int m = 1; m <= options_.mountpathsPerTarget; ++m) {
        n.mountpaths.push_back(n.dir + "/mp" + std::to_string(m));
      }
    }
    nodes_[id] = n;
    return &nodes_[id];
  };
  if (options_.single) {
    primaryEndpoint_ = endpointOf(add("n1", "all")->port);
  } else {
    primaryEndpoint_ = endpointOf(add("p1", "proxy")->port);
    for (int i = 2; i <= options_.proxies; ++i) add("p" + std::to_string(i), "proxy");
    for (int i = 1; i <= options_.targets; ++i) add("t" + std::to_string(i), "target");
  }
}

TestCluster::~TestCluster() {
  for (auto& [id, n] : nodes_) {
    if (n.pid > 0) {
      ::kill(n.pid, SIGKILL);
      ::waitpid(n.pid, nullptr, 0);
    }
  }
  std::error_code ec;
  if (!std::getenv("AIS_KEEP_TEST_DATA")) fs::remove_all(root_, ec);
}

Status TestCluster::launch(NodeProc& n) {
  fs::create_directories(n.dir);
  std::string cfgPath = n.dir + "/config.json";
  {
    std::ofstream cfg(cfgPath);
    cfg << "{\"id\":\"" << n.id << "\",\"rpc\":\"" << endpointOf(n.port) << "\",\"primary\":\""
        << primaryEndpoint_ << "\",\"confdir\":\"" << n.dir << "\",\"mountpaths\":[";
    for (size_t i = 0; i < n.mountpaths.size(); ++i) {
      cfg << (i ? "," : "") << "\"" << n.mountpaths[i] << "\"";
    }
    cfg << "],\"keepalive_interval_ms\":" << options_.keepaliveIntervalMs
        << ",\"keepalive_timeout_ms\":" << options_.keepaliveTimeoutMs << "}\n";
  }
  std::string logPath = n.dir + "/aisnode.log";
  pid_t pid = ::fork();
  if (pid < 0) return Status(Code::kInternal, "fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    ::execl(AISNODE_BIN, "aisnode", "--role", n.role.c_str(), "--config", cfgPath.c_str(), nullptr);
    ::_exit(127);
  }
  n.pid = pid;
  return Status::OK();
}

Status TestCluster::waitReady(const NodeProc& n, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string readyPath = n.dir + "/ready";
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(readyPath);
    pid_t pid = 0;
    if (f >> pid && pid == n.pid) return Status::OK();
    int wstatus;
    if (::waitpid(n.pid, &wstatus, WNOHANG) == n.pid) {
      const_cast<NodeProc&>(n).pid = -1;
      return Status(Code::kInternal,
                    n.id + " exited during start-up; see " + n.dir + "/aisnode.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status(Code::kTimeout, n.id + " not ready; see " + n.dir + "/aisnode.log");
}

Status TestCluster::start() {
  // The primary first, then everyone else at once.
  for (auto& [id, n] : nodes_) {
    if (endpointOf(n.port) == primaryEndpoint_) {
      AIS_RETURN_IF_ERROR(launch(n));
      AIS_RETURN_IF_ERROR(waitReady(n, std::chrono::seconds(20)));
    }
  }
  for (auto& [id, n] : nodes_) {
    if (n.pid < 0) AIS_RETURN_IF_ERROR(launch(n));
  }
  for (auto& [id, n] : nodes_) AIS_RETURN_IF_ERROR(waitReady(n, std::chrono::seconds(20)));
  // Ready means joined; wait until the primary's map holds every node.
  auto c = client();
  if (!c.ok()) return c.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  size_t expected = 0;
  for (auto& [id, n] : nodes_) expected += n.role == "all" ? 2 : 1;
  while (std::chrono::steady_clock::now() < deadline) {
    auto smap = (*c)->smap(true);
    if (smap.ok() && smap->nodes.size() == expected) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status(Code::kTimeout, "cluster map never listed every node");
}

std::string TestCluster::endpoint() const { return primaryEndpoint_; }

Result<std::unique_ptr<Client>> TestCluster::client(uint64_t changeWriter) const {
  Client::Options o;
  o.endpoint = primaryEndpoint_;
  o.maxAttempts = 6;
  o.changeWriter = changeWriter;
  return Client::connect(o);
}

void TestCluster::kill(const std::string& id) {
  auto& n = nodes_.at(id);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  ::waitpid(n.pid, nullptr, 0);
  n.pid = -1;
}

Status TestCluster::stop(const std::string& id) {
  auto& n = nodes_.at(id);
  if (n.pid <= 0) return Status::OK();
  ::kill(n.pid, SIGTERM);
  int wstatus = 0;
  ::waitpid(n.pid, &wstatus, 0);
  n.pid = -1;
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status(Code::kInternal, id + " did not exit cleanly on SIGTERM");
  }
  return Status::OK();
}

Status TestCluster::restart(const std::string& id) {
  auto& n = nodes_.at(id);
  if (n.pid > 0) kill(id);
  AIS_RETURN_IF_ERROR(launch(n));
  return waitReady(n, std::chrono::seconds(30));
}

Result<std::string> TestCluster::addTarget() {
  int n = 1;
  while (nodes_.count("t" + std::to_string(n))) ++n;
  NodeProc p;
  p.id = "t" + std::to_string(n);
  p.role = "target";
  p.port = freePort();
  p.dir = root_ + "/" + p.id;
  for (int m = 1; m <= options_.mountpathsPerTarget; ++m) {
    p.mountpaths.push_back(p.dir + "/mp" + std::to_string(m));
  }
  nodes_[p.id] = p;
  AIS_RETURN_IF_ERROR(launch(nodes_[p.id]));
  AIS_RETURN_IF_ERROR(waitReady(nodes_[p.id], std::chrono::seconds(20)));
  return p.id;
}

std::vector<std::string> TestCluster::targetIds() const {
  std::vector<std::string> out;
  for (const auto& [id, n] : nodes_) {
    if (n.role != "proxy") out.push_back(id);
  }
  return out;
}

}  // namespace ais::testing
