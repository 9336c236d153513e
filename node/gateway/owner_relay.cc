#include "node/gateway/owner_relay.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/log.h"
#include "node/gateway/gateway.h"

namespace ais::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);
// After a failed connect, the owner's gateway is not tried again for this long (each request
// would otherwise pay the connect timeout of a node that does not answer).
constexpr auto kDownFor = std::chrono::seconds(2);
// The owner's gateway sends a GET's header once it has the first bytes. None within this (the
// fabric client's probe interval): the owner may hang (stopped, a stalled disk); the fabric path
// serves the request instead, and the relay skips that owner for kDownFor. (A merely slow owner
// is then read over the fabric.) Before that, the owner is asked over the fabric whether it
// answers at all (kProbeLimit): if not, the fabric client suspects it and goes around it at once
// (with EC, a degraded read) instead of waiting out a probe of its own on the same silent node.
constexpr auto kHeaderWait = std::chrono::seconds(5);
constexpr auto kProbeLimit = std::chrono::milliseconds(2000);
// Per gateway thread and owner: relays at once beyond this go through the fabric (the owner
// limits connections per client address, and this gateway is one address), idle connections
// kept beyond that are closed.
constexpr unsigned kMaxInFlight = 64;
constexpr size_t kMaxIdle = 16;
constexpr size_t kRelayChunk = 256 << 10;
constexpr size_t kFirstRead = 64 << 10;

// The owner gateways this thread talks to. Each gateway thread runs its own io_context, and a
// connection's coroutine never leaves its thread, so no lock: the map is the thread's.
struct Upstream {
  std::vector<std::unique_ptr<beast::tcp_stream>> idle;
  unsigned inFlight = 0;
  Clock::time_point downUntil{};
};
thread_local std::unordered_map<std::string, Upstream> upstreams;

// Hop-by-hop headers (RFC 9110 7.6.1) are this hop's, not the owner's.
bool hopByHop(http::field f) {
  return f == http::field::connection || f == http::field::keep_alive ||
         f == http::field::proxy_connection || f == http::field::te || f == http::field::trailer ||
         f == http::field::transfer_encoding || f == http::field::upgrade;
}

struct OwnerAddress {
  std::string http, rpc;
};

// The owner's addresses when another node owns bucket/name and serves HTTP, neither flagged
// down nor suspected by this node's fabric client; else none.
std::optional<OwnerAddress> ownerGateway(Gateway& gw, Client& c, const std::string& bucket,
                                         const std::string& name) {
  Gateway::Owner o = gw.ownerOf(bucket, name);
  const meta::NodeInfo* t = o.node;
  if (!t || t->id == gw.options().nodeId || t->down() || t->httpEndpoint.empty() ||
      c.suspected(t->rpcEndpoint)) {
    return std::nullopt;
  }
  return OwnerAddress{t->httpEndpoint, t->rpcEndpoint};
}

std::string requestHead(Exchange& ex, const std::string& self) {
  std::string head;
  head.reserve(1024);
  head += "GET ";
  head += ex.target();
  head += " HTTP/1.1\r\n";
  for (const auto& f : ex.headers()) {
    if (hopByHop(f.name())) continue;
    head += toStd(f.name_string());
    head += ": ";
    head += toStd(f.value());
    head += "\r\n";
  }
  head += kRelayedHeader;
  head += ": ";
  head += self;
  head += "\r\n\r\n";
  return head;
}

// A connection to endpoint: a kept-alive one (reused = true) or a new one; null if none.
std::unique_ptr<beast::tcp_stream> takeConnection(Exchange& ex, Upstream& up,
                                                  const std::string& endpoint, bool& reused) {
  if (!up.idle.empty()) {
    auto s = std::move(up.idle.back());
    up.idle.pop_back();
    reused = true;
    return s;
  }
  reused = false;
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return nullptr;
  beast::error_code ec;
  auto addr = net::ip::make_address(endpoint.substr(0, colon), ec);
  if (ec) return nullptr;
  uint16_t port = static_cast<uint16_t>(std::strtoul(endpoint.c_str() + colon + 1, nullptr, 10));
  auto s = std::make_unique<beast::tcp_stream>(ex.executor());
  s->expires_after(kConnectTimeout);
  s->async_connect(tcp::endpoint(addr, port), ex.yield()[ec]);
  ex.resumed();
  if (ec) {
    up.downUntil = Clock::now() + kDownFor;
    log::warn("gateway: owner's gateway {} not reachable ({}): GETs go through the fabric for {} s",
              endpoint, ec.message(), kDownFor.count());
    return nullptr;
  }
  s->socket().set_option(tcp::no_delay(true), ec);
  return s;
}

// A pipe for splice(2), taken by one relay at a time; returned empty, or closed.
struct Pipe {
  int r = -1, w = -1;
  Pipe() = default;
  Pipe(Pipe&& o) noexcept : r(std::exchange(o.r, -1)), w(std::exchange(o.w, -1)) {}
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
};
thread_local std::vector<Pipe> idlePipes;

std::optional<Pipe> takePipe() {
  if (!idlePipes.empty()) {
    Pipe p = std::move(idlePipes.back());
    idlePipes.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return std::nullopt;
  Pipe p;
  p.r = fds[0];
  p.w = fds[1];
  (void)::fcntl(p.w, F_SETPIPE_SZ, kRelayChunk);  // (a smaller pipe only means more calls)
  return p;
}

// Suspends until the owner's socket has bytes (or closed); false after the stall timeout.
bool waitReadable(Exchange& ex, beast::tcp_stream& s) {
  bool ok = awaitSocket(s.socket(), tcp::socket::wait_read, ex.yield(), ex.stallTimeout());
  ex.resumed();
  return ok;
}

// The next `left` body bytes from the owner's socket to the client's through a pipe: the pages
// move from one socket to the other without a copy through user space.
Status relayBody(Exchange& ex, beast::tcp_stream& s, uint64_t& left) {
  auto pipe = takePipe();
  if (!pipe) return Status(Code::kIoError, std::string("pipe: ") + std::strerror(errno));
  int from = s.socket().native_handle();
  while (left > 0) {
    ssize_t n = ::splice(from, nullptr, pipe->w, nullptr, std::min<uint64_t>(left, kRelayChunk),
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (waitReadable(ex, s)) continue;
      return Status(Code::kTimeout, "the owner sent no bytes for " +
                                        std::to_string(ex.stallTimeout().count()) + " s");
    }
    if (n < 0) return Status(Code::kIoError, std::string("splice: ") + std::strerror(errno));
    if (n == 0) return Status(Code::kIoError, "the owner closed the connection mid-body");
    AIS_RETURN_IF_ERROR(ex.sendFromPipe(pipe->r, static_cast<uint64_t>(n)));
    left -= static_cast<uint64_t>(n);
  }
  idlePipes.push_back(std::move(*pipe));  // (empty: every byte went out)
  return Status::OK();
}

enum class Outcome { kAnswered, kNotRelayed, kRetry };

Outcome relayOnce(Exchange& ex, Client& c, Upstream& up, const OwnerAddress& owner,
                  const std::string& head) {
  const std::string& endpoint = owner.http;
  bool reused = false;
  auto s = takeConnection(ex, up, endpoint, reused);
  if (!s) return Outcome::kNotRelayed;
  beast::error_code ec;
  s->expires_after(ex.stallTimeout());
  net::async_write(*s, net::buffer(head), ex.yield()[ec]);
  ex.resumed();
  beast::flat_buffer buf;
  buf.reserve(kFirstRead);  // (Beast reads what fits: a small object's answer in one recv)
  http::response_parser<http::buffer_body> res;
  res.header_limit(64 << 10);
  res.body_limit(std::numeric_limits<std::uint64_t>::max());  // (read by hand below)
  if (!ec) {
    s->expires_after(std::min<Clock::duration>(ex.stallTimeout(), kHeaderWait));
    http::async_read_header(*s, buf, res, ex.yield()[ec]);
    ex.resumed();
    if (ec == beast::error::timeout) {
      up.downUntil = Clock::now() + kDownFor;
      bool answers = c.probe(owner.rpc, kProbeLimit);
      ex.resumed();
      log::warn(
          "gateway: owner's gateway {} sent no header for {}: GETs go through the fabric "
          "for {} s{}",
          endpoint, ex.target(), kDownFor.count(),
          answers ? "" : " (its node does not answer either: suspected, read around it)");
      return Outcome::kNotRelayed;
    }
  }
  if (ec) {
    // A kept-alive connection the owner closed meanwhile: once more on a new one. Nothing went
    // to the client yet, so whatever else failed is served here instead.
    return reused ? Outcome::kRetry : Outcome::kNotRelayed;
  }
  unsigned status = res.get().result_int();
  auto length = res.content_length();
  bool bodyless = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (status < 200 || (!length && !bodyless) || res.chunked()) {
    return Outcome::kNotRelayed;  // (never sent by a gateway of ours)
  }
  uint64_t total = length.value_or(0);
  auto& out = ex.responseHeaders();
  out.clear();
  for (const auto& f : res.get()) {
    auto name = f.name();
    if (hopByHop(name) || name == http::field::content_length || name == http::field::server) {
      continue;
    }
    out.insert(f.name_string(), f.value());
  }
  if (!ex.beginResponse(status, total).ok()) return Outcome::kAnswered;  // the client left
  // Body bytes read with the header, then the rest straight from the owner's socket.
  uint64_t left = total;
  auto have = buf.data();
  size_t first = static_cast<size_t>(std::min<uint64_t>(have.size(), left));
  if (first > 0) {
    if (!ex.write({static_cast<const char*>(have.data()), first}).ok()) return Outcome::kAnswered;
    left -= first;
  }
  bool spare = have.size() == first;  // nothing read past this response
  if (left > 0) {
    if (Status st = relayBody(ex, *s, left); !st.ok()) {
      // The owner stopped mid-body (it found a bad block, or died) or the client left: a short
      // body and a closed connection, never bytes the owner did not verify.
      log::warn("gateway: relay from {} of {} stopped after {} of {} bytes: {}", endpoint,
                ex.target(), total - left, total, st.toString());
      ex.closeAfter();
      return Outcome::kAnswered;
    }
  }
  if (res.keep_alive() && spare && up.idle.size() < kMaxIdle) up.idle.push_back(std::move(s));
  return Outcome::kAnswered;
}

}  // namespace

bool relayToOwner(Gateway& gw, Exchange& ex, const std::string& bucket, const std::string& name) {
  if (!gw.options().relayToOwner || ex.method() != http::verb::get) return false;
  if (!ex.header(kRelayedHeader).empty() || !ex.header(http::field::expect).empty()) return false;
  if (ex.chunked() || ex.contentLength().value_or(0) > 0) return false;
  auto c = gw.client();
  if (!c.ok()) return false;
  auto owner = ownerGateway(gw, **c, bucket, name);
  if (!owner) return false;
  Upstream& up = upstreams[owner->http];
  if (up.inFlight >= kMaxInFlight || Clock::now() < up.downUntil) return false;
  std::string head = requestHead(ex, gw.options().nodeId);
  ++up.inFlight;
  Outcome o = relayOnce(ex, **c, up, *owner, head);
  if (o == Outcome::kRetry) o = relayOnce(ex, **c, up, *owner, head);
  --up.inFlight;
  return o == Outcome::kAnswered;
}

}  // namespace ais::gateway
