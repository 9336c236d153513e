// aisloader's reference mode (-filedir=DIR): objects as plain files DIR/BUCKET/NAME, so that the
// same workers, object sizes, timing and report measure the local disk beside the cluster. A PUT
// writes a work file and renames it into place (no fsync), the crash-safe pattern a target uses
// too; a GET reads the whole file into memory, as a GET reply does.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ais::loader {

class FileStore {
 public:
  explicit FileStore(std::string dir) : dir_(std::move(dir)) {}

  Status createBucket(const std::string& bucket);  // mkdir -p DIR/BUCKET
  Status put(const std::string& bucket, const std::string& name, const std::string& data);
  Result<std::string> get(const std::string& bucket, const std::string& name);
  Status remove(const std::string& bucket, const std::string& name);
  // Every regular file under DIR/BUCKET: its path relative to it, and its size.
  Result<std::vector<std::pair<std::string, uint64_t>>> list(const std::string& bucket);

 private:
  std::string path(const std::string& bucket, const std::string& name) const {
    return dir_ + "/" + bucket + "/" + name;
  }
  std::string dir_;
};

}  // namespace ais::loader
