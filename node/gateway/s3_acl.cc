// S3 ACL calls: GetBucketAcl/GetObjectAcl show the owner and the grants its canned ACL makes;
// PutBucketAcl/PutObjectAcl take a canned ACL (x-amz-acl) or a policy body that amounts to one.
// Grants to named users (x-amz-grant-*, other grantees in a policy) are not built: 501, nothing
// changed, so no client believes it shared data it did not.
#include <boost/beast/core/string.hpp>

#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

namespace {

constexpr std::string_view kAllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUri =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

void groupGrant(XmlWriter& x, std::string_view uri, std::string_view permission) {
  x.raw(
      "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"Group\">");
  x.leaf("URI", uri);
  x.raw("</Grantee>");
  x.leaf("Permission", permission);
  x.raw("</Grant>");
}

void sendPolicy(S3Request& r, const std::string& owner, std::string_view acl) {
  XmlWriter x;
  x.root("AccessControlPolicy");
  x.user("Owner", owner);
  x.open("AccessControlList");
  x.raw(
      "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"CanonicalUser\">");
  x.leaf("ID", owner);
  x.leaf("DisplayName", owner);
  x.raw("</Grantee>");
  x.leaf("Permission", "FULL_CONTROL");
  x.raw("</Grant>");
  if (acl == "public-read" || acl == "public-read-write") groupGrant(x, kAllUsersUri, "READ");
  if (acl == "public-read-write") groupGrant(x, kAllUsersUri, "WRITE");
  if (acl == "authenticated-read") groupGrant(x, kAuthenticatedUri, "READ");
  x.close("AccessControlList");
  x.close("AccessControlPolicy");
  sendXml(r, x);
}

}  // namespace

bool aclHeadersAccepted(S3Request& r) {
  for (const auto& f : r.ex.headers()) {
    auto name = f.name_string();
    if (name.size() > 12 && boost::beast::iequals(name.substr(0, 12), "x-amz-grant-")) {
      r.fail(s3Error("NotImplemented",
                     "grants to named users (x-amz-grant-*): use a canned ACL (x-amz-acl)"));
      return false;
    }
  }
  return true;
}

void getAcl(S3Request& r) {
  if (r.key.empty()) {
    if (!bucketAllowed(r, r.bucket, BucketAccess::kOwner)) return;
    auto props = findBucket(r, r.bucket);
    if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
    return sendPolicy(r, bucketOwner(*props), props->acl);
  }
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  Client* c = r.client();
  if (!c) return;
  auto v = requestedVersion(r, *c);
  if (!v || !objectOwnerAllowed(r, r.bucket, v->info)) return;
  const ObjectInfo& info = v->info;
  auto acl = info.custom.find(std::string(kMetaAcl));
  setVersionHeader(r, r.bucket, info);
  sendPolicy(r, objectOwner(*props, info), acl == info.custom.end() ? "" : acl->second);
}

void putAcl(S3Request& r) {
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  Client* c = r.client();
  if (!c) return;
  VersionRef target;  // an object's: the object or the version named
  const ObjectInfo& info = target.info;
  if (r.key.empty()) {
    if (!bucketAllowed(r, r.bucket, BucketAccess::kOwner)) return;
  } else {
    auto v = requestedVersion(r, *c);
    if (!v || !objectOwnerAllowed(r, r.bucket, v->info)) return;
    target = std::move(*v);
  }
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return;
  std::string acl;
  if (!body->empty()) {
    std::string owner = r.key.empty() ? bucketOwner(*props) : objectOwner(*props, info);
    auto canned = cannedAclOfPolicy(*body, owner);
    if (!canned.ok()) return r.fail(s3Error("MalformedXML", canned.status().message()));
    if (!*canned) {
      return r.fail(s3Error("NotImplemented",
                            "grants to named users: a policy may grant FULL_CONTROL to the "
                            "owner and READ/WRITE to AllUsers or AuthenticatedUsers"));
    }
    acl = **canned;
  } else {
    if (r.ex.header("x-amz-acl").empty()) {
      return r.fail(s3Error("MissingSecurityHeader", "an ACL needs x-amz-acl or a policy body"));
    }
    auto canned = cannedAclHeader(r);
    if (!canned) return;
    acl = *canned;
  }
  if (r.key.empty()) {
    if (!setBucketField(r, &meta::BucketProps::acl, acl)) return;
  } else {
    // Merged under the owner target's name lock: only the ACL changes.
    auto out = c->setCustom(target.bucket, target.name, {{std::string(kMetaAcl), acl}}, true);
    if (!out.ok()) return r.fail(out.status());
    setVersionHeader(r, r.bucket, *out);
  }
  (void)r.ex.respond(200);
}

}  // namespace ais::gateway
