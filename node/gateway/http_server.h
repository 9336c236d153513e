// The gateway's HTTP/1.1 server (Boost.Asio + Beast): keep-alive connections on a small thread
// pool. Waiting for the next request header is asynchronous (idle connections cost no thread);
// once a header arrived, its handler runs synchronously on that pool thread and may block (on the
// fabric client, on disk), reading the request body and writing the response as streams — a large
// object never sits whole in memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"

namespace ais::gateway {

namespace http = boost::beast::http;

// Beast (Boost 1.74) has its own string_view.
inline std::string_view toStd(boost::beast::string_view s) { return {s.data(), s.size()}; }

// One request/response on a connection. Handlers use it from one thread only.
class Exchange {
 public:
  Exchange(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
           http::request_parser<http::buffer_body>& parser);

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
  // sendfile(2) from fd straight to the socket (the co-located owner's fast path).
  Status sendFile(int fd, uint64_t offset, uint64_t length);
  bool responded() const { return responded_; }
  // The connection closes after this response (e.g. the request body was not consumed).
  void closeAfter() { close_ = true; }
  bool wantsClose() const { return close_; }
  bool headOnly() const { return method() == http::verb::head; }

 private:
  const http::request<http::buffer_body>& req() const { return parser_.get(); }
  Status sendHeader(unsigned status, uint64_t contentLength);

  boost::beast::tcp_stream& stream_;
  boost::beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  http::fields resHeaders_;
  bool continueSent_ = false;
  bool responded_ = false;
  bool close_ = false;
  uint64_t remaining_ = 0;  // body bytes still owed after beginResponse
};

using Handler = std::function<void(Exchange&)>;

struct HttpServerOptions {
  std::string endpoint;                   // host:port to listen on
  unsigned threads = 0;                   // 0: 4 per core, at least 8 (handlers block)
  uint32_t headerLimit = 16 << 10;        // larger headers: 431
  std::chrono::seconds idleTimeout{120};  // keep-alive connection with no request
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
  boost::asio::io_context io_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace ais::gateway
