#include "node/gateway/s3_auth_sigv4.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "common/ascii.h"
#include "common/digest.h"
#include "node/gateway/http_dates.h"

namespace ais::gateway {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::time_t kMaxSkewSec = 15 * 60;

// "20240101T000000Z" → epoch seconds; -1 if malformed.
std::time_t parseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  std::tm tm{};
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0) {
    return -1;
  }
  return timegm(&tm);
}

// The key derived from the secret for a day, region and service: four HMACs, the same for every
// request of that day, so each thread keeps the few it has derived.
const std::string& signingKey(const std::string& secret, std::string_view date,
                              std::string_view region, std::string_view service) {
  struct Derived {
    std::string secret, date, region, service, key;
  };
  thread_local std::vector<Derived> derived;
  for (const Derived& d : derived) {
    if (d.date == date && d.region == region && d.service == service && d.secret == secret) {
      return d.key;
    }
  }
  std::string k = hmacSha256("AWS4" + secret, date);
  k = hmacSha256(k, region);
  k = hmacSha256(k, service);
  k = hmacSha256(k, "aws4_request");
  if (derived.size() >= 16) derived.clear();  // (clients' scopes are few; stale days go)
  derived.push_back(
      {secret, std::string(date), std::string(region), std::string(service), std::move(k)});
  return derived.back().key;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int upperHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True if raw is its own canonical form: unreserved characters, and escapes (upper-case hex) of
// only the bytes that must be escaped. What SDKs send; such parts need no decode and re-encode.
bool alreadyCanonical(std::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (unreserved(c)) continue;
    if (c != '%' || i + 2 >= raw.size()) return false;
    int hi = upperHexValue(raw[i + 1]), lo = upperHexValue(raw[i + 2]);
    if (hi < 0 || lo < 0 || unreserved(static_cast<unsigned char>(hi * 16 + lo))) return false;
    i += 2;
  }
  return true;
}

// A query component in canonical form: the request's own bytes when they already are one (what
// SDKs send), else decoded and re-encoded into storage.
struct CanonicalPart {
  std::string_view raw;
  std::string storage;
  bool reencoded = false;
  explicit CanonicalPart(std::string_view r) : raw(r) {
    if (alreadyCanonical(r)) return;
    storage = uriEncode(urlDecode(r, true).value_or(std::string(r)), false);
    reencoded = true;
  }
  std::string_view view() const { return reencoded ? std::string_view(storage) : raw; }
};

}  // namespace

std::string sigV4CanonicalQuery(std::string_view rawQuery, bool dropSignature) {
  std::vector<std::pair<CanonicalPart, CanonicalPart>> params;
  params.reserve(16);
  for (std::string_view part : split(rawQuery, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    CanonicalPart k(part.substr(0, eq));
    if (dropSignature && k.view() == "X-Amz-Signature") continue;
    std::string_view rawV = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    params.emplace_back(std::move(k), CanonicalPart(rawV));
  }
  std::sort(params.begin(), params.end(), [](const auto& a, const auto& b) {
    std::string_view ak = a.first.view(), bk = b.first.view();
    return ak != bk ? ak < bk : a.second.view() < b.second.view();
  });
  std::string out;
  out.reserve(rawQuery.size() + 32);
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k.view();
    out += '=';
    out += v.view();
  }
  return out;
}

namespace {

std::string canonicalHeaderValue(const Exchange& ex, std::string_view name) {
  std::string joined;
  auto range = ex.headers().equal_range(boost::beast::string_view(name.data(), name.size()));
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view v = asciiTrim(std::string_view(it->value().data(), it->value().size()));
    if (!joined.empty()) joined += ',';
    bool space = false;
    for (char c : v) {  // sequential spaces collapse to one
      if (c == ' ') {
        if (!space) joined += c;
        space = true;
      } else {
        joined += c;
        space = false;
      }
    }
  }
  return joined;
}

struct Parsed {
  std::string accessKey, date, region, service, signedHeaders, signature, amzDate;
  std::time_t expires = 0;  // presigned only
  bool presigned = false;
};

std::variant<Parsed, S3Error> parseCredential(std::string_view cred, Parsed p) {
  auto parts = split(cred, '/');
  if (parts.size() != 5 || parts[4] != "aws4_request") {
    return s3Error("AuthorizationHeaderMalformed", "bad Credential scope");
  }
  p.accessKey = parts[0];
  p.date = parts[1];
  p.region = parts[2];
  p.service = parts[3];
  return p;
}

}  // namespace

std::variant<S3Auth, S3Error> verifySigV4(const Exchange& ex, std::string_view rawPath,
                                          std::string_view rawQuery, const Query& query,
                                          const S3Credentials& creds, std::time_t now,
                                          std::string_view defaultPayloadHash) {
  S3Auth ctx;
  ctx.payloadHash = std::string(ex.header("x-amz-content-sha256"));
  if (ctx.payloadHash.empty()) ctx.payloadHash = std::string(defaultPayloadHash);
  Parsed p;
  std::string_view auth = ex.header(http::field::authorization);
  if (!auth.empty()) {
    if (auth.rfind(kAlgorithm, 0) != 0) {
      return s3Error("AuthorizationHeaderMalformed", "unsupported algorithm");
    }
    std::string_view rest = auth.substr(kAlgorithm.size());
    std::string credential;
    for (std::string_view item : split(rest, ',')) {
      item = asciiTrim(item);
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
      if (k == "Credential") credential = v;
      if (k == "SignedHeaders") p.signedHeaders = v;
      if (k == "Signature") p.signature = v;
    }
    if (credential.empty() || p.signedHeaders.empty() || p.signature.empty()) {
      return s3Error("AuthorizationHeaderMalformed", "missing Credential/SignedHeaders/Signature");
    }
    auto r = parseCredential(credential, p);
    if (auto* e = std::get_if<S3Error>(&r)) return *e;
    p = std::get<Parsed>(r);
    p.amzDate = ex.header("x-amz-date");
    if (p.amzDate.empty()) {
      // Without X-Amz-Date, SigV4 takes the Date header's time (botocore sends that when the
      // caller sets Date); the string to sign has it in the basic ISO 8601 form.
      std::time_t t = parseHttpDate(asciiTrim(ex.header(http::field::date)));
      if (t >= 0) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[20];
        p.amzDate.assign(buf, std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm));
      }
    }
    if (ctx.payloadHash.empty()) {
      return s3Error("InvalidRequest", "missing x-amz-content-sha256");
    }
  } else if (auto alg = queryGet(query, "X-Amz-Algorithm")) {
    if (*alg != kAlgorithm) return s3Error("AuthorizationQueryParametersError", "bad algorithm");
    p.presigned = true;
    auto r = parseCredential(queryGet(query, "X-Amz-Credential").value_or(""), p);
    if (auto* e = std::get_if<S3Error>(&r)) return *e;
    p = std::get<Parsed>(r);
    p.signedHeaders = queryGet(query, "X-Amz-SignedHeaders").value_or("");
    p.signature = queryGet(query, "X-Amz-Signature").value_or("");
    p.amzDate = queryGet(query, "X-Amz-Date").value_or("");
    try {
      p.expires = std::stol(queryGet(query, "X-Amz-Expires").value_or("0"));
    } catch (...) {
      return s3Error("AuthorizationQueryParametersError", "bad X-Amz-Expires");
    }
    if (p.expires <= 0 || p.expires > 7 * 24 * 3600) {
      return s3Error("AccessDenied", "X-Amz-Expires must be 1 to 604800 seconds");
    }
    ctx.payloadHash = "UNSIGNED-PAYLOAD";
  } else {
    return s3Error("AccessDenied", "no SigV4 signature");
  }

  const S3User* user = creds.findByKey(p.accessKey);
  if (!user) return s3Error("InvalidAccessKeyId");
  if (p.region != creds.region) {
    return s3Error("AuthorizationHeaderMalformed",
                   "the region '" + p.region + "' is wrong; expecting '" + creds.region + "'");
  }
  if (p.service != "s3") return s3Error("AuthorizationHeaderMalformed", "service must be s3");
  std::time_t t = parseAmzDate(p.amzDate);
  if (t < 0 || p.amzDate.substr(0, 8) != p.date) {
    return s3Error("AccessDenied", "missing or malformed X-Amz-Date");
  }
  if (p.presigned) {
    if (now > t + p.expires) return s3Error("AccessDenied", "Request has expired");
    if (t > now + kMaxSkewSec) return s3Error("RequestTimeTooSkewed");
  } else if (t > now + kMaxSkewSec || t < now - kMaxSkewSec) {
    return s3Error("RequestTimeTooSkewed");
  }

  std::string canon;
  canon += ex.methodString();
  canon += '\n';
  auto path = urlDecode(rawPath, false);
  if (!path) return s3Error("InvalidURI", "bad escape in path");
  canon += uriEncode(*path, true);
  canon += '\n';
  canon += sigV4CanonicalQuery(rawQuery, p.presigned);
  canon += '\n';
  for (std::string_view h : split(p.signedHeaders, ';')) {
    canon += asciiLower(h);
    canon += ':';
    canon += canonicalHeaderValue(ex, h);
    canon += '\n';
  }
  canon += '\n';
  canon += p.signedHeaders;
  canon += '\n';
  canon += ctx.payloadHash;

  ctx.scope = p.date + "/" + p.region + "/" + p.service + "/aws4_request";
  ctx.amzDate = p.amzDate;
  std::string sts =
      std::string(kAlgorithm) + "\n" + p.amzDate + "\n" + ctx.scope + "\n" + toHex(sha256(canon));
  const std::string& k = signingKey(user->secretKey, p.date, p.region, p.service);
  std::string sig = toHex(hmacSha256(k, sts));
  if (!constantTimeEquals(sig, p.signature)) return s3Error("SignatureDoesNotMatch");
  ctx.verified = true;
  ctx.user = user->name;
  ctx.signingKey = k;
  ctx.seedSignature = std::move(sig);
  return ctx;
}

std::string policySignatureV4(const std::string& secret, const std::string& date,
                              const std::string& region, const std::string& service,
                              std::string_view policyBase64) {
  return toHex(hmacSha256(signingKey(secret, date, region, service), policyBase64));
}

std::string chunkSignature(const S3Auth& ctx, std::string_view prevSignature,
                           std::string_view chunkData) {
  static const std::string kEmptyHash = toHex(sha256(""));
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + ctx.amzDate + "\n" + ctx.scope + "\n" +
                    std::string(prevSignature) + "\n" + kEmptyHash + "\n" +
                    toHex(sha256(chunkData));
  return toHex(hmacSha256(ctx.signingKey, sts));
}

std::string trailerSignature(const S3Auth& ctx, std::string_view prevSignature,
                             std::string_view trailers) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + ctx.amzDate + "\n" + ctx.scope + "\n" +
                    std::string(prevSignature) + "\n" + toHex(sha256(trailers));
  return toHex(hmacSha256(ctx.signingKey, sts));
}

}  // namespace ais::gateway
