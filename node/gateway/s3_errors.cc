#include "node/gateway/s3_errors.h"

#include <array>
#include <utility>

#include "node/gateway/http_server.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

namespace {

struct Entry {
  std::string_view code;
  unsigned http;
  std::string_view message;
};

constexpr std::array kTable{
    Entry{"AccessDenied", 403, "Access Denied"},
    Entry{"AccessForbidden", 403, "CORSResponse: This CORS request is not allowed"},
    Entry{"AuthorizationHeaderMalformed", 400, "The authorization header is malformed"},
    Entry{"BadDigest", 400, "The Content-MD5 you specified did not match what we received"},
    Entry{"BadRequest", 400, "Bad Request"},
    Entry{"BucketAlreadyExists", 409,
          "The requested bucket name is not available: it belongs to another user"},
    Entry{"BucketAlreadyOwnedByYou", 409,
          "Your previous request to create the named bucket succeeded and you already own it"},
    Entry{"BucketNotEmpty", 409, "The bucket you tried to delete is not empty"},
    Entry{"ConditionalRequestConflict", 409,
          "A conflicting operation occurred. If using PutObject you can retry the request"},
    Entry{"EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"},
    Entry{"EntityTooSmall", 400,
          "Your proposed upload is smaller than the minimum allowed object size"},
    Entry{"IllegalLocationConstraintException", 400,
          "The location constraint is incompatible for the region specific endpoint"},
    Entry{"IncompleteBody", 400,
          "You did not provide the number of bytes specified by the Content-Length HTTP header"},
    Entry{"InternalError", 500, "We encountered an internal error. Please try again."},
    Entry{"InvalidAccessKeyId", 403,
          "The AWS access key Id you provided does not exist in our records"},
    Entry{"InvalidArgument", 400, "Invalid Argument"},
    Entry{"InvalidBucketName", 400, "The specified bucket is not valid"},
    Entry{"InvalidTag", 400, "The tag provided was not a valid tag"},
    Entry{"InvalidURI", 400, "Couldn't parse the specified URI."},
    Entry{"AuthorizationQueryParametersError", 400,
          "Error parsing the X-Amz-Credential parameter or the query parameters"},
    Entry{"InvalidDigest", 400, "The Content-MD5 you specified is not valid"},
    Entry{"InvalidPart", 400, "One or more of the specified parts could not be found"},
    Entry{"InvalidPartOrder", 400, "The list of parts was not in ascending order"},
    Entry{"InvalidRange", 416, "The requested range is not satisfiable"},
    Entry{"InvalidRequest", 400, "Invalid Request"},
    Entry{"InvalidRedirectLocation", 400, "The website redirect location is not valid"},
    Entry{"InvalidStorageClass", 400, "The storage class you specified is not valid"},
    Entry{"InsufficientStorage", 507, "Insufficient storage"},
    Entry{"KeyTooLongError", 400, "Your key is too long"},
    Entry{"InvalidPolicyDocument", 400,
          "The content of the form does not meet the conditions specified in the policy document"},
    Entry{"MalformedPOSTRequest", 400,
          "The body of your POST request is not well-formed multipart/form-data"},
    Entry{"MaxPostPreDataLengthExceeded", 400,
          "Your POST request fields preceding the upload file were too large"},
    Entry{"MalformedXML", 400,
          "The XML you provided was not well-formed or did not validate against our published "
          "schema"},
    Entry{"MethodNotAllowed", 405, "The specified method is not allowed against this resource"},
    Entry{"MissingSecurityHeader", 400, "Your request was missing a required header"},
    Entry{"MissingContentLength", 411, "You must provide the Content-Length HTTP header"},
    Entry{"NoSuchBucket", 404, "The specified bucket does not exist"},
    Entry{"NoSuchCORSConfiguration", 404, "The CORS configuration does not exist"},
    Entry{"NoSuchTagSet", 404, "The TagSet does not exist"},
    Entry{"NoSuchKey", 404, "The specified key does not exist"},
    Entry{"NoSuchUpload", 404, "The specified multipart upload does not exist"},
    Entry{"NoSuchVersion", 404, "The specified version does not exist"},
    Entry{"InvalidPartNumber", 416, "The requested partnumber is not satisfiable"},
    Entry{"NotImplemented", 501,
          "A header or query you provided implies functionality that is not implemented"},
    Entry{"PreconditionFailed", 412,
          "At least one of the preconditions you specified did not hold"},
    Entry{"RequestTimeTooSkewed", 403,
          "The difference between the request time and the server's time is too large"},
    Entry{"ServiceUnavailable", 503, "Please reduce your request rate"},
    Entry{"SignatureDoesNotMatch", 403,
          "The request signature we calculated does not match the signature you provided"},
    Entry{"XAmzContentSHA256Mismatch", 400,
          "The provided 'x-amz-content-sha256' header does not match what was computed"},
    Entry{"XAmzContentChecksumMismatch", 400,
          "The provided checksum does not match what was computed"},
};

}  // namespace

S3Error s3Error(std::string_view code, std::string message) {
  for (const auto& e : kTable) {
    if (e.code == code) {
      return S3Error{std::string(code), e.http, message.empty() ? std::string(e.message) : message};
    }
  }
  return S3Error{std::string(code), 500, std::move(message)};
}

S3Error s3Error(const Status& st) {
  const std::string& m = st.message();
  switch (st.code()) {
    case Code::kBucketNotFound:
      return s3Error("NoSuchBucket");
    case Code::kBucketExists:
      return s3Error("BucketAlreadyOwnedByYou");
    case Code::kBucketNotEmpty:
      return s3Error("BucketNotEmpty");
    case Code::kBadBucketName:
      return s3Error("InvalidBucketName", m);
    case Code::kObjectNotFound:
      return s3Error("NoSuchKey");
    case Code::kMemberNotFound:
      return s3Error("NoSuchKey", st.toString());
    case Code::kBadArchive:  // the shard is not an archive we can read: the request's fault
      return s3Error("InvalidArgument", st.toString());
    case Code::kBadObjectName:
      return s3Error("InvalidArgument", "invalid object name: " + m);
    case Code::kRangeNotSatisfiable:
      return s3Error("InvalidRange");
    case Code::kChecksumMismatch:
      return s3Error("BadDigest", m);
    case Code::kInvalidArgument:
      return s3Error("InvalidArgument", m);
    case Code::kObjectCorrupted:
      return s3Error("InternalError", st.toString());
    case Code::kNotImplemented:
      return s3Error("NotImplemented", m);
    case Code::kObjectExists:  // a conditional write (If-None-Match: *) found the key taken
      return s3Error("PreconditionFailed", m);
    case Code::kOutOfSpace:
      return s3Error("InsufficientStorage", m);
    case Code::kVersionChanged:  // overwritten while being read: a retry reads the new version
    case Code::kUnavailable:
    case Code::kTimeout:
    case Code::kStaleSmap:
    case Code::kNotPrimary:
    case Code::kNoTargets:
      return s3Error("ServiceUnavailable", st.toString());
    default:
      return s3Error("InternalError", st.toString());
  }
}

void sendS3Error(Exchange& ex, const S3Error& err, std::string_view resource) {
  if (ex.responded()) {
    ex.closeAfter();  // mid-stream failure: the client sees a short body
    return;
  }
  XmlWriter x;
  x.open("Error");
  x.leaf("Code", err.code);
  x.leaf("Message", err.message);
  x.leaf("Resource", resource);
  auto id = ex.responseHeaders().find("x-amz-request-id");
  x.leaf("RequestId",
         id == ex.responseHeaders().end() ? std::string_view("0") : toStd(id->value()));
  x.close("Error");
  ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)ex.respond(err.http, x.str());
}

}  // namespace ais::gateway
