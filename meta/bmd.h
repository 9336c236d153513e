// BMD: bucket metadata, versioned like the Smap and changed only by the primary.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "meta/names.h"

namespace ais::meta {

// The checksum types a bucket may keep (checksum.type): the digest stored with each object and
// returned with it. "none" keeps none (every object still has its XXH64 and block checksums).
inline bool checksumTypeSupported(std::string_view type) {
  return type == "xxhash64" || type == "md5" || type == "crc32c" || type == "sha256" ||
         type == "none";
}

// The canned ACLs a bucket (BucketProps::acl) or an S3 object may have; "" is private.
inline bool cannedAclSupported(std::string_view acl) {
  return acl.empty() || acl == "private" || acl == "public-read" || acl == "public-read-write" ||
         acl == "authenticated-read";
}

inline constexpr std::string_view kVersioningOff = "";
inline constexpr std::string_view kVersioningEnabled = "Enabled";
inline constexpr std::string_view kVersioningSuspended = "Suspended";
inline bool objectVersioningSupported(std::string_view v) {
  return v == kVersioningOff || v == kVersioningEnabled || v == kVersioningSuspended;
}

struct EcProps {
  bool enabled = false;
  uint32_t dataSlices = 2;
  uint32_t paritySlices = 2;
  uint64_t objSizeLimit = 256 * 1024;  // smaller objects are replicated instead of encoded
  bool operator==(const EcProps&) const = default;
};

struct BucketProps {
  std::string checksumType = "xxhash64";  // checksumTypeSupported
  bool versioning = true;                 // LOM versions increase on overwrite
  bool fsync = false;                     // fsync object files before acknowledging a PUT
  uint32_t mirrorCopies = 1;
  EcProps ec;
  int64_t createdNs = 0;
  // S3 access: the user that created the bucket ("" = the cluster's admin user) and its canned
  // ACL ("" = private; else public-read, public-read-write or authenticated-read). Only the
  // creation sets the owner; a change of props keeps it.
  std::string owner;
  std::string acl;
  // S3 CORS: the bucket's CORSConfiguration document ("" = none), checked when it was put.
  std::string cors;
  // S3 bucket tags, URL-encoded ("k=v&k2=v2"; "" = none).
  std::string tags;
  // S3 object versioning: kVersioningOff (never enabled), kVersioningEnabled (a write or delete
  // keeps the version it replaces, under its own id) or kVersioningSuspended (writes replace the
  // "null" version; the versions kept before stay). Once enabled it never returns to off.
  std::string objectVersioning;
  bool operator==(const BucketProps&) const = default;
};

struct BMD {
  uint64_t version = 0;
  std::string uuid;
  std::map<std::string, BucketProps> buckets;  // provider "ais" only, keyed by name

  const BucketProps* find(const std::string& name) const {
    auto it = buckets.find(name);
    return it == buckets.end() ? nullptr : &it->second;
  }
  // Where a target holds the buckets' objects: each bucket, then (S3 object versioning) the
  // versions kept of a versioned one (versionsBucket), which move after its objects.
  std::vector<std::string> objectBuckets() const {
    std::vector<std::string> out;
    for (const auto& [name, props] : buckets) {
      out.push_back(name);
      if (!props.objectVersioning.empty()) out.push_back(versionsBucket(name));
    }
    return out;
  }
};

}  // namespace ais::meta
