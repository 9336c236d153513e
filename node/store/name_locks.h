// Striped per-name mutexes: serialize the metadata steps (read LOM, rename file, commit LOM) of
// operations on one name, so two PUTs of a name cannot leave its LOM describing the other's file.
// Shared mode is for readers that only look (a network thread's cached open): they never wait
// for each other on a hot object.
#pragma once

#include <array>
#include <cstdint>
#include <shared_mutex>

namespace ais::store {

class NameLocks {
 public:
  std::shared_mutex& forHash(uint64_t nameHash) { return stripes_[nameHash % kStripes]; }

 private:
  static constexpr size_t kStripes = 256;
  std::array<std::shared_mutex, kStripes> stripes_;
};

}  // namespace ais::store
