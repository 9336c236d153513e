// Work files made ahead (Store::prepareWorkFiles, prepared_files.h): PUTs that take them store
// the right bytes, leave no work file behind, survive their bucket's destroy, and a restart
// removes the files not taken.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "node/store/store.h"
#include "tests/unit/node/store/temp_dir.h"

namespace ais::store {
namespace {

using testing::OneMountpathStoreTest;
using testing::readObject;
using testing::workFileCount;

size_t preparedCount(const std::string& mp) { return testing::filesWith(mp, "/%pw/"); }

// Waits until the background thread has files ready in mp (up to 5 s).
bool someReady(const std::string& mp) {
  for (int i = 0; i < 500; ++i) {
    if (preparedCount(mp) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class PreparedFilesTest : public OneMountpathStoreTest {
 protected:
  void SetUp() override {
    OneMountpathStoreTest::SetUp();
    store_->prepareWorkFiles();
  }
};

TEST_F(PreparedFilesTest, PutsTakeFilesMadeAheadAndStoreTheirBytes) {
  ASSERT_TRUE(store_->putBytes("pfb", "first", "a").ok());  // asks for files in pfb
  ASSERT_TRUE(someReady(mp_));
  for (int i = 0; i < 300; ++i) {
    std::string data(100 + i, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(store_->putBytes("pfb", "dir/o" + std::to_string(i), data).ok()) << i;
  }
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(readObject(*store_, "pfb", "dir/o" + std::to_string(i)),
              std::string(100 + i, static_cast<char>('a' + i % 26)));
  }
  EXPECT_EQ(workFileCount(*store_), 0u);
  // An aborted PUT leaves nothing either.
  auto w = store_->beginPut("pfb", "aborted");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("xyz", 3).ok());
  EXPECT_EQ(workFileCount(*store_), 1u);
  w->reset();
  EXPECT_EQ(workFileCount(*store_), 0u);
  EXPECT_EQ(store_->openObject("pfb", "aborted").status().code(), Code::kObjectNotFound);
}

// Files are made in subdirectories of 1,024; one whose files are all used is removed (before,
// every one stayed until the next start: one directory per 1,024 PUTs).
TEST_F(PreparedFilesTest, UsedSubdirectoriesAreRemoved) {
  ASSERT_TRUE(store_->putBytes("pfs", "first", "a").ok());
  ASSERT_TRUE(someReady(mp_));
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(store_->putBytes("pfs", "o" + std::to_string(i), "x").ok()) << i;
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // (refills)
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  size_t subdirs = 0;
  std::error_code ec;
  for (const auto& bucketDir : std::filesystem::directory_iterator(mp_ + "/@ais", ec)) {
    for (auto it = std::filesystem::directory_iterator(bucketDir.path() / "%pw", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      subdirs += it->is_directory() ? 1 : 0;
    }
  }
  EXPECT_LE(subdirs, 2u);
  EXPECT_EQ(readObject(*store_, "pfs", "o4999"), "x");
}

TEST_F(PreparedFilesTest, ADestroyedBucketTakesItsFilesAndPutsStillWork) {
  ASSERT_TRUE(store_->putBytes("pfd", "first", "a").ok());
  ASSERT_TRUE(someReady(mp_));
  ASSERT_TRUE(store_->destroyBucket("pfd").ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_->putBytes("pfd", "again" + std::to_string(i), "b").ok()) << i;
  }
  EXPECT_EQ(readObject(*store_, "pfd", "again49"), "b");
  EXPECT_EQ(store_->openObject("pfd", "first").status().code(), Code::kObjectNotFound);
}

TEST_F(PreparedFilesTest, ARestartRemovesTheFilesNotTaken) {
  ASSERT_TRUE(store_->putBytes("pfr", "first", "a").ok());
  ASSERT_TRUE(someReady(mp_));
  reopen();  // (without prepareWorkFiles: nothing makes new ones)
  EXPECT_EQ(preparedCount(mp_), 0u);
  EXPECT_EQ(readObject(*store_, "pfr", "first"), "a");
}

TEST(PreparedFilesMountpaths, ADisabledMountpathKeepsNoFilesMadeAhead) {
  testing::TempDir tmp;
  auto s = Store::open({tmp.sub("mp1"), tmp.sub("mp2")});
  ASSERT_TRUE(s.ok()) << s.status().toString();
  auto& store = **s;
  store.prepareWorkFiles();
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(store.putBytes("pfm", "o" + std::to_string(i), "x").ok());
  const auto mps = store.mountpaths();
  ASSERT_TRUE(someReady(mps[0]) && someReady(mps[1]));
  ASSERT_TRUE(store.setMountpathEnabled(mps[0], false).ok());
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(store.putBytes("pfm", "p" + std::to_string(i), "y").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(preparedCount(mps[0]), 0u);
  EXPECT_GT(preparedCount(mps[1]), 0u);
}

}  // namespace
}  // namespace ais::store
