#include "node/gateway/http_server.h"

#include <fcntl.h>
#include <kj/exception.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <cerrno>
#include <cstring>
#include <limits>

#include "common/log.h"
#include "node/accept_retry.h"

namespace ais::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

void CoroutineWait::await(const std::function<void(std::function<void()> done)>& start) {
  // The completion posts to this connection's thread, which cannot run it before this coroutine
  // (itself running on that thread) is suspended in the wait below.
  struct State {
    explicit State(const net::any_io_executor& ex)
        : timer(ex, net::steady_timer::time_point::max()) {}
    net::steady_timer timer;
    bool done = false;
  };
  auto state = std::make_shared<State>(strand_);
  WaitHook::setCurrent(nullptr);
  start([state, strand = strand_] {
    net::post(strand, [state] {
      state->done = true;
      state->timer.cancel();
    });
  });
  while (!state->done) {
    beast::error_code ec;
    state->timer.async_wait(yield_[ec]);
  }
  WaitHook::setCurrent(this);
}

void CoroutineWait::sleepFor(std::chrono::milliseconds d) {
  net::steady_timer timer(strand_, d);
  beast::error_code ec;
  WaitHook::setCurrent(nullptr);
  timer.async_wait(yield_[ec]);
  WaitHook::setCurrent(this);
}

Exchange::Exchange(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                   http::request_parser<http::buffer_body>& parser, CoroutineWait& wait,
                   const HttpServerOptions& options)
    : stream_(stream), buffer_(buffer), parser_(parser), wait_(wait), options_(options) {}

std::string_view Exchange::header(http::field f) const {
  auto it = req().find(f);
  return it == req().end() ? std::string_view() : toStd(it->value());
}

std::string_view Exchange::header(std::string_view name) const {
  auto it = req().find(beast::string_view(name.data(), name.size()));
  return it == req().end() ? std::string_view() : toStd(it->value());
}

std::optional<uint64_t> Exchange::contentLength() const {
  auto v = parser_.content_length();
  if (!v) return std::nullopt;
  return *v;
}

namespace {
constexpr size_t kBodyReadBuffer = 256 << 10;
}  // namespace

Result<size_t> Exchange::readBody(char* buf, size_t n) {
  if (parser_.is_done() || n == 0) return size_t{0};
  if (!continueSent_) {
    continueSent_ = true;
    // The client waits for this before sending the body (awscli does for every PUT).
    if (beast::iequals(req()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      beast::error_code ec;
      stream_.expires_after(options_.stallTimeout);
      http::async_write(stream_, cont, wait_.yield()[ec]);
      resumed();
      if (ec) return Status(Code::kIoError, "write 100-continue: " + ec.message());
    }
  }
  auto& body = parser_.get().body();
  body.data = buf;
  body.size = n;
  // Beast reads the socket into buffer_ as much as its spare capacity, which after a header is
  // a few hundred bytes: an 8 MiB PUT body took 8,700 recvmsg calls, each with an epoll_wait
  // and a timer re-armed (100 ms; the fabric PUT of the same bytes 20 ms). Room for large reads
  // while a body comes in, given back once it is in.
  if (buffer_.capacity() < kBodyReadBuffer && n > buffer_.size()) buffer_.reserve(kBodyReadBuffer);
  beast::error_code ec;
  stream_.expires_after(options_.stallTimeout);
  http::async_read(stream_, buffer_, parser_, wait_.yield()[ec]);
  resumed();
  if (parser_.is_done() && buffer_.size() == 0) buffer_.shrink_to_fit();
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    close_ = true;
    if (ec == http::error::partial_message || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return Status(Code::kIoError, "client disconnected mid-body");
    }
    if (ec == beast::error::timeout) {
      return Status(Code::kTimeout, "client sent no body bytes for " +
                                        std::to_string(options_.stallTimeout.count()) + " s");
    }
    return Status(Code::kInvalidArgument, "bad request body: " + ec.message());
  }
  return n - body.size;
}

Status Exchange::sendHeader(unsigned status, uint64_t contentLength) {
  if (responded_) return Status(Code::kInternal, "response already sent");
  responded_ = true;
  status_ = status;
  // Unread request body: the rest of the stream is not the next request.
  if (!parser_.is_done()) close_ = true;
  if (!parser_.get().keep_alive()) close_ = true;
  // Serialized by hand: this runs for every response, and a stream plus a header map cost more
  // than the rest of a small GET's user-space work.
  std::string& head = pendingHeader_;
  head.clear();
  // A client that asked for 100-continue and sent an empty body still waits for it: botocore
  // otherwise keeps this final status line as the next response's (a keep-alive connection then
  // misreads every response after it until a timeout).
  if (!continueSent_ && parser_.is_done() &&
      beast::iequals(req()[http::field::expect], "100-continue")) {
    continueSent_ = true;
    head += "HTTP/1.1 100 Continue\r\n\r\n";
  }
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += toStd(http::obsolete_reason(static_cast<http::status>(status)));
  head += "\r\n";
  for (const auto& f : resHeaders_) {
    auto name = f.name();
    if (name == http::field::content_length || name == http::field::connection ||
        name == http::field::server) {
      continue;  // set below
    }
    head += toStd(f.name_string());
    head += ": ";
    head += toStd(f.value());
    head += "\r\n";
  }
  head += "Server: AIStore-cpp\r\nContent-Length: ";
  head += std::to_string(contentLength);
  head += close_ ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
  // With a body to follow, the header goes out with its first bytes (one write, or one send
  // with MSG_MORE before sendfile): a small response costs one segment, not two.
  if (contentLength == 0 || headOnly()) return flushHeader();
  return Status::OK();
}

Status Exchange::flushHeader() {
  if (pendingHeader_.empty()) return Status::OK();
  beast::error_code ec;
  stream_.expires_after(options_.stallTimeout);
  net::async_write(stream_, net::buffer(pendingHeader_), wait_.yield()[ec]);
  resumed();
  pendingHeader_.clear();
  if (ec) {
    close_ = true;
    return Status(Code::kIoError, "write header: " + ec.message());
  }
  return Status::OK();
}

std::chrono::seconds Exchange::stallTimeout() const { return options_.stallTimeout; }

void Exchange::finishResponse() {
  if (!flushHeader().ok() || remaining_ > 0) close_ = true;  // a short body ends the connection
}

Status Exchange::respond(unsigned status, std::string body) {
  if (headOnly()) {
    // HEAD: the headers describe the body a GET would carry; none follows.
    auto len = resHeaders_.find(http::field::content_length);
    uint64_t n = body.size();
    if (len != resHeaders_.end()) n = std::stoull(std::string(len->value()));
    return sendHeader(status, n);
  }
  AIS_RETURN_IF_ERROR(sendHeader(status, body.size()));
  remaining_ = body.size();
  return write(body);
}

Status Exchange::beginResponse(unsigned status, uint64_t contentLength) {
  AIS_RETURN_IF_ERROR(sendHeader(status, contentLength));
  remaining_ = headOnly() ? 0 : contentLength;
  return Status::OK();
}

Status Exchange::write(std::string_view data) {
  if (data.size() > remaining_) return Status(Code::kInternal, "response longer than declared");
  beast::error_code ec;
  stream_.expires_after(options_.stallTimeout);
  std::array<net::const_buffer, 2> pieces{net::buffer(pendingHeader_),
                                          net::buffer(data.data(), data.size())};
  net::async_write(stream_, pieces, wait_.yield()[ec]);
  resumed();
  pendingHeader_.clear();
  if (ec) {
    close_ = true;
    return Status(Code::kIoError, "write body: " + ec.message());
  }
  remaining_ -= data.size();
  return Status::OK();
}

Status Exchange::sendHeaderCorked() {
  if (pendingHeader_.empty()) return Status::OK();
  // Corked by MSG_MORE: the kernel sends the header with the body's first bytes.
  ssize_t n = ::send(stream_.socket().native_handle(), pendingHeader_.data(), pendingHeader_.size(),
                     MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) pendingHeader_.erase(0, static_cast<size_t>(n));
  return flushHeader();  // whatever did not fit
}

bool awaitSocket(tcp::socket& socket, net::socket_base::wait_type what, net::yield_context& yield,
                 std::chrono::seconds limit) {
  // The timer's handler may run after the wait ended (it expired just as the socket became
  // ready), when the socket may be closed or gone: it touches the socket only while armed.
  auto armed = std::make_shared<bool>(true);
  net::steady_timer timer(socket.get_executor(), limit);
  timer.async_wait([armed, &socket](beast::error_code ec) {
    if (ec || !*armed) return;
    beast::error_code ignored;
    socket.cancel(ignored);  // stalled: the wait below fails
  });
  beast::error_code ec;
  socket.async_wait(what, yield[ec]);
  *armed = false;
  timer.cancel();
  return !ec;
}

bool Exchange::waitWritable() {
  bool ok =
      awaitSocket(stream_.socket(), tcp::socket::wait_write, wait_.yield(), options_.stallTimeout);
  resumed();
  return ok;
}

template <typename Step>
Status Exchange::sendByKernel(const char* call, uint64_t length, Step&& step) {
  if (length > remaining_) return Status(Code::kInternal, "response longer than declared");
  AIS_RETURN_IF_ERROR(sendHeaderCorked());
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = step(left);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The socket is full: suspend until the client drained some (or gave up).
      if (errno == EAGAIN && waitWritable()) continue;
      if (errno == EAGAIN) errno = ETIMEDOUT;
      break;
    }
    if (n == 0) break;
    left -= static_cast<uint64_t>(n);
  }
  remaining_ -= length - left;
  if (left > 0) {
    close_ = true;
    return Status(Code::kIoError, std::string(call) + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Status Exchange::sendFromPipe(int pipeRead, uint64_t length) {
  int sock = stream_.socket().native_handle();
  const uint64_t after = remaining_ - std::min(remaining_, length);  // the body's bytes after these
  return sendByKernel("splice", length, [&](uint64_t left) {
    // SPLICE_F_MORE corks the socket like MSG_MORE: only while more of the body follows. On the
    // body's last bytes it held the final partial segment back until the kernel's cork timer
    // (up to 200 ms) on a kept-alive connection: relayed GETs just over 64 KiB waited that long.
    unsigned more = after > 0 ? SPLICE_F_MORE : 0;
    return ::splice(pipeRead, nullptr, sock, nullptr, left,
                    SPLICE_F_MOVE | SPLICE_F_NONBLOCK | more);
  });
}

Status Exchange::sendFile(int fd, uint64_t offset, uint64_t length) {
  int sock = stream_.socket().native_handle();
  off_t off = static_cast<off_t>(offset);
  return sendByKernel("sendfile", length, [&](uint64_t left) {
    return ::sendfile(sock, fd, &off, std::min<uint64_t>(left, 1 << 30));
  });
}

namespace {

void noCompletion() {}  // a connection's coroutine reports to no one when it ends

// One connection: a coroutine reading a request header, running its handler, and repeating while
// the connection is kept alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const Handler& handler,
          std::atomic<int>& live, std::function<void()> onClose)
      : stream_(std::move(socket)),
        options_(options),
        handler_(handler),
        live_(live),
        onClose_(std::move(onClose)) {
    live_.fetch_add(1);
  }
  ~Session() {
    if (onClose_) onClose_();
    live_.fetch_sub(1);
  }

  void start() {
    // Bound to the connection's executor, not to a strand (what spawn(executor) would add):
    // each io_context is run by one thread, so its handlers never run concurrently anyway,
    // and a strand costs a mutex and a queue on every resumption.
    net::spawn(
        net::bind_executor(net::any_io_executor(stream_.get_executor()), &noCompletion),
        [self = shared_from_this()](net::yield_context yield) { self->run(yield); },
        boost::coroutines::attributes(options_.coroutineStack));
  }

 private:
  void run(net::yield_context yield) {
    CoroutineWait wait(yield, stream_.get_executor());
    try {
      while (serveOne(wait)) {
      }
    } catch (const std::exception& e) {  // (not the coroutine's forced unwind: it must pass)
      log::error("gateway connection: {}", e.what());
    } catch (const kj::Exception& e) {
      log::error("gateway connection: {}", e.getDescription().cStr());
    }
    WaitHook::setCurrent(nullptr);
    close();
  }

  // False once the connection is to be closed.
  bool serveOne(CoroutineWait& wait) {
    parser_.emplace();
    parser_->header_limit(options_.headerLimit);
    // PUT bodies are streamed, any size (boost::none trips a comparison bug in Boost 1.74).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(options_.idleTimeout);
    beast::error_code ec;
    WaitHook::setCurrent(nullptr);
    http::async_read_header(stream_, buffer_, *parser_, wait.yield()[ec]);
    if (ec) {
      if (ec == http::error::end_of_stream || ec == net::error::eof ||
          ec == beast::error::timeout || ec == net::error::connection_reset ||
          ec == net::error::operation_aborted) {
        return false;
      }
      // Malformed or oversized header: answer once, then drop the connection.
      unsigned code = ec == http::error::header_limit ? 431 : 400;
      http::response<http::string_body> res{static_cast<http::status>(code), 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = ec.message() + "\n";
      res.keep_alive(false);
      res.prepare_payload();
      beast::error_code wec;
      stream_.expires_after(options_.stallTimeout);
      http::async_write(stream_, res, wait.yield()[wec]);
      return false;
    }
    WaitHook::setCurrent(&wait);
    Exchange ex(stream_, buffer_, *parser_, wait, options_);
    bool close = false;
    try {
      handler_(ex);
    } catch (const kj::Exception& e) {
      log::error("gateway handler: {}", e.getDescription().cStr());
      if (!ex.responded()) {
        ex.closeAfter();
        (void)ex.respond(500, "internal error\n");
      }
      close = true;
    } catch (const std::exception& e) {
      log::error("gateway handler: {}", e.what());
      if (!ex.responded()) {
        ex.closeAfter();
        (void)ex.respond(500, "internal error\n");
      }
      close = true;
    }
    if (!ex.responded()) {
      ex.closeAfter();
      (void)ex.respond(500, "no response\n");
    }
    ex.finishResponse();
    if (!parser_->is_done()) {
      lingerOnUnreadBody(wait);
      return false;
    }
    stream_.expires_never();
    return !(close || ex.wantsClose());
  }

  // Answered before the request's body was read (an error, a failed precondition): closing now,
  // with body bytes unread, would reset the connection, and a client still sending would see the
  // reset instead of the answer. So the sending side closes, and the rest of the body is read and
  // dropped for a while (bounded in time and bytes), as HTTP servers' "lingering close" does.
  void lingerOnUnreadBody(CoroutineWait& wait) {
    constexpr uint64_t kMaxBytes = 64 << 20;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));  // for the whole drain
    std::array<char, 64 << 10> scratch;
    for (uint64_t dropped = 0; !ec && dropped < kMaxBytes;) {
      dropped += stream_.async_read_some(net::buffer(scratch), wait.yield()[ec]);
    }
    stream_.expires_never();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  const HttpServerOptions& options_;
  const Handler& handler_;
  std::atomic<int>& live_;
  std::function<void()> onClose_;
};

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  auto colon = options_.endpoint.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalidArgument, "http endpoint needs host:port: " + options_.endpoint);
  }
  std::string host = options_.endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return Status(Code::kInvalidArgument, "http endpoint: bad address " + host);
  unsigned port = 0;
  try {
    port = static_cast<unsigned>(std::stoul(options_.endpoint.substr(colon + 1)));
  } catch (...) {
    return Status(Code::kInvalidArgument, "http endpoint: bad port in " + options_.endpoint);
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  unsigned n = options_.threads;
  if (n == 0) n = std::max(2u, std::thread::hardware_concurrency());
  // (Concurrency hint 1: each context is run by exactly one thread.)
  for (unsigned i = 0; i < n; ++i) ios_.push_back(std::make_unique<net::io_context>(1));
  acceptor_.emplace(*ios_[0]);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Status(Code::kUnavailable, "http listen " + options_.endpoint + ": " + ec.message());
  accept();
  for (auto& io : ios_) {
    // A work guard keeps a context running while it has no connection, until stop().
    threads_.emplace_back([ctx = io.get()] {
      auto guard = net::make_work_guard(*ctx);
      ctx->run();
    });
  }
  return Status::OK();
}

bool HttpServer::ClientTable::admit(const std::string& client, uint32_t max) {
  std::lock_guard lock(mu);
  uint32_t& n = open[client];
  if (max != 0 && n >= max) return false;
  ++n;
  return true;
}

void HttpServer::ClientTable::release(const std::string& client) {
  std::lock_guard lock(mu);
  auto it = open.find(client);
  if (it != open.end() && --it->second == 0) open.erase(it);
}

void HttpServer::accept() {
  net::io_context& home = *ios_[nextIo_++ % ios_.size()];
  acceptor_->async_accept(home, [this, &home](beast::error_code ec, tcp::socket sock) {
    if (ec == net::error::operation_aborted) return;
    if (ec && !acceptor_->is_open()) return;  // (stopped)
    if (ec) {
      // (out of descriptors or memory: the connection stays queued and an immediate retry
      // fails again at once, so wait; node/accept_retry.h)
      node::logAcceptFailure("HTTP gateway", ec.message());
      auto pause = std::make_shared<net::steady_timer>(home, node::kAcceptRetryDelay);
      pause->async_wait([this, pause](beast::error_code wec) {
        if (wec != net::error::operation_aborted && acceptor_->is_open()) accept();
      });
      return;
    }
    {
      beast::error_code nec;
      std::string client = sock.remote_endpoint(nec).address().to_string();
      if (nec || !clients_->admit(client, options_.maxConnectionsPerClient)) {
        // Too many from this client: told so (S3 clients back off and retry on SlowDown), and
        // closed without a session (a fresh socket's send buffer takes the few bytes at once).
        static const std::string kBusy = [] {
          std::string body =
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
              "<Message>too many connections from this client</Message></Error>";
          return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                 "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body;
        }();
        (void)::send(sock.native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        sock.shutdown(tcp::socket::shutdown_both, nec);
        sock.close(nec);
      } else {
        sock.set_option(tcp::no_delay(true), nec);
        std::make_shared<Session>(std::move(sock), options_, handler_, liveSessions_,
                                  [table = clients_, client] { table->release(client); })
            ->start();
      }
    }
    accept();
  });
}

void HttpServer::stop() {
  if (acceptor_) {
    net::post(*ios_[0], [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
  }
  for (auto& io : ios_) {
    if (io) io->stop();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  acceptor_.reset();
  if (int live = liveSessions_.load(); live > 0) {
    // Their coroutines are suspended in fabric calls or disk work that may still complete into
    // their stacks: unwinding them now could race with that. The process is exiting; leave them.
    log::info("gateway stopped with {} connections open", live);
    for (auto& io : ios_) (void)io.release();
  }
}

}  // namespace ais::gateway
