#include "meta/hrw.h"

#include <xxhash.h>

#include <algorithm>

#include "meta/names.h"

namespace ais::meta {

uint64_t xxhash64(std::string_view data, uint64_t seed) {
  return XXH64(data.data(), data.size(), seed);
}

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::string uname(std::string_view bucket, std::string_view name) {
  if (isVersionsBucket(bucket)) {
    bucket = bucketOfVersions(bucket);
    name = splitVersionName(name).first;
  }
  std::string u;
  u.reserve(4 + bucket.size() + name.size());
  u.append("ais/").append(bucket).append("/").append(name);
  return u;
}

size_t hrwSelect(uint64_t unameHash, const std::vector<uint64_t>& idDigests) {
  size_t best = 0;
  uint64_t bestWeight = 0;
  for (size_t i = 0; i < idDigests.size(); ++i) {
    uint64_t w = mix64(unameHash ^ idDigests[i]);
    if (i == 0 || w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

const NodeInfo* ownerTarget(const Smap& smap, std::string_view uname) {
  uint64_t h = xxhash64(uname);
  const NodeInfo* best = nullptr;
  uint64_t bestWeight = 0;
  for (const auto& n : smap.nodes) {
    if (!n.isTarget() || (n.flags & kNodeMaintenance)) continue;
    uint64_t w = mix64(h ^ xxhash64(n.id));
    if (!best || w > bestWeight) {
      best = &n;
      bestWeight = w;
    }
  }
  return best;
}

std::vector<const NodeInfo*> targetsInHrwOrder(const Smap& smap, std::string_view uname) {
  uint64_t h = xxhash64(uname);
  std::vector<std::pair<uint64_t, const NodeInfo*>> weighted;
  for (const NodeInfo* n : smap.activeTargets())
    weighted.emplace_back(mix64(h ^ xxhash64(n->id)), n);
  std::sort(weighted.begin(), weighted.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const NodeInfo*> out;
  for (auto& [w, n] : weighted) out.push_back(n);
  return out;
}

}  // namespace ais::meta
