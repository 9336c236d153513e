#include "node/gateway/s3_auth.h"

#include "node/gateway/s3_auth_sigv2.h"
#include "node/gateway/s3_auth_sigv4.h"

namespace ais::gateway {

std::variant<S3Auth, S3Error> authenticate(const Exchange& ex, std::string_view rawPath,
                                           std::string_view rawQuery, const Query& query,
                                           std::string_view vhostBucket, const S3Credentials& creds,
                                           std::time_t now, std::string_view defaultPayloadHash) {
  std::string_view auth = ex.header(http::field::authorization);
  if (auth.starts_with("AWS4-HMAC-SHA256") || (auth.empty() && query.count("X-Amz-Algorithm"))) {
    if (creds.enabled()) {
      return verifySigV4(ex, rawPath, rawQuery, query, creds, now, defaultPayloadHash);
    }
  } else if (auth.starts_with("AWS ") ||
             (auth.empty() && (query.count("AWSAccessKeyId") || query.count("Signature")))) {
    if (creds.enabled()) return verifySigV2(ex, rawPath, rawQuery, query, vhostBucket, creds, now);
  } else if (!auth.empty() && creds.enabled()) {
    return s3Error("InvalidArgument",
                   "unsupported Authorization: expected AWS4-HMAC-SHA256 or AWS");
  }
  // Unsigned (or signed for a gateway without users, which checks nothing).
  S3Auth anon;
  anon.payloadHash = std::string(ex.header("x-amz-content-sha256"));
  if (anon.payloadHash.empty()) anon.payloadHash = std::string(defaultPayloadHash);
  if (!creds.enabled()) anon.user = kS3AdminUser;
  return anon;
}

}  // namespace ais::gateway
