// S3 service and bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
// GetBucketLocation, GetBucketVersioning.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "common/ascii.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

void sendXml(S3Request& r, const XmlWriter& x) {
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, x.str());
}

void listBuckets(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  auto buckets = c->listBuckets();
  if (!buckets.ok()) return r.fail(buckets.status());
  // Pages (max-buckets, continuation-token: the last name of the page before, opaque to the
  // client) and prefix, as S3 has them; by name.
  size_t max = 10000;
  if (r.has("max-buckets")) {
    std::string v = r.param("max-buckets");
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), max);
    if (ec != std::errc() || end != v.data() + v.size() || max < 1 || max > 10000) {
      return r.fail(s3Error("InvalidArgument", "max-buckets must be 1 to 10000"));
    }
  }
  std::string after;
  if (r.has("continuation-token")) {
    after = base64Decode(r.param("continuation-token"));
    if (after.empty()) return r.fail(s3Error("InvalidArgument", "bad continuation-token"));
  }
  std::string prefix = r.param("prefix");
  std::vector<const BucketInfo*> mine;
  // The requester's own buckets (anonymous: none); without users, every bucket.
  bool all = !r.gw.options().s3.enabled();
  std::string me = all ? std::string(kS3Owner) : r.auth.user;
  for (const auto& b : *buckets) {
    if (b.name == kMultipartBucket || !b.name.starts_with(prefix) || b.name <= after) continue;
    if (!all && (r.auth.anonymous() || bucketOwner(b.props) != me)) continue;
    mine.push_back(&b);
  }
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->name < b->name; });
  bool truncated = mine.size() > max;
  if (truncated) mine.resize(max);
  XmlWriter x;
  x.root("ListAllMyBucketsResult");
  x.user("Owner", me);
  x.open("Buckets");
  for (const auto* b : mine) {
    x.open("Bucket");
    x.leaf("Name", b->name);
    x.leaf("CreationDate", isoDate(b->props.createdNs));
    x.close("Bucket");
  }
  x.close("Buckets");
  if (truncated) x.leaf("ContinuationToken", base64Encode(mine.back()->name));
  if (r.has("prefix")) x.leaf("Prefix", prefix);
  x.close("ListAllMyBucketsResult");
  sendXml(r, x);
}

void createBucket(S3Request& r) {
  // A CreateBucketConfiguration may name the region: this cluster's (or none) is the one there is.
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return;
  if (!body->empty()) {
    auto where = parseLocationConstraint(*body);
    if (!where.ok()) return r.fail(s3Error("MalformedXML", where.status().message()));
    const std::string& region = r.gw.options().s3.region;
    if (!where->empty() && *where != region) {
      return r.fail(s3Error("IllegalLocationConstraintException",
                            "The " + *where + " location constraint is incompatible for the " +
                                region + " endpoint this request was sent to"));
    }
  }
  if (asciiLower(r.ex.header("x-amz-bucket-object-lock-enabled")) == "true") {
    return r.fail(s3Error("NotImplemented", "object lock"));
  }
  bool checks = r.gw.options().s3.enabled();
  if (checks && r.auth.anonymous()) return r.fail(s3Error("AccessDenied"));
  auto acl = cannedAclHeader(r);
  if (!acl) return;
  Client* c = r.client();
  if (!c) return;
  meta::BucketProps props;
  props.acl = *acl;
  if (checks && r.auth.user != kS3AdminUser) props.owner = r.auth.user;
  Status st = c->createBucket(r.bucket, props);
  if (st.code() == Code::kBucketExists) {
    auto existing = findBucket(r, r.bucket);
    if (existing && checks && bucketOwner(*existing) != r.auth.user) {
      return r.fail(s3Error("BucketAlreadyExists"));
    }
  }
  if (!st.ok()) return r.fail(st);
  r.ex.responseHeaders().set(http::field::location, "/" + r.bucket);
  (void)r.ex.respond(200);
}

void deleteBucket(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  Status st = c->destroyBucket(r.bucket, false);
  if (!st.ok()) return r.fail(st);
  (void)r.ex.respond(204);
}

// (The router found the bucket, in this node's BMD, before any of these: no lookup again.)
void headBucket(S3Request& r) {
  r.ex.responseHeaders().set("x-amz-bucket-region", r.gw.options().s3.region);
  (void)r.ex.respond(200);
}

void getBucketLocation(S3Request& r) {
  // us-east-1 is spelled as an empty constraint, as S3 does.
  const std::string& region = r.gw.options().s3.region;
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
      (region == "us-east-1" ? std::string() : xmlEscape(region)) + "</LocationConstraint>";
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, body);
}

bool setBucketField(S3Request& r, std::string meta::BucketProps::*field, std::string value) {
  Client* c = r.client();
  if (!c) return false;
  // Compare-and-swap at the primary: a concurrent change of another field (or by `ais bucket
  // props set`) is read again, never overwritten. The first read is this node's BMD, a retry the
  // primary's. A value already in place is taken for done only as the primary reads it (this
  // node's BMD may not have the change that replaced it yet).
  Status st;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::shared_ptr<const meta::BucketProps> props;
    if (attempt == 0) {
      props = findBucket(r, r.bucket);
    } else if (auto fresh = c->bucketProps(r.bucket); fresh.ok()) {
      props = std::make_shared<const meta::BucketProps>(std::move(*fresh));
    }
    if (!props) {
      r.fail(Status(Code::kBucketNotFound, r.bucket));
      return false;
    }
    if ((*props).*field == value) {
      if (attempt == 0) continue;
      return true;
    }
    meta::BucketProps next = *props;
    next.*field = value;
    st = c->setBucketProps(r.bucket, next, props.get());
    if (st.code() != Code::kVersionChanged) break;
  }
  if (!st.ok()) {
    r.fail(st);
    return false;
  }
  return true;
}

}  // namespace ais::gateway
