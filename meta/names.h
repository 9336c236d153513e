// Validation of bucket and object names, shared by clients and nodes so both reject the same input.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace ais::meta {

// A name is a path as POSIX allows one (PATH_MAX 4096 with its NUL), so that a mount can hold
// any path; S3 creates keys up to its own limit only (S3's KeyTooLongError past it). A name that
// ends in '/' (a directory's marker: the path and its slash) may be one byte longer.
inline constexpr size_t kMaxObjectNameBytes = 4095;
inline constexpr size_t kMaxS3KeyBytes = 1024;

// Appended to a common prefix to list past every name under it: U+10FFFF, the largest code
// point, sorts bytewise after any valid UTF-8 continuation (but a name holding U+10FFFF itself).
inline constexpr std::string_view kAfterAllNames = "\xf4\x8f\xbf\xbf";

// S3 rules: 3-63 chars of [a-z0-9.-], starts and ends with a letter or digit, no "..",
// not shaped like an IPv4 address.
Status validateBucketName(std::string_view name);

// The S3 gateway's hidden bucket of multipart uploads in progress: only the gateways use it; every
// other front end (the client library by default, so `ais`, aisfs, aisloader; and the native
// API) neither lists nor touches it.
inline constexpr std::string_view kMultipartBucket = "aisgw-multipart";
inline bool isReservedBucket(std::string_view name) { return name == kMultipartBucket; }
// kBadBucketName for a reserved bucket, naming why.
Status refuseReservedBucket(std::string_view name);

// Where a target keeps the erasure-coding slices and replicas it holds of other targets' objects
// of `bucket`: the internal bucket "%ec.<bucket>" ('%' never starts a user bucket name). Only
// targets use it, with localOnly calls; no front end lists or names it.
inline constexpr std::string_view kEcBucketPrefix = "%ec.";
inline bool isEcBucket(std::string_view name) { return name.starts_with(kEcBucketPrefix); }
inline std::string ecBucket(std::string_view bucket) {
  return std::string(kEcBucketPrefix) + std::string(bucket);
}
inline std::string_view bucketOfEc(std::string_view ecName) {
  return ecName.substr(kEcBucketPrefix.size());
}

// Where a target keeps the older versions and delete markers of `bucket`'s objects (S3 object
// versioning): the internal bucket "%v.<bucket>", each named versionName(key, versionId). They
// are placed with their key (uname() places them by the key alone): on its owner target and
// mountpath, so keeping a version is a local link under the key's lock. Only the gateways name
// it (bucket names of front ends never start with '%').
inline constexpr std::string_view kVersionsBucketPrefix = "%v.";
// Between a key and a version id in a version's name: a key may hold it too, a version id never,
// so the name splits at its last one.
inline constexpr char kVersionSeparator = '\x01';
// The id of the version written while versioning was off or suspended.
inline constexpr std::string_view kNullVersionId = "null";
inline bool isVersionsBucket(std::string_view name) {
  return name.starts_with(kVersionsBucketPrefix);
}
inline std::string versionsBucket(std::string_view bucket) {
  return std::string(kVersionsBucketPrefix) + std::string(bucket);
}
inline std::string_view bucketOfVersions(std::string_view versionsName) {
  return versionsName.substr(kVersionsBucketPrefix.size());
}
inline std::string versionName(std::string_view key, std::string_view versionId) {
  std::string n(key);
  n += kVersionSeparator;
  n += versionId;
  return n;
}
// The key and version id of a version's name (the key is the whole name if it has none).
inline std::pair<std::string_view, std::string_view> splitVersionName(std::string_view name) {
  size_t at = name.rfind(kVersionSeparator);
  if (at == std::string_view::npos) return {name, {}};
  return {name.substr(0, at), name.substr(at + 1)};
}
// "null", or 32 lowercase hex digits (what newVersionId makes).
bool validVersionId(std::string_view id);
// A new version id: the time in ns then 64 random bits, 32 hex digits (later ones sort after).
std::string newVersionId();
// validateObjectName, or for a versions bucket the key's rules plus a valid version id.
Status validateNameIn(std::string_view bucket, std::string_view name);

// Any UTF-8 up to 1024 bytes, '/' allowed. Rejected: empty, invalid UTF-8, NUL, a leading '/',
// and ".." components (they would escape the mountpath). Other unusual shapes ("a//b", trailing
// '/', "." components, over-long components) are legal and stored by hash on disk.
Status validateObjectName(std::string_view name);

}  // namespace ais::meta
