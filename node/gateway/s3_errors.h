// The one mapping from our status codes (and the S3-only failures: auth, XML, multipart) to S3
// error codes and HTTP statuses, and the S3 XML error body.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ais::gateway {

class Exchange;

struct S3Error {
  std::string code;     // "NoSuchKey"
  unsigned http = 500;  // 404
  std::string message;
};

// S3 error by its S3 code; the HTTP status comes from the table (500 for unknown codes).
S3Error s3Error(std::string_view code, std::string message = {});
// Our Status as S3 sees it (kObjectNotFound → NoSuchKey 404, ...).
S3Error s3Error(const Status& st);

// Sends <Error><Code/><Message/><Resource/><RequestId/></Error>; a HEAD gets the status only.
void sendS3Error(Exchange& ex, const S3Error& err, std::string_view resource);

}  // namespace ais::gateway
