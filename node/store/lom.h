// LOM (local object metadata): what a target knows about one stored object. Kept in the
// mountpath's LomDb and the source of truth for where the object's file is.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ais::store {

inline constexpr std::string_view kChecksumXxhash64 = "xxhash64";
// Custom metadata of S3 object versioning (store/versions.cc): the id of the object's version
// (absent: "null"), and the mark of a delete marker (a kept version of no bytes).
inline constexpr std::string_view kVersionIdKey = "s3-version-id";
inline constexpr std::string_view kDeleteMarkerKey = "s3-delete-marker";

struct Lom {
  std::string name;
  uint64_t size = 0;
  uint64_t checksum = 0;  // XXH64, seed 0, of the whole content: always kept, whatever the type
  // The bucket's checksum type when the object was stored, and that digest of the content in
  // lowercase hex ("" for "none"; for xxhash64 the 16 hex digits of `checksum`).
  std::string checksumType = std::string(kChecksumXxhash64);
  std::string checksumValue;
  uint64_t version = 0;  // 1 on first PUT, +1 per overwrite
  int64_t atimeNs = 0;
  int64_t mtimeNs = 0;
  std::map<std::string, std::string> custom;  // POSIX attrs, x-amz-meta-*, ...
  bool hashedPath = false;                    // file lives under %hs/<hash> instead of %ob/<name>
  // Block size of the per-block checksums (block_sums.h); 0 for an object stored before them.
  // Objects of more than one block keep their sums under LomDb's blocks key.
  uint32_t blockSize = 0;
  // Bytes of the content stored as holes (a sparse object: what a file system's st_blocks
  // leaves out); 0 for a dense object and for objects stored before it was kept.
  uint64_t holeBytes = 0;
  // Not stored: set on a commit's answer when the write did not become the current version (a
  // newer one was there: PutOptions::issuedNs); it was dropped, or kept as a noncurrent version.
  bool superseded = false;

  bool operator==(const Lom&) const = default;
  // True if LomDb holds a blocks key for this object (more than one block).
  bool hasBlocksKey() const { return blockSize != 0 && size > blockSize; }
};

// A copy that moves in (rebalance) with modification time movedMtimeNs replaces `existing` only
// if it is newer: a target back from maintenance gets what was written elsewhere meanwhile, and a
// client's newer write is never overwritten by a transfer. 0 (not a move): never.
inline bool supersedes(int64_t movedMtimeNs, const Lom& existing) {
  return movedMtimeNs > 0 && existing.mtimeNs < movedMtimeNs;
}

// Compact binary form with a leading format-version byte (v1 had no blockSize, read as 0; v1 and
// v2 had no checksumValue: an xxhash64 LOM gets its hex checksum; v4 adds holeBytes and is
// written only for a sparse object, so a dense one stays readable by a v3 node).
// decodeLom rejects truncated, trailing or otherwise malformed input with kInternal; it never reads
// out of bounds.
std::string encodeLom(const Lom& lom);
Result<Lom> decodeLom(std::string_view bytes);

}  // namespace ais::store
