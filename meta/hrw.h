// HRW (rendezvous) placement: the owner of a name is the candidate with the highest
// mix64(xxhash64(uname) ^ xxhash64(candidate id)). Adding one of N candidates moves ~1/N names,
// all of them to the new candidate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meta/smap.h"

namespace ais::meta {

uint64_t xxhash64(std::string_view data, uint64_t seed = 0);
// splitmix64 finalizer: without it the ids' bit patterns decide the winners and balance is lost.
uint64_t mix64(uint64_t x);

// Uniform name of an object across the cluster: "ais/<bucket>/<name>", which places it. A
// version of an object (meta/names.h versionsBucket) has its key's: it lives with the key.
std::string uname(std::string_view bucket, std::string_view name);

// Index of the winning id in `ids` for the given uname hash; ids must not be empty.
size_t hrwSelect(uint64_t unameHash, const std::vector<uint64_t>& idDigests);

// Owner target of `uname` among the Smap's active targets, or nullptr if there are none.
const NodeInfo* ownerTarget(const Smap& smap, std::string_view uname);
// Active targets sorted by decreasing HRW weight (owner first): mirrors and EC slices use the tail.
std::vector<const NodeInfo*> targetsInHrwOrder(const Smap& smap, std::string_view uname);

}  // namespace ais::meta
