// Helpers of the archive tests: files in and out, and a ReadAt over a shard in memory that fails
// the test on any read outside it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "node/archive/read_at.h"
#include "tests/unit/node/store/temp_dir.h"

namespace ais::archive::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

inline ReadAt readerOf(const std::string& shard) {
  return [&shard](char* buf, size_t len, uint64_t off) -> Result<size_t> {
    EXPECT_LE(off, shard.size());
    EXPECT_LE(off + len, shard.size());
    if (off >= shard.size()) return size_t{0};
    size_t n = std::min<uint64_t>(len, shard.size() - off);
    std::memcpy(buf, shard.data() + off, n);
    return n;
  };
}

// A test's source tree: files_ (name -> bytes), written under src_ in a temp dir by writeFiles().
class SourceTreeTest : public ::testing::Test {
 protected:
  void writeFiles() {
    src_ = tmp_.sub("src");
    for (auto& [name, data] : files_) spit(src_ + "/" + name, data);
  }

  store::testing::TempDir tmp_;
  std::string src_;
  std::map<std::string, std::string> files_;
};

}  // namespace ais::archive::testing
