// S3 access control as it is here: one owner (the gateway's access keys all act for it), every
// bucket and object private to it. GetBucketAcl/GetObjectAcl say so; PutBucketAcl/PutObjectAcl
// and the x-amz-acl header accept what matches ("private", "bucket-owner-full-control") and refuse
// every grant to anyone else with NotImplemented, so no client believes it made data public.
#include <boost/beast/core/string.hpp>

#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

namespace {

bool cannedPrivate(std::string_view acl) {
  return acl == "private" || acl == "bucket-owner-full-control";
}

// 404 answered unless the bucket (and the key, for an object) exists.
bool aclSubjectExists(S3Request& r) {
  Client* c = r.client();
  if (!c) return false;
  Status st =
      r.key.empty() ? c->bucketProps(r.bucket).status() : r.gw.head(*c, r.bucket, r.key).status();
  if (!st.ok()) r.fail(st);
  return st.ok();
}

}  // namespace

bool aclHeadersAccepted(S3Request& r) {
  for (const auto& f : r.ex.headers()) {
    auto name = f.name_string();
    if (name.size() > 12 && boost::beast::iequals(name.substr(0, 12), "x-amz-grant-")) {
      r.fail(s3Error("NotImplemented",
                     "grants (x-amz-grant-*): every bucket and object is "
                     "private to its owner"));
      return false;
    }
  }
  std::string_view acl = r.ex.header("x-amz-acl");
  if (!acl.empty() && !cannedPrivate(acl)) {
    r.fail(s3Error("NotImplemented", "x-amz-acl " + std::string(acl) +
                                         ": only private is supported (every bucket and object "
                                         "is private to its owner)"));
    return false;
  }
  return true;
}

void getAcl(S3Request& r) {
  if (!aclSubjectExists(r)) return;
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Owner><ID>" +
      std::string(kS3Owner) + "</ID><DisplayName>" + std::string(kS3Owner) +
      "</DisplayName></Owner><AccessControlList><Grant>"
      "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"CanonicalUser\"><ID>" +
      std::string(kS3Owner) + "</ID><DisplayName>" + std::string(kS3Owner) +
      "</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
      "</AccessControlList></AccessControlPolicy>";
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, body);
}

void putAcl(S3Request& r) {
  // (x-amz-acl was checked by aclHeadersAccepted.)
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return;
  if (!body->empty()) {
    auto priv = aclIsPrivate(*body, kS3Owner);
    if (!priv.ok()) return r.fail(s3Error("MalformedXML", priv.status().message()));
    if (!*priv) {
      return r.fail(s3Error("NotImplemented",
                            "grants to anyone but the owner: every bucket and object is private"));
    }
  } else if (r.ex.header("x-amz-acl").empty()) {
    return r.fail(s3Error("MissingSecurityHeader", "an ACL needs x-amz-acl or a policy body"));
  }
  if (!aclSubjectExists(r)) return;
  (void)r.ex.respond(200);
}

}  // namespace ais::gateway
