// Who sent an S3 (or native API) request: a user by a SigV4 or SigV2 signature (Authorization
// header or presigned query string), or nobody (anonymous, left to the access checks). Also what
// a SigV4 signature leaves behind for checking the request's body.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <variant>

#include "node/gateway/http_server.h"
#include "node/gateway/s3_errors.h"
#include "node/gateway/s3_users.h"
#include "node/gateway/url.h"

namespace ais::gateway {

struct S3Auth {
  // The requester's user name; "" for an anonymous request to a gateway with users. A gateway
  // without users is anonymous itself: every request acts as the admin (kS3AdminUser).
  std::string user;
  bool verified = false;      // a signature was checked
  std::string payloadHash;    // x-amz-content-sha256 (hex, UNSIGNED-PAYLOAD, STREAMING-...)
  std::string signingKey;     // SigV4, raw; for chunk signatures
  std::string amzDate;        // SigV4: 20240101T000000Z
  std::string scope;          // SigV4: 20240101/us-east-1/s3/aws4_request
  std::string seedSignature;  // SigV4, hex; the first chunk signs over it

  bool anonymous() const { return user.empty(); }
};

// rawPath: the request path as sent (still percent-encoded); rawQuery: after '?'; vhostBucket:
// the bucket the Host names (virtual-host style), else "". defaultPayloadHash: used when
// x-amz-content-sha256 is absent (plain SigV4 clients such as curl --aws-sigv4 leave it out);
// S3 requires the header, so S3 passes none.
std::variant<S3Auth, S3Error> authenticate(const Exchange& ex, std::string_view rawPath,
                                           std::string_view rawQuery, const Query& query,
                                           std::string_view vhostBucket, const S3Credentials& creds,
                                           std::time_t now,
                                           std::string_view defaultPayloadHash = {});

}  // namespace ais::gateway
