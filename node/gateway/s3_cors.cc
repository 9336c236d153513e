// S3 CORS, so a browser page may use the store: PutBucketCors/GetBucketCors/DeleteBucketCors
// keep a bucket's rules (BucketProps::cors, published with the BMD), an OPTIONS preflight is
// answered from them without a signature, and an actual request with an Origin gets the
// Access-Control-* headers of the first rule that allows its origin and method, whatever its
// outcome (a browser shows the page an error only with them).
#include <memory>
#include <unordered_map>

#include "common/ascii.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

namespace {

// '*' matches any run of characters; headers compare without case, origins with.
bool globMatch(std::string_view pattern, std::string_view s, bool caseless) {
  auto eq = [caseless](char a, char b) {
    if (!caseless) return a == b;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(a) == lower(b);
  };
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && eq(pattern[p], s[i])) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> headerList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = asciiTrim(list.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& v : items) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

// The first rule allowing origin and method (and, for a preflight, every requested header).
const CorsRule* matchRule(const std::vector<CorsRule>& rules, std::string_view origin,
                          std::string_view method, const std::vector<std::string>* headers) {
  for (const auto& rule : rules) {
    bool originOk = false, methodOk = false;
    for (const auto& o : rule.origins) originOk = originOk || globMatch(o, origin, false);
    for (const auto& m : rule.methods) methodOk = methodOk || m == method;
    if (!originOk || !methodOk) continue;
    bool headersOk = true;
    for (size_t i = 0; headers && i < headers->size() && headersOk; ++i) {
      bool one = false;
      for (const auto& h : rule.headers) one = one || globMatch(h, (*headers)[i], true);
      headersOk = one;
    }
    if (headersOk) return &rule;
  }
  return nullptr;
}

// The Access-Control-* answer of a matched rule. credentialed: the request was signed, so the
// origin is named (a '*' would make a browser drop the answer).
void allowHeaders(S3Request& r, const CorsRule& rule, std::string_view origin, bool credentialed) {
  auto& h = r.ex.responseHeaders();
  bool any = std::find(rule.origins.begin(), rule.origins.end(), "*") != rule.origins.end();
  if (any && !credentialed) {
    h.set("Access-Control-Allow-Origin", "*");
  } else {
    h.set("Access-Control-Allow-Origin", std::string(origin));
    h.set("Access-Control-Allow-Credentials", "true");
  }
  h.set("Access-Control-Allow-Methods", joined(rule.methods));
  if (!rule.exposeHeaders.empty())
    h.set("Access-Control-Expose-Headers", joined(rule.exposeHeaders));
  if (rule.maxAgeSeconds >= 0) h.set("Access-Control-Max-Age", std::to_string(rule.maxAgeSeconds));
}

void varyOnCors(S3Request& r) {
  r.ex.responseHeaders().set(
      http::field::vary, "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

// The bucket's rules; null when it has none (or no such bucket). Parsed once per document and
// thread (a few recent documents kept), not on every request with an Origin.
std::shared_ptr<const std::vector<CorsRule>> rulesOf(S3Request& r) {
  auto props = findBucket(r, r.bucket);
  if (!props || props->cors.empty()) return nullptr;
  thread_local std::unordered_map<std::string, std::shared_ptr<const std::vector<CorsRule>>> parsed;
  if (auto it = parsed.find(props->cors); it != parsed.end()) return it->second;
  auto rules = parseCorsConfiguration(props->cors);
  if (!rules.ok()) return nullptr;          // (checked when it was put)
  if (parsed.size() >= 64) parsed.clear();  // (old documents go; the busy ones come back)
  auto shared = std::make_shared<const std::vector<CorsRule>>(std::move(*rules));
  parsed.emplace(props->cors, shared);
  return shared;
}

}  // namespace

void putBucketCors(S3Request& r) {
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return;
  auto rules = parseCorsConfiguration(*body);
  if (!rules.ok()) {
    bool xml = rules.status().message().starts_with("XML");
    return r.fail(s3Error(xml ? "MalformedXML" : "InvalidRequest", rules.status().message()));
  }
  if (!setBucketField(r, &meta::BucketProps::cors, corsConfigurationXml(*rules))) return;
  (void)r.ex.respond(200);
}

void getBucketCors(S3Request& r) {
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  if (props->cors.empty()) return r.fail(s3Error("NoSuchCORSConfiguration"));
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, props->cors);
}

void deleteBucketCors(S3Request& r) {
  if (!setBucketField(r, &meta::BucketProps::cors, "")) return;
  (void)r.ex.respond(204);
}

void corsPreflight(S3Request& r) {
  std::string_view origin = r.ex.header("origin");
  std::string_view method = r.ex.header("access-control-request-method");
  if (r.bucket.empty()) return r.fail(s3Error("BadRequest", "OPTIONS needs a bucket"));
  if (origin.empty()) {
    return r.fail(s3Error("BadRequest", "Insufficient information. Origin request header needed."));
  }
  if (method.empty()) {
    return r.fail(s3Error("BadRequest", "Invalid Access-Control-Request-Method"));
  }
  if (!findBucket(r, r.bucket)) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  auto rules = rulesOf(r);
  if (!rules) {
    return r.fail(s3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."));
  }
  std::string_view requested = r.ex.header("access-control-request-headers");
  auto headers = headerList(requested);
  const CorsRule* rule = matchRule(*rules, origin, method, &headers);
  if (!rule) {
    return r.fail(s3Error("AccessForbidden",
                          "CORSResponse: This CORS request is not allowed: the origin, method or "
                          "headers are not among the bucket's CORS rules."));
  }
  allowHeaders(r, *rule, origin, false);
  if (!requested.empty()) {
    r.ex.responseHeaders().set("Access-Control-Allow-Headers", std::string(requested));
  }
  varyOnCors(r);
  (void)r.ex.respond(200);
}

void setCorsHeaders(S3Request& r) {
  std::string_view origin = r.ex.header("origin");
  if (origin.empty() || r.bucket.empty()) return;
  auto rules = rulesOf(r);
  if (!rules) return;
  varyOnCors(r);
  const CorsRule* rule = matchRule(*rules, origin, r.ex.methodString(), nullptr);
  if (rule) allowHeaders(r, *rule, origin, r.auth.verified);
}

}  // namespace ais::gateway
