// FQN: where an object's bytes live under a mountpath.
//   <mp>/@ais/<bucket>/%ob/<name>   object stored under its own name (the open, rsync-able format)
//   <mp>/@ais/<bucket>/%hs/<hash>   object whose name is not a canonical path, or collides with a
//   dir <mp>/@ais/<bucket>/%wk/<unique> work file of a PUT in progress
//   <mp>/@ais/<bucket>/%pw/<unique>     empty file made ahead for a PUT (prepared_files.h)
// Callers validate names first; every path built here stays inside its mountpath.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ais::store {

// A bucket name, or the internal EC bucket of one (meta::ecBucket): kBadBucketName otherwise.
Status validateBucket(std::string_view bucket);
// Bucket name (kBadBucketName) then object name (kBadObjectName).
Status validateNames(std::string_view bucket, std::string_view name);

// True if a valid name is also a canonical relative path of at most 1024 bytes: no empty or "."
// components, and no component longer than 255 bytes (NAME_MAX). Other valid names are stored by
// hash.
bool storableDirect(std::string_view name);

// 32 hex chars of XXH3-128 of the name.
std::string hashedLeaf(std::string_view name);

std::string bucketDir(std::string_view mountpath, std::string_view bucket);
std::string objectDir(std::string_view mountpath, std::string_view bucket);  // %ob
std::string hashDir(std::string_view mountpath, std::string_view bucket);    // %hs
std::string workDir(std::string_view mountpath, std::string_view bucket);    // %wk

// Path of a validated name; falls back to the hashed path when the name is not storableDirect.
std::string objectFqn(std::string_view mountpath, std::string_view bucket, std::string_view name,
                      bool hashed);

}  // namespace ais::store
