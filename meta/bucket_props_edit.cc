#include "meta/bucket_props_edit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/size_text.h"

namespace ais::meta {
namespace {

Result<bool> parseBool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return Status(Code::kInvalidArgument, key + ": expected true or false, got '" + v + "'");
}

Result<uint32_t> parseCount(const std::string& key, const std::string& v, uint32_t min,
                            uint32_t max) {
  char* end = nullptr;
  unsigned long n = std::strtoul(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    return Status(Code::kInvalidArgument,
                  fmt::format("{}: expected an integer in [{}, {}], got '{}'", key, min, max, v));
  }
  return static_cast<uint32_t>(n);
}

// AIStore's names for the same keys and values.
std::string canonicalKey(const std::string& key) {
  if (key == "checksum.type") return "checksum";
  if (key == "versioning.enabled") return "versioning";
  if (key == "ec.data_slices") return "ec.data";
  if (key == "ec.parity_slices") return "ec.parity";
  return key;
}

}  // namespace

const char* const kBucketPropKeys =
    "checksum (or checksum.type), versioning (or versioning.enabled), fsync, mirror.enabled, "
    "mirror.copies, "
    "ec.enabled, ec.data (or ec.data_slices), ec.parity (or ec.parity_slices), ec.objsize_limit, "
    "s3.versioning";

Status applyBucketProp(BucketProps& p, const std::string& name, std::string value) {
  std::string key = canonicalKey(name);
  if (key == "checksum") {
    if (value == "xxhash") value = "xxhash64";  // AIStore's name
    if (!checksumTypeSupported(value)) {
      return Status(
          Code::kInvalidArgument,
          "checksum: expected xxhash64 (xxhash), md5, crc32c, sha256 or none, got '" + value + "'");
    }
    p.checksumType = value;
  } else if (key == "versioning" || key == "fsync" || key == "ec.enabled") {
    auto b = parseBool(key, value);
    if (!b.ok()) return b.status();
    (key == "versioning" ? p.versioning : key == "fsync" ? p.fsync : p.ec.enabled) = *b;
  } else if (key == "mirror.enabled") {
    // Enabled means more than one copy (2 unless mirror.copies says how many).
    auto b = parseBool(key, value);
    if (!b.ok()) return b.status();
    p.mirrorCopies = *b ? std::max<uint32_t>(p.mirrorCopies, 2) : 1;
  } else if (key == "mirror.copies") {
    auto n = parseCount(key, value, 1, 32);
    if (!n.ok()) return n.status();
    p.mirrorCopies = *n;
  } else if (key == "ec.data" || key == "ec.parity") {
    auto n = parseCount(key, value, 1, 32);
    if (!n.ok()) return n.status();
    (key == "ec.data" ? p.ec.dataSlices : p.ec.paritySlices) = *n;
  } else if (key == "ec.objsize_limit") {
    auto n = ::ais::parseSize(value);
    if (!n) {
      return Status(Code::kInvalidArgument,
                    "ec.objsize_limit: expected a size (e.g. 262144, 256KiB), got '" + value + "'");
    }
    p.ec.objSizeLimit = *n;
  } else if (key == "s3.versioning") {
    // S3 object versioning (docs/s3.md): older versions kept on overwrite and delete.
    std::string v = value;
    for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (v != "enabled" && v != "suspended") {
      return Status(Code::kInvalidArgument,
                    "s3.versioning: expected enabled or suspended, got '" + value + "'");
    }
    p.objectVersioning = std::string(v == "enabled" ? kVersioningEnabled : kVersioningSuspended);
  } else {
    return Status(Code::kInvalidArgument,
                  "unknown bucket property '" + key + "' (valid: " + kBucketPropKeys + ")");
  }
  return Status::OK();
}

}  // namespace ais::meta
