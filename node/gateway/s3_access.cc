// S3 access control: who may do what to a bucket and an object. A bucket is owned by the user
// that created it (BucketProps::owner; "" = the admin) and has a canned ACL (BucketProps::acl);
// an object keeps its writer (when not the bucket's owner) and its canned ACL in its custom
// metadata. The bucket's owner may do everything in it; others get what the ACLs grant: a
// bucket's ACL lets them list (READ) or write and delete objects (WRITE), an object's lets
// them read it. A gateway without users checks nothing (everyone acts as the admin).
#include "node/gateway/s3_api.h"

namespace ais::gateway {

namespace {

bool checksOn(const S3Request& r) { return r.gw.options().s3.enabled(); }

// Anyone, or any signed user, is granted READ by this canned ACL.
bool aclGrantsRead(std::string_view acl, const S3Auth& who) {
  if (acl == "public-read" || acl == "public-read-write") return true;
  return acl == "authenticated-read" && !who.anonymous();
}

std::string_view customValue(const ObjectInfo& info, std::string_view key) {
  auto it = info.custom.find(std::string(key));
  return it == info.custom.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

std::string bucketOwner(const meta::BucketProps& p) {
  return p.owner.empty() ? std::string(kS3AdminUser) : p.owner;
}

std::shared_ptr<const meta::BucketProps> findBucket(S3Request& r, const std::string& bucket) {
  if (auto bmd = r.gw.bmd()) {
    // (No copy: the props stay inside the BMD snapshot this pointer keeps alive.)
    if (const meta::BucketProps* p = bmd->find(bucket)) return {std::move(bmd), p};
  }
  // Not in this node's BMD (or none yet): ask the cluster, in case this node missed a change.
  auto c = r.gw.client();
  if (!c.ok()) {
    r.bucketUnknown = Status(Code::kUnavailable, "ais://" + bucket + ": " + c.status().message());
    return nullptr;
  }
  auto props = (*c)->bucketProps(bucket);
  if (!props.ok()) {
    if (props.code() != Code::kBucketNotFound) {
      r.bucketUnknown = Status(Code::kUnavailable,
                               "ais://" + bucket + ": the cluster's buckets could not be read: " +
                                   props.status().message());
    }
    return nullptr;
  }
  return std::make_shared<const meta::BucketProps>(std::move(*props));
}

bool isBucketOwner(const S3Request& r, const meta::BucketProps& props) {
  return !checksOn(r) || (!r.auth.anonymous() && r.auth.user == bucketOwner(props));
}

bool bucketAllowed(S3Request& r, const std::string& bucket, BucketAccess access) {
  auto props = findBucket(r, bucket);
  if (!props) {
    r.fail(Status(Code::kBucketNotFound, bucket));
    return false;
  }
  if (isBucketOwner(r, *props)) return true;
  bool ok = false;
  switch (access) {
    case BucketAccess::kRead:
      ok = aclGrantsRead(props->acl, r.auth);
      break;
    case BucketAccess::kWrite:
      ok = props->acl == "public-read-write";
      break;
    case BucketAccess::kOwner:
      break;
  }
  if (!ok) r.fail(s3Error("AccessDenied"));
  return ok;
}

namespace {

// The bucket's owner or the object's writer (or no checks at all).
bool controlsObject(S3Request& r, const std::string& bucket, const ObjectInfo& info) {
  if (!checksOn(r)) return true;
  auto props = findBucket(r, bucket);
  if (props && isBucketOwner(r, *props)) return true;
  return !r.auth.anonymous() && customValue(info, kMetaOwner) == r.auth.user;
}

}  // namespace

bool objectReadAllowed(S3Request& r, const std::string& bucket, const ObjectInfo& info) {
  if (controlsObject(r, bucket, info) || aclGrantsRead(customValue(info, kMetaAcl), r.auth)) {
    return true;
  }
  r.fail(s3Error("AccessDenied"));
  return false;
}

bool objectOwnerAllowed(S3Request& r, const std::string& bucket, const ObjectInfo& info) {
  if (controlsObject(r, bucket, info)) return true;
  r.fail(s3Error("AccessDenied"));
  return false;
}

void failObjectLookup(S3Request& r, const std::string& bucket, const Status& st) {
  if (st.code() == Code::kObjectNotFound && checksOn(r)) {
    // Whether a key exists is for those who may list the bucket.
    auto props = findBucket(r, bucket);
    if (props && !isBucketOwner(r, *props) && !aclGrantsRead(props->acl, r.auth)) {
      return r.fail(s3Error("AccessDenied"));
    }
  }
  r.fail(st);
}

std::string objectOwner(const meta::BucketProps& bucket, const ObjectInfo& info) {
  std::string_view writer = customValue(info, kMetaOwner);
  return writer.empty() ? bucketOwner(bucket) : std::string(writer);
}

std::optional<std::string> cannedAcl(S3Request& r, std::string_view acl) {
  // The bucket's owner controls every object in its bucket already: these two say no more.
  if (acl.empty() || acl == "private" || acl == "bucket-owner-full-control" ||
      acl == "bucket-owner-read") {
    return std::string();
  }
  if (meta::cannedAclSupported(acl)) return std::string(acl);
  if (acl == "aws-exec-read" || acl == "log-delivery-write") {
    r.fail(s3Error("NotImplemented", "x-amz-acl " + std::string(acl)));
  } else {
    r.fail(s3Error("InvalidArgument", "unknown canned ACL '" + std::string(acl) + "'"));
  }
  return std::nullopt;
}

std::optional<std::string> cannedAclHeader(S3Request& r) {
  return cannedAcl(r, r.ex.header("x-amz-acl"));
}

void recordAccess(S3Request& r, const std::string& acl,
                  std::map<std::string, std::string>& custom) {
  const std::string aclKey(kMetaAcl), ownerKey(kMetaOwner);
  custom.erase(aclKey);
  custom.erase(ownerKey);
  if (!acl.empty()) custom[aclKey] = acl;
  if (checksOn(r) && !r.auth.anonymous()) {
    auto props = findBucket(r, r.bucket);
    if (props && !isBucketOwner(r, *props)) custom[ownerKey] = r.auth.user;
  }
}

bool accessFromHeaders(S3Request& r, std::map<std::string, std::string>& custom) {
  auto acl = cannedAclHeader(r);
  if (!acl) return false;
  recordAccess(r, *acl, custom);
  return true;
}

}  // namespace ais::gateway
