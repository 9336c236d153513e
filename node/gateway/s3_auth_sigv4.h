// AWS Signature Version 4: the Authorization header and presigned query strings, and the
// per-chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies. With no access key
// configured the gateway is anonymous (playground) and nothing is checked.
#pragma once

#include <ctime>
#include <string>
#include <variant>

#include "node/gateway/http_server.h"
#include "node/gateway/s3_errors.h"
#include "node/gateway/url.h"

namespace ais::gateway {

struct S3Credentials {
  std::string accessKey;
  std::string secretKey;
  std::string region = "us-east-1";
  bool enabled() const { return !accessKey.empty(); }
};

// What a verified request leaves behind for checking its body.
struct SigV4Context {
  bool verified = false;      // false: anonymous gateway (signatures not checked)
  std::string payloadHash;    // x-amz-content-sha256 (hex, UNSIGNED-PAYLOAD, STREAMING-...)
  std::string signingKey;     // raw; for chunk signatures
  std::string amzDate;        // 20240101T000000Z
  std::string scope;          // 20240101/us-east-1/s3/aws4_request
  std::string seedSignature;  // hex; the first chunk signs over it
};

// rawPath: the request path as sent (still percent-encoded); rawQuery: after '?'.
// defaultPayloadHash: used when x-amz-content-sha256 is absent (plain SigV4 clients such as
// curl --aws-sigv4 leave it out); S3 requires the header, so S3 passes none.
std::variant<SigV4Context, S3Error> verifySigV4(const Exchange& ex, std::string_view rawPath,
                                                std::string_view rawQuery, const Query& query,
                                                const S3Credentials& creds, std::time_t now,
                                                std::string_view defaultPayloadHash = {});

// Signature of one aws-chunked chunk, given the previous chunk's (or the seed) signature.
std::string chunkSignature(const SigV4Context& ctx, std::string_view prevSignature,
                           std::string_view chunkData);
// Signature of the trailing headers (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
std::string trailerSignature(const SigV4Context& ctx, std::string_view prevSignature,
                             std::string_view trailers);

}  // namespace ais::gateway
