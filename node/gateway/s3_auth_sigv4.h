// AWS Signature Version 4: the Authorization header and presigned query strings, and the
// per-chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies.
#pragma once

#include <ctime>
#include <string>
#include <variant>

#include "node/gateway/s3_auth.h"

namespace ais::gateway {

// The request carries SigV4 (an AWS4-HMAC-SHA256 Authorization header or X-Amz-Algorithm in
// the query): the user it verifies as, or the error to answer. Arguments as authenticate's.
std::variant<S3Auth, S3Error> verifySigV4(const Exchange& ex, std::string_view rawPath,
                                          std::string_view rawQuery, const Query& query,
                                          const S3Credentials& creds, std::time_t now,
                                          std::string_view defaultPayloadHash = {});

// The canonical query string of a request's raw query: every name and value URI-encoded as SigV4
// says (decoded first), sorted; X-Amz-Signature left out when dropSignature (presigned).
std::string sigV4CanonicalQuery(std::string_view rawQuery, bool dropSignature);

// A browser POST form's x-amz-signature: hex HMAC-SHA256 of the base64 policy with the key of
// the credential's day, region and service.
std::string policySignatureV4(const std::string& secret, const std::string& date,
                              const std::string& region, const std::string& service,
                              std::string_view policyBase64);

// Signature of one aws-chunked chunk, given the previous chunk's (or the seed) signature.
std::string chunkSignature(const S3Auth& ctx, std::string_view prevSignature,
                           std::string_view chunkData);
// Signature of the trailing headers (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
std::string trailerSignature(const S3Auth& ctx, std::string_view prevSignature,
                             std::string_view trailers);

}  // namespace ais::gateway
