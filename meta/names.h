// Validation of bucket and object names, shared by clients and nodes so both reject the same input.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ais::meta {

inline constexpr size_t kMaxObjectNameBytes = 1024;

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

// Any UTF-8 up to 1024 bytes, '/' allowed. Rejected: empty, invalid UTF-8, NUL, a leading '/',
// and ".." components (they would escape the mountpath). Other unusual shapes ("a//b", trailing
// '/', "." components, over-long components) are legal and stored by hash on disk.
Status validateObjectName(std::string_view name);

}  // namespace ais::meta
