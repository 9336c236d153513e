#include "tools/aisloader/s3_client.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <ctime>

namespace ais::loader {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string sha256Hex(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return hex(d, sizeof(d));
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// RFC 3986 unreserved characters stay; everything else %XX (a path keeps its slashes).
std::string uriEncode(const std::string& s, bool keepSlash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The text between <tag> and </tag> from `from`; npos-safe.
std::string between(const std::string& s, const std::string& tag, size_t from, size_t* end) {
  size_t a = s.find("<" + tag + ">", from);
  if (a == std::string::npos) return {};
  a += tag.size() + 2;
  size_t b = s.find("</" + tag + ">", a);
  if (b == std::string::npos) return {};
  if (end) *end = b;
  return s.substr(a, b - a);
}

Status httpError(unsigned status, const std::string& body, const std::string& what) {
  std::string code = between(body, "Code", 0, nullptr);
  Code c = status == 404   ? Code::kObjectNotFound
           : status == 403 ? Code::kInvalidArgument
           : status >= 500 ? Code::kUnavailable
                           : Code::kInvalidArgument;
  return Status(c, what + ": HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code));
}

}  // namespace

S3Credentials S3Credentials::fromEnvironment() {
  S3Credentials c;
  if (const char* v = std::getenv("AWS_ACCESS_KEY_ID")) c.accessKey = v;
  if (const char* v = std::getenv("AWS_SECRET_ACCESS_KEY")) c.secretKey = v;
  if (const char* v = std::getenv("AWS_REGION"))
    c.region = v;
  else if (const char* d = std::getenv("AWS_DEFAULT_REGION"))
    c.region = d;
  return c;
}

std::string sigV4Authorization(const S3Credentials& creds, const std::string& method,
                               const std::string& canonicalPath, const std::string& canonicalQuery,
                               const std::string& host, const std::string& amzDate,
                               const std::string& payloadHash) {
  std::string date = amzDate.substr(0, 8);
  std::string scope = date + "/" + creds.region + "/s3/aws4_request";
  std::string signedHeaders = "host;x-amz-content-sha256;x-amz-date";
  std::string canonical = method + "\n" + canonicalPath + "\n" + canonicalQuery + "\n" +
                          "host:" + host + "\n" + "x-amz-content-sha256:" + payloadHash + "\n" +
                          "x-amz-date:" + amzDate + "\n\n" + signedHeaders + "\n" + payloadHash;
  std::string toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonical);
  std::string key = hmac("AWS4" + creds.secretKey, date);
  key = hmac(key, creds.region);
  key = hmac(key, "s3");
  key = hmac(key, "aws4_request");
  std::string sig = hmac(key, toSign);
  return "AWS4-HMAC-SHA256 Credential=" + creds.accessKey + "/" + scope +
         ", SignedHeaders=" + signedHeaders +
         ", Signature=" + hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

struct S3Client::Conn {
  asio::io_context io;
  beast::tcp_stream stream{io};
  std::string host, port;
  Status open() {
    try {
      asio::ip::tcp::resolver resolver(io);
      stream.connect(resolver.resolve(host, port));
      stream.socket().set_option(asio::ip::tcp::no_delay(true));
      return Status::OK();
    } catch (const std::exception& e) {
      return Status(Code::kUnavailable, "connect " + host + ":" + port + ": " + e.what());
    }
  }
};

S3Client::S3Client(std::unique_ptr<Conn> conn, std::string host, std::string prefix,
                   S3Credentials creds)
    : conn_(std::move(conn)),
      host_(std::move(host)),
      prefix_(std::move(prefix)),
      creds_(std::move(creds)) {}
S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::connect(const std::string& endpoint,
                                                    S3Credentials creds) {
  if (endpoint.rfind("http://", 0) != 0) {
    return Status(Code::kInvalidArgument,
                  "-s3endpoint " + endpoint + ": expected http://host:port (no TLS)");
  }
  std::string rest = endpoint.substr(7);
  std::string prefix;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    prefix = rest.substr(slash);
    rest = rest.substr(0, slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  }
  auto colon = rest.rfind(':');
  auto conn = std::make_unique<Conn>();
  conn->host = colon == std::string::npos ? rest : rest.substr(0, colon);
  conn->port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  AIS_RETURN_IF_ERROR(conn->open());
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(conn), rest, std::move(prefix), std::move(creds)));
}

Result<S3Client::Reply> S3Client::request(
    const std::string& method, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& query, const std::string& body) {
  auto sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::string q;
  for (const auto& [k, v] : sorted) {
    if (!q.empty()) q += "&";
    q += uriEncode(k, false) + "=" + uriEncode(v, false);
  }
  std::string target = uriEncode(prefix_ + path, true);
  http::request<http::string_body> req(http::string_to_verb(method),
                                       q.empty() ? target : target + "?" + q, 11);
  req.set(http::field::host, host_);
  req.set(http::field::user_agent, "aisloader-cpp");
  req.body() = body;
  req.prepare_payload();
  if (!creds_.empty()) {
    std::time_t now = std::time(nullptr);
    char amzDate[17];
    std::strftime(amzDate, sizeof(amzDate), "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    std::string payloadHash = sha256Hex(body);
    req.set("x-amz-date", amzDate);
    req.set("x-amz-content-sha256", payloadHash);
    req.set(http::field::authorization,
            sigV4Authorization(creds_, method, target, q, host_, amzDate, payloadHash));
  }
  for (int attempt = 0;; ++attempt) {
    try {
      http::write(conn_->stream, req);
      beast::flat_buffer buf;
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<uint64_t>::max());
      http::read(conn_->stream, buf, parser);
      auto res = parser.release();
      Reply r{res.result_int(), std::move(res.body())};
      if (!res.keep_alive()) {
        beast::error_code ec;
        conn_->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        conn_->stream.close();
        AIS_RETURN_IF_ERROR(conn_->open());
      }
      return r;
    } catch (const std::exception& e) {
      // A kept-alive connection the server closed meanwhile: reconnect and send it once more.
      conn_->stream.close();
      if (attempt > 0) return Status(Code::kUnavailable, method + " " + path + ": " + e.what());
      AIS_RETURN_IF_ERROR(conn_->open());
    }
  }
}

Status S3Client::createBucket(const std::string& bucket) {
  auto r = request("PUT", "/" + bucket, {}, "");
  if (!r.ok()) return r.status();
  if (r->status == 200 || r->body.find("BucketAlreadyOwnedByYou") != std::string::npos) {
    return Status::OK();
  }
  return httpError(r->status, r->body, "create bucket " + bucket);
}

Status S3Client::put(const std::string& bucket, const std::string& key, const std::string& data) {
  auto r = request("PUT", "/" + bucket + "/" + key, {}, data);
  if (!r.ok()) return r.status();
  // (any 2xx: a WebDAV server, such as the nginx the benches compare with, answers 201 or 204)
  return r->status / 100 == 2 ? Status::OK() : httpError(r->status, r->body, "PUT " + key);
}

Result<std::string> S3Client::get(const std::string& bucket, const std::string& key) {
  auto r = request("GET", "/" + bucket + "/" + key, {}, "");
  if (!r.ok()) return r.status();
  if (r->status != 200) return httpError(r->status, r->body, "GET " + key);
  return std::move(r->body);
}

Status S3Client::remove(const std::string& bucket, const std::string& key) {
  auto r = request("DELETE", "/" + bucket + "/" + key, {}, "");
  if (!r.ok()) return r.status();
  return r->status == 204 || r->status == 200 ? Status::OK()
                                              : httpError(r->status, r->body, "DELETE " + key);
}

Result<std::vector<S3Client::Entry>> S3Client::listAll(const std::string& bucket) {
  std::vector<Entry> out;
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> q{{"list-type", "2"}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    auto r = request("GET", "/" + bucket, q, "");
    if (!r.ok()) return r.status();
    if (r->status != 200) return httpError(r->status, r->body, "list " + bucket);
    size_t pos = 0, end = 0;
    for (;;) {
      std::string item = between(r->body, "Contents", pos, &end);
      if (item.empty()) break;
      pos = end;
      out.push_back({between(item, "Key", 0, nullptr),
                     std::strtoull(between(item, "Size", 0, nullptr).c_str(), nullptr, 10)});
    }
    token = between(r->body, "NextContinuationToken", 0, nullptr);
    if (token.empty()) break;
  }
  return out;
}

}  // namespace ais::loader
