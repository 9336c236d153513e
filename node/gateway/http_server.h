// The gateway's HTTP/1.1 server (Boost.Asio + Beast): keep-alive connections served by one thread
// per core, none of which ever blocks. Each thread runs its own io_context and owns the
// connections handed to it at accept (round robin): a request is read, handled and answered on
// one thread, with no lock or wake-up shared with the others. Each connection is a stackful
// coroutine (asio::spawn): its handler is written as plain sequential code, and every wait in it
// suspends the coroutine instead of the thread — socket reads and writes (with timeouts, so a
// stalled or vanished client costs a little memory until it is dropped, never a thread), fabric
// client calls (through the client's WaitHook, proto/wait_hook.h), and disk work handed to the
// target's I/O workers (Exchange::offload). Request bodies and responses are streams: a large
// object never sits whole in memory.
#pragma once

#ifndef BOOST_COROUTINES_NO_DEPRECATION_WARNING
#define BOOST_COROUTINES_NO_DEPRECATION_WARNING
#endif
#ifndef BOOST_ALLOW_DEPRECATED_HEADERS
#define BOOST_ALLOW_DEPRECATED_HEADERS
#endif

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "proto/wait_hook.h"

namespace ais::gateway {

namespace http = boost::beast::http;

// Bytes a handler reads from the store per step when it streams a response body.
inline constexpr size_t kBodyChunk = 1 << 20;

// A kBodyChunk buffer for a request body, left uninitialized: its pages are touched only as bytes
// arrive, so a stalled upload costs the few pages it sent, not the whole chunk.
struct BodyBuffer {
  std::unique_ptr<char[]> bytes{new char[kBodyChunk]};
  char* data() { return bytes.get(); }
  static constexpr size_t size() { return kBodyChunk; }
};

// Beast (Boost 1.74) has its own string_view.
inline std::string_view toStd(boost::beast::string_view s) { return {s.data(), s.size()}; }

struct HttpServerOptions;

// Suspends the calling coroutine until `socket` is ready for `what`; false if it was not within
// `limit` (a stalled peer) or the wait failed.
bool awaitSocket(boost::asio::ip::tcp::socket& socket, boost::asio::socket_base::wait_type what,
                 boost::asio::yield_context& yield, std::chrono::seconds limit);

// Suspends the connection's coroutine while a fabric call or disk work completes elsewhere; the
// completion (from any thread) resumes it on its connection's thread.
class CoroutineWait final : public WaitHook {
 public:
  CoroutineWait(boost::asio::yield_context yield, boost::asio::any_io_executor strand)
      : yield_(std::move(yield)), strand_(std::move(strand)) {}
  void await(const std::function<void(std::function<void()> done)>& start) override;
  void sleepFor(std::chrono::milliseconds d) override;
  boost::asio::yield_context& yield() { return yield_; }

 private:
  boost::asio::yield_context yield_;
  boost::asio::any_io_executor strand_;
};

// One request/response on a connection, used by its coroutine only.
class Exchange {
 public:
  Exchange(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
           http::request_parser<http::buffer_body>& parser, CoroutineWait& wait,
           const HttpServerOptions& options);

  // --- request ---
  http::verb method() const { return req().method(); }
  std::string_view methodString() const { return toStd(req().method_string()); }
  std::string_view target() const { return toStd(req().target()); }
  // Value of a header, "" if absent.
  std::string_view header(http::field f) const;
  std::string_view header(std::string_view name) const;
  const http::fields& headers() const { return req(); }
  std::optional<uint64_t> contentLength() const;
  // Reads up to n body bytes; 0 once the body is complete. A client that disconnects or sends a
  // malformed body gets kIoError / kInvalidArgument.
  Result<size_t> readBody(char* buf, size_t n);
  bool bodyDone() const { return parser_.is_done(); }
  bool chunked() const { return parser_.chunked(); }

  // --- response ---
  http::fields& responseHeaders() { return resHeaders_; }
  // A complete response with a body (Content-Length set).
  Status respond(unsigned status, std::string body = {});
  // Streamed response of exactly contentLength bytes, sent by write()/sendFile() calls.
  Status beginResponse(unsigned status, uint64_t contentLength);
  Status write(std::string_view data);
  // sendfile(2) from fd straight to the socket (the co-located owner's fast path): the file's
  // bytes must be in the page cache (just verified), so the call does not wait for the disk.
  Status sendFile(int fd, uint64_t offset, uint64_t length);
  // splice(2) of exactly length bytes from a pipe (filled from another socket by the caller)
  // to the client: a relayed body never crosses user space. On failure the pipe may keep some.
  Status sendFromPipe(int pipeRead, uint64_t length);
  // Runs blocking work (disk) through `post`, which must run it elsewhere (an I/O worker) and
  // call the function it is given when done; this connection waits without holding its thread.
  void offload(const std::function<void(std::function<void()> done)>& post) {
    awaitCompletion(post);
  }
  bool responded() const { return responded_; }
  // The status code sent (0 while none was).
  unsigned status() const { return status_; }
  // The connection closes after this response (e.g. the request body was not consumed).
  void closeAfter() { close_ = true; }
  bool wantsClose() const { return close_; }
  bool headOnly() const { return method() == http::verb::head; }
  // After the handler: sends a header still held back; a body shorter than declared closes the
  // connection (the next response must not be read as its rest).
  void finishResponse();

  // --- for a handler's own socket work on this connection's thread (owner_relay.cc) ---
  boost::asio::yield_context& yield() { return wait_.yield(); }
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  std::chrono::seconds stallTimeout() const;
  // After every suspension on yield(): other coroutines of this thread installed their hooks.
  void resumed() { WaitHook::setCurrent(&wait_); }

 private:
  const http::request<http::buffer_body>& req() const { return parser_.get(); }
  Status sendHeader(unsigned status, uint64_t contentLength);
  Status flushHeader();
  // Before a sendfile or splice: the held-back header, corked to leave with the body's first bytes.
  Status sendHeaderCorked();
  // Moves length bytes to the client by calls of step(bytes left) -> ssize_t (sendfile, splice:
  // copies the kernel makes), suspending while the socket is full. call names it in errors.
  // (A template, defined in http_server.cc where its two callers are: no std::function to
  // allocate on every GET.)
  template <typename Step>
  Status sendByKernel(const char* call, uint64_t length, Step&& step);
  // Suspends until the client's socket takes bytes again; false if it did not within the stall
  // timeout (the connection is then dropped).
  bool waitWritable();

  boost::beast::tcp_stream& stream_;
  boost::beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  CoroutineWait& wait_;
  const HttpServerOptions& options_;
  http::fields resHeaders_;
  std::string pendingHeader_;  // serialized, waiting to go out with the body's first bytes
  bool continueSent_ = false;
  bool responded_ = false;
  unsigned status_ = 0;
  bool close_ = false;
  uint64_t remaining_ = 0;  // body bytes still owed after beginResponse
};

using Handler = std::function<void(Exchange&)>;

struct HttpServerOptions {
  std::string endpoint;                   // host:port to listen on
  unsigned threads = 0;                   // 0: one per core (at least 2)
  uint32_t headerLimit = 16 << 10;        // larger headers: 431
  std::chrono::seconds idleTimeout{120};  // keep-alive connection with no request
  // A request header, a piece of request body or a piece of response that makes no progress for
  // this long drops the connection (a stalled or vanished client).
  std::chrono::seconds stallTimeout{60};
  size_t coroutineStack = 512 << 10;  // per connection (virtual memory, touched as used)
  // Open connections from one client address beyond this are answered 503 SlowDown and closed
  // at once (0: no limit): one client cannot take the port's file descriptors from the others.
  uint32_t maxConnectionsPerClient = 1024;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status start();
  void stop();

 private:
  void accept();

  HttpServerOptions options_;
  Handler handler_;
  // One per thread; the acceptor runs on the first. Leaked, not destroyed, if connections were
  // still suspended at stop() (see stop()).
  std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
  size_t nextIo_ = 0;  // the next accepted connection's (acceptor's handler only)
  std::atomic<int> liveSessions_{0};
  // Open connections per client address: the acceptor adds, closing sessions (which may
  // outlive this server, see stop()) remove.
  struct ClientTable {
    // Counts a new connection from `client`; false (not counted) if it has `max` open already
    // (0: no limit).
    bool admit(const std::string& client, uint32_t max);
    void release(const std::string& client);

    std::mutex mu;
    std::unordered_map<std::string, uint32_t> open;
  };
  std::shared_ptr<ClientTable> clients_ = std::make_shared<ClientTable>();
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace ais::gateway
