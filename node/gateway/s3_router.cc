// S3 request routing: bucket and key from the path (path-style) or the Host (virtual-host style),
// SigV4 verification, name checks, then the operation chosen by method and query.
#include <algorithm>
#include <atomic>
#include <ctime>
#include <random>

#include "meta/names.h"
#include "node/gateway/owner_relay.h"
#include "node/gateway/s3_api.h"

namespace ais::gateway {

Client* S3Request::client() {
  auto c = gw.client();
  if (!c.ok()) {
    fail(s3Error("ServiceUnavailable", "cluster not reachable: " + c.status().toString()));
    return nullptr;
  }
  return *c;
}

namespace {

bool isIpLiteral(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') return true;
  for (char c : host) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

// "<bucket>.<domain>[:port]" → bucket; "" for path-style.
std::string vhostBucket(std::string_view host, const std::string& domain) {
  if (host.empty() || host.front() == '[') return {};
  host = host.substr(0, host.find(':'));
  if (isIpLiteral(host) || domain.empty()) return {};
  std::string suffix = "." + domain;
  if (host.size() <= suffix.size() || host.substr(host.size() - suffix.size()) != suffix) return {};
  return std::string(host.substr(0, host.size() - suffix.size()));
}

// Query parameters that name sub-resources we do not serve.
constexpr std::string_view kUnsupported[] = {"policy",
                                             "lifecycle",
                                             "website",
                                             "logging",
                                             "notification",
                                             "replication",
                                             "encryption",
                                             "object-lock",
                                             "retention",
                                             "legal-hold",
                                             "torrent",
                                             "restore",
                                             "select",
                                             "accelerate",
                                             "analytics",
                                             "inventory",
                                             "metrics",
                                             "ownershipControls",
                                             "publicAccessBlock",
                                             "requestPayment",
                                             "intelligent-tiering",
                                             "attributes",
                                             "policyStatus",
                                             "session",
                                             "renameObject",
                                             "metadataTable",
                                             "metadataConfiguration"};

// What a request needs of its bucket; nullopt when the object decides (reads, ACL and tags of
// one object), its handler checking.
std::optional<BucketAccess> bucketAccessOf(const S3Request& r, http::verb m) {
  bool read = m == http::verb::get || m == http::verb::head;
  if (r.key.empty()) {
    if (r.has("acl") || r.has("cors") || r.has("tagging") || r.has("versioning") ||
        m == http::verb::delete_) {
      return BucketAccess::kOwner;
    }
    if (read && r.has("location")) return BucketAccess::kOwner;
    if (read) return BucketAccess::kRead;
    return BucketAccess::kWrite;  // DeleteObjects
  }
  if (r.has("acl") || r.has("tagging")) return std::nullopt;
  if (read && !r.has("uploadId")) return std::nullopt;
  return BucketAccess::kWrite;  // writes, deletes, multipart uploads and their parts
}

// False (and answered 403) when the request names an owner the bucket does not have.
bool expectedOwnerHolds(S3Request& r, const char* header, const std::string& bucket) {
  std::string_view expected = r.ex.header(header);
  if (expected.empty()) return true;
  auto props = findBucket(r, bucket);
  if (!props || bucketOwner(*props) == expected) return true;  // (a missing bucket: its own error)
  r.fail(
      s3Error("AccessDenied", std::string(header) + " does not name the owner of ais://" + bucket));
  return false;
}

// The bucket of x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded, the slash too by
// some clients); "" if none or undecodable (CopyObject then refuses it).
std::string copySourceBucket(const S3Request& r) {
  auto src = urlDecode(r.ex.header("x-amz-copy-source"), false);
  if (!src) return {};
  std::string_view s = *src;
  if (s.starts_with("/")) s.remove_prefix(1);
  return std::string(s.substr(0, s.find('/')));
}

void dispatch(S3Request& r) {
  auto m = r.ex.method();
  for (const auto& [k, v] : r.query) {  // (a request's few parameters, not every refused one)
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), k) != std::end(kUnsupported)) {
      return r.fail(s3Error("NotImplemented", "?" + k + " is not supported"));
    }
  }
  // A preflight is unsigned by design: the bucket's CORS rules alone decide it.
  if (m == http::verb::options) return corsPreflight(r);
  if (!r.ex.header("origin").empty()) setCorsHeaders(r);
  if (!aclHeadersAccepted(r)) return;
  bool creating = r.key.empty() && m == http::verb::put && !r.has("acl") && !r.has("cors") &&
                  !r.has("tagging") && !r.has("versioning");
  // A POST form's signature is in its body: PostObject checks its own access.
  bool form = r.key.empty() && m == http::verb::post && !r.has("delete");
  if (!r.bucket.empty() && !creating && !form) {
    // (CreateBucket decides for itself.) An operation on one object whose right depends on the
    // object (its ACL or writer) is checked by its handler, on the version it acts on.
    if (auto need = bucketAccessOf(r, m)) {
      if (!bucketAllowed(r, r.bucket, *need)) return;
    } else if (!findBucket(r, r.bucket)) {
      return r.fail(Status(Code::kBucketNotFound, r.bucket));
    }
  }
  // A client that names the owner it expects (x-amz-expected-bucket-owner, and for a copy's
  // source x-amz-source-expected-bucket-owner) is refused by another owner's bucket, as by S3.
  if (!r.bucket.empty() && !creating &&
      !expectedOwnerHolds(r, "x-amz-expected-bucket-owner", r.bucket)) {
    return;
  }
  if (auto src = copySourceBucket(r);
      !src.empty() && !expectedOwnerHolds(r, "x-amz-source-expected-bucket-owner", src)) {
    return;
  }
  if (!r.bucket.empty() && r.has("acl")) {
    if (r.has("versionId") && !meta::validVersionId(r.param("versionId"))) {
      return r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
    }
    if (m == http::verb::get) return getAcl(r);
    if (m == http::verb::put) return putAcl(r);
    return r.fail(s3Error("MethodNotAllowed"));
  }
  if (r.bucket.empty()) {
    if (m == http::verb::get) return listBuckets(r);
    return r.fail(s3Error("MethodNotAllowed"));
  }
  if (r.key.empty()) {
    if (r.has("tagging")) {
      if (m == http::verb::get) return getBucketTagging(r);
      if (m == http::verb::put) return putBucketTagging(r);
      if (m == http::verb::delete_) return deleteBucketTagging(r);
      return r.fail(s3Error("MethodNotAllowed"));
    }
    if (r.has("cors")) {
      if (m == http::verb::get) return getBucketCors(r);
      if (m == http::verb::put) return putBucketCors(r);
      if (m == http::verb::delete_) return deleteBucketCors(r);
      return r.fail(s3Error("MethodNotAllowed"));
    }
    switch (m) {
      case http::verb::get:
        if (r.has("location")) return getBucketLocation(r);
        if (r.has("versioning")) return getBucketVersioning(r);
        if (r.has("uploads")) return listMultipartUploads(r);
        if (r.has("versions")) return listObjectVersions(r);
        return listObjects(r, r.param("list-type") == "2" ? ListKind::kV2 : ListKind::kV1);
      case http::verb::put:
        if (r.has("versioning")) return putBucketVersioning(r);
        return createBucket(r);
      case http::verb::delete_:
        return deleteBucket(r);
      case http::verb::head:
        return headBucket(r);
      case http::verb::post:
        if (r.has("delete")) return deleteObjects(r);
        return postObject(r);
      default:
        return r.fail(s3Error("MethodNotAllowed"));
    }
  }
  // Server-side encryption is not built: storing or serving the bytes in clear while the client
  // asked for encryption would be a lie.
  for (const auto& f : r.ex.headers()) {
    if (toStd(f.name_string()).size() >= 28 &&
        boost::beast::iequals(f.name_string().substr(0, 28), "x-amz-server-side-encryption")) {
      return r.fail(s3Error("NotImplemented", "server-side encryption is not supported"));
    }
  }
  // Nor storage classes (every object is stored alike; mirroring and EC are bucket properties)
  // or object locks (no retention is kept): a write asking for them would silently not get them.
  if (auto sc = r.ex.header("x-amz-storage-class"); !sc.empty() && sc != "STANDARD") {
    return r.fail(s3Error("InvalidStorageClass",
                          "the storage class you specified is not valid: this store offers only "
                          "STANDARD"));
  }
  for (const char* lock : {"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date",
                           "x-amz-object-lock-legal-hold"}) {
    if (!r.ex.header(lock).empty()) {
      return r.fail(s3Error("InvalidRequest", "Bucket is missing Object Lock Configuration (" +
                                                  std::string(lock) + ")"));
    }
  }
  if (auto to = r.ex.header(kMetaWebsiteRedirect); !to.empty() && !to.starts_with("/") &&
                                                   !to.starts_with("http://") &&
                                                   !to.starts_with("https://")) {
    return r.fail(s3Error("InvalidRedirectLocation",
                          "The website redirect location must have a prefix of 'http://' or "
                          "'https://' or '/'"));
  }
  // (A versionId is looked up by the handlers that take one: findVersion.)
  if (r.has("versionId") && !meta::validVersionId(r.param("versionId"))) {
    return r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
  }
  if (r.has("tagging")) {
    if (m == http::verb::get) return getObjectTagging(r);
    if (m == http::verb::put) return putObjectTagging(r);
    if (m == http::verb::delete_) return deleteObjectTagging(r);
    return r.fail(s3Error("MethodNotAllowed"));
  }
  switch (m) {
    case http::verb::get:
    case http::verb::head:
      if (m == http::verb::get && r.has("uploadId")) return listParts(r);
      if (r.has("partNumber") && !r.ex.header(http::field::range).empty()) {
        return r.fail(s3Error("InvalidRequest",
                              "Cannot specify both Range header and partNumber query parameter"));
      }
      return getObject(r);
    case http::verb::put:
      if (r.has("uploadId") || r.has("partNumber")) return uploadPart(r);
      if (!r.ex.header("x-amz-copy-source").empty()) return copyObject(r);
      return putObject(r);
    case http::verb::delete_:
      if (r.has("uploadId")) return abortMultipart(r);
      return deleteObject(r);
    case http::verb::post:
      if (r.has("uploads")) return createMultipart(r);
      if (r.has("uploadId")) return completeMultipart(r);
      return r.fail(s3Error("NotImplemented", "POST on an object"));
    default:
      return r.fail(s3Error("MethodNotAllowed"));
  }
}

}  // namespace

namespace {

// A request's id (x-amz-request-id, and RequestId in an error body): unique in this process,
// which started counting at a random point.
std::string nextRequestId() {
  static std::atomic<uint64_t> next{std::random_device{}() * 0x9E3779B97F4A7C15ull};
  static constexpr char kHex[] = "0123456789ABCDEF";
  uint64_t v = next.fetch_add(1, std::memory_order_relaxed);
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[i] = kHex[v & 0xf];
  return id;
}

}  // namespace

void serveS3(Gateway& gw, Exchange& ex) {
  ex.responseHeaders().set("x-amz-request-id", nextRequestId());
  std::string_view target = ex.target();
  size_t q = target.find('?');
  std::string_view rawPath = target.substr(0, q);
  std::string_view rawQuery =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  S3Request r{ex, gw, {}, {}, std::string(rawQuery), {}, {}, std::string(rawPath)};
  auto path = urlDecode(rawPath, false);
  if (!path || rawPath.empty() || rawPath.front() != '/') {
    return r.fail(s3Error("InvalidURI", "Couldn't parse the specified URI."));
  }
  r.resource = *path;
  std::string bucket = vhostBucket(ex.header(http::field::host), gw.options().s3Domain);
  const std::string hostBucket = bucket;
  std::string_view p = std::string_view(*path).substr(1);
  // AIStore serves S3 under /s3/ (an endpoint of http://host:port/s3): the same here. "s3" cannot
  // be a bucket name (3 characters at least), so the prefix is never ambiguous. Signatures cover
  // the path as sent (rawPath).
  if (bucket.empty() && (p == "s3" || p.starts_with("s3/"))) p.remove_prefix(p.size() == 2 ? 2 : 3);
  if (bucket.empty()) {
    size_t slash = p.find('/');
    bucket = std::string(p.substr(0, slash));
    if (slash != std::string_view::npos) r.key = std::string(p.substr(slash + 1));
  } else {
    r.key = std::string(p);
    r.resource = "/" + bucket + *path;
  }
  r.bucket = std::move(bucket);
  // An object another target owns: its own gateway answers, checks included (owner_relay.h).
  // (Before the query is parsed: the owner parses it, and answers a bad one.)
  if (!r.bucket.empty() && !r.key.empty() && relayToOwner(gw, ex, r.bucket, r.key)) return;
  auto query = parseQuery(rawQuery);
  if (!query) return r.fail(s3Error("InvalidURI", "Couldn't parse the specified URI."));
  r.query = std::move(*query);

  // A CORS preflight (OPTIONS) carries no credentials of its own, whatever its URL holds (a
  // presigned URL's signature is for the request that follows): never authenticated.
  if (ex.method() != http::verb::options) {
    auto auth = authenticate(ex, rawPath, rawQuery, r.query, hostBucket, gw.options().s3,
                             std::time(nullptr));
    if (auto* e = std::get_if<S3Error>(&auth)) {
      setCorsHeaders(r);  // (a page sees why it was refused)
      return r.fail(*e);
    }
    r.auth = std::move(std::get<S3Auth>(auth));
  } else if (!gw.options().s3.enabled()) {
    r.auth.user = kS3AdminUser;  // (as authenticate() answers every request without users)
  }

  if (!r.bucket.empty()) {
    if (r.bucket == kMultipartBucket) return r.fail(s3Error("AccessDenied", "reserved bucket"));
    if (Status st = meta::validateBucketName(r.bucket); !st.ok()) {
      return r.fail(s3Error("InvalidBucketName", st.message()));
    }
  }
  if (!r.key.empty()) {
    // (Longer names, which a mount or /v1 may make, are listed but not served through S3.)
    if (r.key.size() > meta::kMaxS3KeyBytes) return r.fail(s3Error("KeyTooLongError"));
    if (Status st = meta::validateObjectName(r.key); !st.ok()) {
      return r.fail(s3Error("InvalidArgument", "invalid key: " + st.message()));
    }
  }
  dispatch(r);
}

std::optional<std::string> readSmallBody(S3Request& r, size_t limit) {
  auto len = r.ex.contentLength();
  if (len && *len > limit) {
    r.fail(s3Error("EntityTooLarge", "request body too large"));
    return std::nullopt;
  }
  std::string body;
  char buf[16 << 10];
  while (true) {
    auto n = r.ex.readBody(buf, sizeof buf);
    if (!n.ok()) {
      r.fail(s3Error("IncompleteBody", n.status().message()));
      return std::nullopt;
    }
    if (*n == 0) break;
    body.append(buf, *n);
    if (body.size() > limit) {
      r.fail(s3Error("EntityTooLarge", "request body too large"));
      return std::nullopt;
    }
  }
  return body;
}

}  // namespace ais::gateway
