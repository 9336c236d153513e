// What one request/answer round trip over loopback costs this machine, in CPU and wall time: a
// client sends a 300-byte request, a server process answers 16 KiB (the size of the gateway
// bench's small GET), over TCP (nodelay) and over a Unix stream socket. A GET relayed by a
// non-owner gateway pays one such round trip more than a GET served by its owner (or by nginx),
// so this is the floor under the relay's extra cost (docs/performance.md).
// Usage: loopback_rtt [ROUND_TRIPS]   (200,000 by default)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr size_t kRequest = 300;
constexpr size_t kAnswer = 16 << 10;

bool readFully(int fd, char* buf, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, buf, n);
    if (r <= 0) return false;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool writeFully(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, buf, n);
    if (w <= 0) return false;
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// A connected pair: [0] the client's end, [1] the server's.
bool tcpPair(int fds[2]) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return false;
  }
  fds[0] = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fds[0], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  fds[1] = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  int one = 1;
  ::setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fds[1] >= 0;
}

double cpuSeconds(int who) {
  rusage ru{};
  ::getrusage(who, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// Runs `trips` round trips over fds (the server end in a child process); prints µs per trip.
bool measure(const char* label, int fds[2], long trips) {
  std::vector<char> buf(kAnswer);
  double cpuBefore = cpuSeconds(RUSAGE_SELF) + cpuSeconds(RUSAGE_CHILDREN);
  auto start = std::chrono::steady_clock::now();
  pid_t server = ::fork();
  if (server == 0) {
    ::close(fds[0]);
    for (long i = 0; i < trips; ++i) {
      if (!readFully(fds[1], buf.data(), kRequest) || !writeFully(fds[1], buf.data(), kAnswer)) {
        std::_Exit(1);
      }
    }
    std::_Exit(0);
  }
  ::close(fds[1]);
  bool ok = server > 0;
  for (long i = 0; ok && i < trips; ++i) {
    ok = writeFully(fds[0], buf.data(), kRequest) && readFully(fds[0], buf.data(), kAnswer);
  }
  int status = 0;
  if (server > 0) ::waitpid(server, &status, 0);
  ::close(fds[0]);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpuSeconds(RUSAGE_SELF) + cpuSeconds(RUSAGE_CHILDREN) - cpuBefore;
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s: the round trips failed\n", label);
    return false;
  }
  std::printf("| %s | %.1f | %.1f |\n", label, 1e6 * cpu / static_cast<double>(trips),
              1e6 * wall / static_cast<double>(trips));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long trips = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 200000;
  if (trips <= 0) {
    std::fprintf(stderr, "usage: loopback_rtt [ROUND_TRIPS]\n");
    return 2;
  }
  std::printf(
      "| %ld round trips, 300 B request, 16 KiB answer | CPU µs per trip (both ends) | "
      "wall µs per trip |\n|---|---|---|\n",
      trips);
  int tcp[2] = {-1, -1}, unixPair[2] = {-1, -1};
  if (!tcpPair(tcp) || ::socketpair(AF_UNIX, SOCK_STREAM, 0, unixPair) != 0) {
    std::perror("sockets");
    return 1;
  }
  bool ok = measure("TCP over 127.0.0.1 (nodelay)", tcp, trips);
  ok = measure("Unix stream socket", unixPair, trips) && ok;
  return ok ? 0 : 1;
}
