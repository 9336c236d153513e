// Store file helpers: makeDirs racing with removeEmptyParents (a PUT into a directory while a
// delete or move on another I/O worker prunes the same, momentarily empty, directories).
#include "node/store/fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "tests/unit/node/store/temp_dir.h"

namespace ais::store {
namespace {

TEST(MakeDirsTest, SurvivesParentsPrunedMeanwhile) {
  testing::TempDir tmp;
  const std::string top = tmp.path() + "/obj";
  const std::string leaf = top + "/a/b/c/d";
  std::atomic<bool> stop{false};
  // Prunes the empty chain as fast as it can, the way a delete of the last object does.
  std::thread pruner([&] {
    while (!stop) removeEmptyParents(leaf, top);
  });
  int failures = 0;
  std::string last;
  for (int i = 0; i < 20000; ++i) {
    Status st = makeDirs(leaf);
    if (!st.ok()) {
      ++failures;
      last = st.toString();
    }
  }
  stop = true;
  pruner.join();
  EXPECT_EQ(failures, 0) << last;
  struct stat st {};
  EXPECT_TRUE(makeDirs(leaf).ok());
  EXPECT_EQ(::stat(leaf.c_str(), &st), 0);
}

TEST(MakeDirsTest, FileInTheWayIsNotADirectory) {
  testing::TempDir tmp;
  const std::string file = tmp.path() + "/f";
  ASSERT_EQ(::close(::creat(file.c_str(), 0644)), 0);
  Status st = makeDirs(file + "/x");
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace ais::store
