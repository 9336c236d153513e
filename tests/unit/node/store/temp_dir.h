// Store test helpers: a per-test directory under /tmp (removed with everything in it when the
// test ends, pass or fail), a fixture holding a one-mountpath store there, deterministic bytes.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "node/store/store.h"
#include "tests/lib/file_damage.h"

namespace ais::store::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ais-store-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A store on one mountpath in a TempDir; reopen() closes and opens it again (a restart, with its
// startup reconciliation).
class OneMountpathStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    auto s = Store::open({tmp_.sub("mp")});
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
    mp_ = store_->mountpaths().at(0);
  }
  TempDir tmp_;
  std::unique_ptr<Store> store_;
  std::string mp_;
};

using ais::testing::flipByte;

// The whole content of bucket/name, or "<error>" / "<short read>".
inline std::string readObject(Store& store, std::string_view bucket, std::string_view name) {
  auto r = store.openObject(bucket, name);
  if (!r.ok()) return "<" + r.status().toString() + ">";
  std::string out((*r)->lom().size, '\0');
  auto n = (*r)->read(out.data(), out.size(), 0);
  if (!n.ok() || *n != out.size()) return "<short read>";
  return out;
}

// Regular files under dir whose path holds `part` (e.g. "/%wk/").
inline size_t filesWith(const std::string& dir, std::string_view part) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().string().find(part) != std::string::npos && it->is_regular_file()) ++n;
  }
  return n;
}
// Work files (PUTs not yet committed, or left behind) on every mountpath of the store: files in
// %wk, and those made ahead in %pw that a PUT wrote into (the others are empty).
inline size_t workFileCount(const Store& store) {
  size_t n = 0;
  for (const auto& mp : store.mountpaths()) {
    n += filesWith(mp, "/%wk/");
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(mp, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().string().find("/%pw/") != std::string::npos && it->is_regular_file() &&
          it->file_size() > 0) {
        ++n;
      }
    }
  }
  return n;
}

// Deterministic pseudo-random bytes (an LCG), different per seed.
inline std::string pattern(size_t n, uint64_t seed = 1) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    s[i] = static_cast<char>(seed >> 56);
  }
  return s;
}

}  // namespace ais::store::testing
