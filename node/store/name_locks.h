// Striped per-name mutexes: serialize the metadata steps (read LOM, rename file, commit LOM) of
// operations on one name, so two PUTs of a name cannot leave its LOM describing the other's file.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

namespace ais::store {

class NameLocks {
 public:
  std::mutex& forHash(uint64_t nameHash) { return stripes_[nameHash % kStripes]; }

 private:
  static constexpr size_t kStripes = 256;
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace ais::store
