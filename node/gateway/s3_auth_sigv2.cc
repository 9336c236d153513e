#include "node/gateway/s3_auth_sigv2.h"

#include <algorithm>
#include <map>
#include <vector>

#include "common/ascii.h"
#include "common/digest.h"
#include "node/gateway/http_dates.h"

namespace ais::gateway {

namespace {

constexpr std::time_t kSigV2MaxSkewSec = 15 * 60;

// The query parameters that name a sub-resource or a response override: the only ones a SigV2
// string to sign carries (with their decoded values), sorted by name.
constexpr std::string_view kSignedSubresources[] = {"accelerate",
                                                    "acl",
                                                    "analytics",
                                                    "cors",
                                                    "defaultObjectAcl",
                                                    "delete",
                                                    "inventory",
                                                    "lifecycle",
                                                    "location",
                                                    "logging",
                                                    "metrics",
                                                    "notification",
                                                    "object-lock",
                                                    "partNumber",
                                                    "policy",
                                                    "replication",
                                                    "requestPayment",
                                                    "response-cache-control",
                                                    "response-content-disposition",
                                                    "response-content-encoding",
                                                    "response-content-language",
                                                    "response-content-type",
                                                    "response-expires",
                                                    "restore",
                                                    "select",
                                                    "select-type",
                                                    "storageClass",
                                                    "tagging",
                                                    "torrent",
                                                    "uploadId",
                                                    "uploads",
                                                    "versionId",
                                                    "versioning",
                                                    "versions",
                                                    "website"};

// "/bucket/key?acl&uploadId=..": the path as sent (virtual-host style: the bucket in front),
// then the signed sub-resources of the query.
std::string canonicalResource(std::string_view rawPath, std::string_view rawQuery,
                              std::string_view vhostBucket) {
  std::string out;
  if (!vhostBucket.empty()) {
    out += '/';
    out += vhostBucket;
  }
  out += rawPath;
  std::vector<std::pair<std::string, std::optional<std::string>>> signedParams;
  while (!rawQuery.empty()) {
    size_t amp = rawQuery.find('&');
    std::string_view part = rawQuery.substr(0, amp);
    rawQuery.remove_prefix(amp == std::string_view::npos ? rawQuery.size() : amp + 1);
    size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    if (std::find(std::begin(kSignedSubresources), std::end(kSignedSubresources), name) ==
        std::end(kSignedSubresources)) {
      continue;
    }
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      std::string_view raw = part.substr(eq + 1);
      value = urlDecode(raw, true).value_or(std::string(raw));
    }
    signedParams.emplace_back(std::string(name), std::move(value));
  }
  std::stable_sort(signedParams.begin(), signedParams.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < signedParams.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += signedParams[i].first;
    if (signedParams[i].second) {
      out += '=';
      out += *signedParams[i].second;
    }
  }
  return out;
}

// "x-amz-a:v1,v2\nx-amz-b:v\n": the x-amz-* headers (and, of a presigned URL, query parameters,
// where presigning clients move them), names lowercased and sorted, values trimmed.
std::string canonicalAmzHeaders(const Exchange& ex, const Query& query) {
  std::map<std::string, std::string> amz;
  auto add = [&amz](std::string name, std::string_view value) {
    auto [it, fresh] = amz.emplace(std::move(name), std::string());
    if (!fresh) it->second += ',';
    it->second += asciiTrim(value);
  };
  for (const auto& f : ex.headers()) {
    std::string name = asciiLower(toStd(f.name_string()));
    if (name.starts_with("x-amz-")) add(std::move(name), toStd(f.value()));
  }
  for (const auto& [k, v] : query) {
    std::string name = asciiLower(k);
    if (name.starts_with("x-amz-")) add(std::move(name), v);
  }
  std::string out;
  for (const auto& [k, v] : amz) {
    out += k;
    out += ':';
    out += v;
    out += '\n';
  }
  return out;
}

std::string stringToSign(const Exchange& ex, std::string_view dateLine,
                         const std::string& amzHeaders, const std::string& resource) {
  std::string sts(ex.methodString());
  sts += '\n';
  sts += asciiTrim(ex.header("content-md5"));
  sts += '\n';
  sts += asciiTrim(ex.header(http::field::content_type));
  sts += '\n';
  sts += dateLine;
  sts += '\n';
  sts += amzHeaders;
  sts += resource;
  return sts;
}

}  // namespace

std::variant<S3Auth, S3Error> verifySigV2(const Exchange& ex, std::string_view rawPath,
                                          std::string_view rawQuery, const Query& query,
                                          std::string_view vhostBucket, const S3Credentials& creds,
                                          std::time_t now) {
  std::string accessKey, signature, dateLine;
  bool presigned = false;
  std::string_view auth = ex.header(http::field::authorization);
  if (!auth.empty()) {
    std::string_view cred = asciiTrim(auth.substr(4));  // after "AWS "
    size_t colon = cred.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == cred.size()) {
      return s3Error("InvalidArgument",
                     "malformed SigV2 Authorization: expected AWS key:signature");
    }
    accessKey = cred.substr(0, colon);
    signature = cred.substr(colon + 1);
  } else {
    auto key = queryGet(query, "AWSAccessKeyId");
    auto sig = queryGet(query, "Signature");
    auto expires = queryGet(query, "Expires");
    if (!key || !sig || !expires || key->empty() || sig->empty()) {
      return s3Error("AccessDenied",
                     "a SigV2 presigned URL needs AWSAccessKeyId, Signature and Expires");
    }
    accessKey = *key;
    signature = *sig;
    dateLine = *expires;
    presigned = true;
  }
  const S3User* user = creds.findByKey(accessKey);
  if (!user) return s3Error("InvalidAccessKeyId");

  if (presigned) {
    std::time_t expires = -1;
    const char* b = dateLine.data();
    const char* e = b + dateLine.size();
    if (b == e || std::find_if_not(b, e, [](char c) { return c >= '0' && c <= '9'; }) != e ||
        dateLine.size() > 18) {
      return s3Error("AccessDenied", "Expires must be seconds since the epoch");
    }
    expires = static_cast<std::time_t>(std::stoll(dateLine));
    if (now > expires) return s3Error("AccessDenied", "Request has expired");
  }

  std::string amz = canonicalAmzHeaders(ex, query);
  // A request to a bucket itself is signed as "/bucket" or, by botocore and others, "/bucket/".
  std::vector<std::string> resources{canonicalResource(rawPath, rawQuery, vhostBucket)};
  std::string_view afterBucket = vhostBucket.empty() ? rawPath.substr(1) : std::string_view();
  if (!vhostBucket.empty() ? rawPath == "/" : afterBucket.find('/') == std::string_view::npos) {
    std::string slashed = vhostBucket.empty() ? std::string(rawPath) + "/" : "/";
    resources.push_back(canonicalResource(slashed, rawQuery, vhostBucket));
    if (!vhostBucket.empty()) {  // "/bucket" without the slash
      resources.push_back(canonicalResource("", rawQuery, vhostBucket));
    }
  }
  // Clients put the Date header in the string to sign; with x-amz-date present, AWS's rule is
  // an empty date line instead. Either is the client's own signature.
  const bool hasAmzDate = ex.headers().find("x-amz-date") != ex.headers().end();
  std::vector<std::string_view> dateLines;
  if (presigned) {
    dateLines.push_back(dateLine);
  } else {
    dateLines.push_back(asciiTrim(ex.header(http::field::date)));
    if (hasAmzDate) dateLines.push_back("");
  }
  bool match = false;
  for (const auto& resource : resources) {
    for (std::string_view d : dateLines) {
      match =
          match || constantTimeEquals(
                       base64Encode(hmacSha1(user->secretKey, stringToSign(ex, d, amz, resource))),
                       signature);
    }
  }
  if (!match) return s3Error("SignatureDoesNotMatch");

  if (!presigned) {
    std::string_view date = hasAmzDate ? ex.header("x-amz-date") : ex.header(http::field::date);
    std::time_t t = parseHttpDate(asciiTrim(date));
    if (t < 0) return s3Error("AccessDenied", "missing or malformed Date / x-amz-date");
    if (t > now + kSigV2MaxSkewSec || t < now - kSigV2MaxSkewSec) {
      return s3Error("RequestTimeTooSkewed");
    }
  }
  S3Auth out;
  out.user = user->name;
  out.verified = true;
  out.payloadHash = "UNSIGNED-PAYLOAD";  // SigV2 signs no payload hash (Content-MD5 if sent)
  return out;
}

}  // namespace ais::gateway
