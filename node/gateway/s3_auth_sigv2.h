// AWS Signature Version 2 (HMAC-SHA1): "Authorization: AWS key:signature" with the Date (or
// x-amz-date) within 15 minutes, and presigned query strings (AWSAccessKeyId, Expires,
// Signature) until they expire. Older S3 clients and `aws s3 presign` use it.
#pragma once

#include "node/gateway/s3_auth.h"

namespace ais::gateway {

// The request carries SigV2 (an "AWS " Authorization header or AWSAccessKeyId/Signature in the
// query): the user it verifies as, or the error to answer.
std::variant<S3Auth, S3Error> verifySigV2(const Exchange& ex, std::string_view rawPath,
                                          std::string_view rawQuery, const Query& query,
                                          std::string_view vhostBucket, const S3Credentials& creds,
                                          std::time_t now);

}  // namespace ais::gateway
