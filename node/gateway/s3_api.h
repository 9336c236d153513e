// Internals shared by the S3 handlers: the parsed request and one function per S3 operation.
// Each handler answers exactly once (a response or an S3 error).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "meta/names.h"
#include "node/gateway/gateway.h"
#include "node/gateway/http_dates.h"
#include "node/gateway/s3_auth_sigv4.h"
#include "node/gateway/s3_errors.h"
#include "node/gateway/url.h"
#include "proto/client.h"

namespace ais::gateway {

struct S3Request {
  Exchange& ex;
  Gateway& gw;
  std::string bucket;  // "" for the service (ListBuckets)
  std::string key;     // "" for bucket operations
  std::string rawQuery;
  Query query;
  S3Auth auth;
  std::string resource;  // "/bucket/key", for error bodies

  bool has(std::string_view param) const { return query.find(param) != query.end(); }
  std::string param(std::string_view name, std::string def = {}) const {
    return queryGet(query, name).value_or(std::move(def));
  }
  void fail(const S3Error& e) { sendS3Error(ex, e, resource); }
  // A conditional write or delete (If-Match) met another version at its commit: the object
  // changed after the ETag was checked (409 ConditionalRequestConflict, as S3: retry).
  bool conditional = false;
  // Why a bucket could not be looked up (findBucket: this node's BMD lacks it and the cluster did
  // not answer): a "no such bucket" of this request is then this error (503), not a 404 that
  // clients take as final (a target that just joined, its metadata not in yet).
  std::optional<Status> bucketUnknown;
  void fail(const Status& st) {
    if (conditional && st.code() == Code::kVersionChanged) {
      return fail(s3Error("ConditionalRequestConflict", st.message()));
    }
    if (st.code() == Code::kBucketNotFound && bucketUnknown) return fail(s3Error(*bucketUnknown));
    fail(s3Error(st));
  }
  // The fabric client, or a 503 sent and nullptr.
  Client* client();
};

class XmlWriter;
// A 200 with the document as application/xml.
void sendXml(S3Request& r, const XmlWriter& x);

// Hidden bucket that holds multipart upload state and parts (ListBuckets leaves it out).
using meta::kMultipartBucket;

// The owner of buckets and objects that name no other (the admin): its ID and display name in
// ListBuckets, listings and ACLs.
inline constexpr std::string_view kS3Owner = kS3AdminUser;

// Custom metadata keys (the object's LOM custom map).
inline constexpr std::string_view kMetaEtag = "etag";
// On an object made by CompleteMultipartUpload: the upload's id, so a retried Complete (the
// client did not see the first answer) gets the same success instead of NoSuchUpload.
inline constexpr std::string_view kMetaUploadId = "s3-upload-id";
inline constexpr std::string_view kMetaContentType = "content-type";
// + an algorithm of kChecksumAlgorithms: the x-amz-checksum-* the client sent with the object
// (base64; "<base64>-N" for a multipart upload's composite checksum), verified on the way in.
inline constexpr std::string_view kMetaChecksumPrefix = "s3-checksum-";
// f(algorithm, value) for each checksum the object keeps.
template <typename F>
void forEachChecksum(const ObjectInfo& info, F&& f) {
  const std::string prefix(kMetaChecksumPrefix);
  for (auto it = info.custom.lower_bound(prefix);
       it != info.custom.end() && it->first.starts_with(prefix); ++it) {
    f(std::string_view(it->first).substr(prefix.size()), it->second);
  }
}
// x-amz-checksum-type of a kept value: a multipart upload's composite one ends in "-N".
inline const char* checksumType(std::string_view value) {
  return value.find('-') == std::string_view::npos ? "FULL_OBJECT" : "COMPOSITE";
}
// On an object made by CompleteMultipartUpload: its parts' sizes, run-length encoded
// ("5242880*9,1234"), for GET/HEAD ?partNumber=N.
inline constexpr std::string_view kMetaPartSizes = "s3-part-sizes";
std::string encodePartSizes(const std::vector<uint64_t>& sizes);
// The part sizes an object keeps (empty: none, or they do not add up to its size).
std::vector<uint64_t> partSizesOf(const ObjectInfo& info);
// The object's S3 tags, URL-encoded as the x-amz-tagging header carries them ("k=v&k2=v2").
inline constexpr std::string_view kMetaTags = "s3-tags";

// Standard headers kept with the object (as custom metadata under these names) besides
// x-amz-meta-*: from a PUT's headers or a POST form's fields, and sent back on GET/HEAD.
// (Each object's own: a copy takes the request's, never the source's.)
inline constexpr std::string_view kMetaWebsiteRedirect = "x-amz-website-redirect-location";
inline constexpr std::string_view kKeptHeaders[] = {
    "content-type",     "cache-control", "content-disposition", "content-encoding",
    "content-language", "expires",       kMetaWebsiteRedirect};
// Headers of the request that become object metadata (Content-Type, x-amz-meta-*, ...).
std::map<std::string, std::string> metadataFromHeaders(const Exchange& ex);
// ETag for responses, quoted; md5 for S3-written objects, else xxhash.
std::string etagOf(const ObjectInfo& info);
void appendEtag(const ObjectInfo& info, std::string& out);  // the same, appended (listings)

// Service and buckets (s3_bucket.cc)
void listBuckets(S3Request& r);
void createBucket(S3Request& r);
void deleteBucket(S3Request& r);
void headBucket(S3Request& r);
void getBucketLocation(S3Request& r);
// Sets one S3 field of the bucket's props (acl, cors, tags; the rest as this node's BMD has
// them) through the primary, unless it already has that value; false after answering an error.
bool setBucketField(S3Request& r, std::string meta::BucketProps::*field, std::string value);
// Listing (s3_list.cc)
enum class ListKind { kV1, kV2, kVersions };
// A listing's prefix, delimiter, encoding-type=url and max-keys (at most 1000); nullopt after
// answering 400 for a bad encoding-type or max-keys.
struct ListParams {
  std::string prefix, delimiter;
  bool url = false;
  int maxKeys = 1000;
};
std::optional<ListParams> listParams(S3Request& r);
void listObjects(S3Request& r, ListKind kind);
// Objects (s3_object.cc)
void putObject(S3Request& r);
void getObject(S3Request& r);
void deleteObject(S3Request& r);
void copyObject(S3Request& r);
void deleteObjects(S3Request& r);
// Access control (s3_access.cc). With S3 users, a bucket has an owner (its creator) and a canned
// ACL; an object its writer (kMetaOwner, when not the bucket's owner) and a canned ACL
// (kMetaAcl). The checks answer 404 NoSuchBucket or 403 AccessDenied themselves and return
// false; a gateway without users allows everything.
inline constexpr std::string_view kMetaAcl = "s3-acl";
inline constexpr std::string_view kMetaOwner = "s3-owner";
enum class BucketAccess {
  kRead,   // list objects and uploads, HeadBucket: public-read(-write), authenticated-read
  kWrite,  // put, copy into, delete objects, multipart uploads: public-read-write
  kOwner,  // DeleteBucket, ACLs, location, versioning: the owner alone
};
bool bucketAllowed(S3Request& r, const std::string& bucket, BucketAccess access);
// GET/HEAD of an object, a copy's source: the bucket's owner, the writer, or the object's ACL.
bool objectReadAllowed(S3Request& r, const std::string& bucket, const ObjectInfo& info);
// Changing an object's ACL or tags: the bucket's owner or the writer.
bool objectOwnerAllowed(S3Request& r, const std::string& bucket, const ObjectInfo& info);
// Answers a failed object lookup: a missing key is 404 to those who may list the bucket, 403 to
// everyone else (whether a key exists is not theirs to learn).
void failObjectLookup(S3Request& r, const std::string& bucket, const Status& st);
// The bucket's props as this node's BMD has them (the cluster's if it has not); null if none.
std::shared_ptr<const meta::BucketProps> findBucket(S3Request& r, const std::string& bucket);
std::string bucketOwner(const meta::BucketProps& p);
bool isBucketOwner(const S3Request& r, const meta::BucketProps& props);
std::string objectOwner(const meta::BucketProps& bucket, const ObjectInfo& info);
// A canned ACL (x-amz-acl, a POST form's acl) as the one to keep ("" for private and the ones
// that say no more here); nullopt after answering 400 (unknown) or 501 (aws-exec-read,
// log-delivery-write).
std::optional<std::string> cannedAcl(S3Request& r, std::string_view acl);
std::optional<std::string> cannedAclHeader(S3Request& r);  // of x-amz-acl
// A write's ACL (as cannedAcl gave it) and writer into its custom metadata, replacing a copied
// source's.
void recordAccess(S3Request& r, const std::string& acl, std::map<std::string, std::string>& custom);
// The same from the request's x-amz-acl; false if it answered (a bad x-amz-acl).
bool accessFromHeaders(S3Request& r, std::map<std::string, std::string>& custom);
// ACL calls (s3_acl.cc). x-amz-grant-* (grants to named users) answer 501 everywhere.
bool aclHeadersAccepted(S3Request& r);
void getAcl(S3Request& r);  // GetBucketAcl, GetObjectAcl
void putAcl(S3Request& r);  // PutBucketAcl, PutObjectAcl
// Object tagging (s3_tagging.cc): GET, PUT and DELETE of ?tagging on an object.
void getObjectTagging(S3Request& r);
void putObjectTagging(S3Request& r);
void deleteObjectTagging(S3Request& r);
// Bucket tagging: GET (404 NoSuchTagSet without tags), PUT (up to 50), DELETE of ?tagging on a
// bucket, the owner's.
void getBucketTagging(S3Request& r);
void putBucketTagging(S3Request& r);
void deleteBucketTagging(S3Request& r);
// The request's x-amz-tagging header, checked, into custom[kMetaTags] (nothing if absent).
// Answers the error itself and returns false on bad tags.
bool tagsFromHeader(S3Request& r, std::map<std::string, std::string>& custom);
// With x-amz-checksum-mode: ENABLED, the object's kept checksums as x-amz-checksum-* (and
// x-amz-checksum-type) on a GET or HEAD of the whole object.
void setChecksumHeaders(S3Request& r, const ObjectInfo& info, bool wholeObject);
// The object's kept checksums as x-amz-checksum-* on a PUT's (or UploadPart's) answer.
void echoChecksums(S3Request& r, const ObjectInfo& info);
// x-amz-tagging-count on a GET or HEAD of an object that has tags.
void setTaggingCount(S3Request& r, const ObjectInfo& info);
// CORS (s3_cors.cc): the bucket's rules (?cors, the owner's), OPTIONS preflights (answered from
// the rules, no signature needed), and the Access-Control-* headers of an actual request with
// an Origin, set before its handler runs so that errors carry them too.
void putBucketCors(S3Request& r);
void getBucketCors(S3Request& r);
void deleteBucketCors(S3Request& r);
void corsPreflight(S3Request& r);
void setCorsHeaders(S3Request& r);
// Browser POST uploads (s3_post.cc): a multipart/form-data form to the bucket.
void postObject(S3Request& r);
// Multipart (s3_multipart.cc)
void createMultipart(S3Request& r);
void uploadPart(S3Request& r);
void completeMultipart(S3Request& r);
void abortMultipart(S3Request& r);
void listParts(S3Request& r);
void listMultipartUploads(S3Request& r);

// If-Match on a write or delete: the version of the object whose ETag matches, checked again
// atomically at the commit (409 ConditionalRequestConflict if it changed meanwhile). Answers 404
// (no object) or 412 (another ETag) itself and returns nullopt.
std::optional<uint64_t> versionIfMatch(S3Request& r, std::string_view ifMatch);
// Conditional writes (PUT, CompleteMultipartUpload): `If-None-Match: *` stores only if the key
// is free, `If-None-Match: <ETags>` unless the object has one of them, `If-Match` only over the
// version that has that ETag; all decided atomically with the commit. False if it answered.
bool conditionalWrite(S3Request& r, PutOptions& opts);
// The source of a CopyObject or UploadPartCopy (x-amz-copy-source: never the multipart staging
// bucket; a versionId names one version, findVersion) and its info, once the x-amz-copy-source-if-*
// conditions hold; answers the error itself (412 for a failed condition) and returns nullopt.
struct CopySource {
  std::string bucket, key;
  ObjectInfo info;
  // Where its bytes are: bucket/key, or the versions bucket for an older version.
  std::string readBucket, readName;
};
std::optional<CopySource> copySource(S3Request& r, Client& c);
// Stores the request body as bucket/name with the MD5 ETag (after checking every digest the
// client sent); answers with the error itself and returns nullopt on failure.
std::optional<ObjectInfo> receiveObject(S3Request& r, const std::string& bucket,
                                        const std::string& name, PutOptions opts);
// S3 object versioning (s3_versions.cc). Get/PutBucketVersioning (Enabled, Suspended; MFA
// delete 501); ListObjectVersions (of a bucket never versioned: listObjects' kVersions).
void getBucketVersioning(S3Request& r);
void putBucketVersioning(S3Request& r);
void listObjectVersions(S3Request& r);
// An object's version id ("null" without one) and whether it is a delete marker.
std::string versionIdOf(const ObjectInfo& info);
bool isDeleteMarker(const ObjectInfo& info);
bool versioningEverEnabled(S3Request& r, const std::string& bucket);
// A GET or HEAD of r.bucket/key found no object: if its latest version is a delete marker, the
// x-amz-delete-marker and x-amz-version-id headers that say so.
void setDeleteMarkerHeaders(S3Request& r, Client& c, const std::string& key);
// x-amz-version-id of the object, in a bucket whose versioning was ever enabled.
void setVersionHeader(S3Request& r, const std::string& bucket, const ObjectInfo& info);
// The same on the answer of a write (PUT, copy, CompleteMultipartUpload): only a version id
// other than "null" (a suspended bucket's writes answer none, as S3).
void setWrittenVersionHeader(S3Request& r, const ObjectInfo& info);
// Where version versionId of bucket/key is: the object itself, or one kept in the versions
// bucket (a delete marker included). Answers the error itself (400 for a malformed id or one
// other than "null" where versioning was never enabled, 404 NoSuchVersion) and returns nullopt.
struct VersionRef {
  std::string bucket, name;  // where to read it
  ObjectInfo info;
};
std::optional<VersionRef> findVersion(S3Request& r, Client& c, const std::string& bucket,
                                      const std::string& key, const std::string& versionId);
// findVersion without answering (versionId already checked): kObjectNotFound if it names none.
Result<VersionRef> lookupVersion(S3Request& r, Client& c, const std::string& bucket,
                                 const std::string& key, const std::string& versionId);
// The version an object call (tagging, ACL) acts on: r.key's object, or the one ?versionId
// names (a delete marker: 405). Answers the error itself.
std::optional<VersionRef> requestedVersion(S3Request& r, Client& c);

// Reads a small request body (XML) up to limit bytes; nullopt after answering with an error.
std::optional<std::string> readSmallBody(S3Request& r, size_t limit);

}  // namespace ais::gateway
