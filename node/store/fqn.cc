#include "node/store/fqn.h"

#include <xxhash.h>

#include <cstdio>

#include "meta/names.h"

namespace ais::store {
namespace {
constexpr size_t kMaxComponentBytes = 255;
// Longer names go by hash: the mountpath's prefix plus the name must stay under PATH_MAX.
constexpr size_t kMaxDirectNameBytes = 1024;
}  // namespace

Status validateBucket(std::string_view bucket) {
  // A target's internal EC and versions buckets of a valid bucket are path-safe too.
  if (meta::isEcBucket(bucket)) return meta::validateBucketName(meta::bucketOfEc(bucket));
  if (meta::isVersionsBucket(bucket))
    return meta::validateBucketName(meta::bucketOfVersions(bucket));
  return meta::validateBucketName(bucket);
}

Status validateNames(std::string_view bucket, std::string_view name) {
  AIS_RETURN_IF_ERROR(validateBucket(bucket));
  return meta::validateNameIn(bucket, name);
}

bool storableDirect(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.size() > kMaxDirectNameBytes) return false;
  size_t start = 0;
  for (;;) {
    size_t end = name.find('/', start);
    std::string_view comp =
        name.substr(start, end == std::string_view::npos ? name.npos : end - start);
    if (comp.empty() || comp == "." || comp == ".." || comp.size() > kMaxComponentBytes)
      return false;
    if (comp.find('\0') != std::string_view::npos) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

std::string hashedLeaf(std::string_view name) {
  XXH128_hash_t h = XXH3_128bits(name.data(), name.size());
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string(buf, 32);
}

std::string bucketDir(std::string_view mountpath, std::string_view bucket) {
  std::string d;
  d.reserve(mountpath.size() + bucket.size() + 6);
  d.append(mountpath).append("/@ais/").append(bucket);
  return d;
}

std::string objectDir(std::string_view mountpath, std::string_view bucket) {
  return bucketDir(mountpath, bucket) + "/%ob";
}

std::string hashDir(std::string_view mountpath, std::string_view bucket) {
  return bucketDir(mountpath, bucket) + "/%hs";
}

std::string workDir(std::string_view mountpath, std::string_view bucket) {
  return bucketDir(mountpath, bucket) + "/%wk";
}

std::string objectFqn(std::string_view mountpath, std::string_view bucket, std::string_view name,
                      bool hashed) {
  if (hashed || !storableDirect(name)) return hashDir(mountpath, bucket) + "/" + hashedLeaf(name);
  std::string p = objectDir(mountpath, bucket);
  p.push_back('/');
  p.append(name);
  return p;
}

}  // namespace ais::store
