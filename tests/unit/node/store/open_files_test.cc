// Object files kept open between reads (OpenFiles): reused only while they are still the files
// their LOMs describe, forgotten whenever the store changes a name, a bucket or a mountpath.
#include "node/store/open_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::flipByte;
using testing::pattern;
using testing::TempDir;

std::shared_ptr<const OpenFile> openFile(const std::string& path, OpenFiles::Identity* id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st;
  ::fstat(fd, &st);
  *id = OpenFiles::identityOf(st);
  return std::make_shared<OpenFile>(fd);
}

// A file of one byte in tmp, named `name`.bin.
std::string oneByteFile(TempDir& tmp, const std::string& name) {
  std::string path = tmp.sub(name) + ".bin";
  std::ofstream(path) << "x";
  return path;
}

TEST(OpenFiles, LeastRecentlyUsedGoesAndForgettingCloses) {
  TempDir tmp;
  OpenFiles files(2, std::chrono::hours(1));
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) paths.push_back(oneByteFile(tmp, "f" + std::to_string(i)));
  OpenFiles::Identity id;
  files.keep("b", "0", paths[0], openFile(paths[0], &id), id);
  files.keep("b", "1", paths[1], openFile(paths[1], &id), id);
  ASSERT_TRUE(files.find("b", "0", 0, 0).has_value());  // now the most recent
  files.keep("c", "2", paths[2], openFile(paths[2], &id), id);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_FALSE(files.find("b", "1", 0, 0).has_value());  // the least recent went
  auto kept = files.find("b", "0", 0, 0);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->path, paths[0]);  // where it was opened (the store compares it with the LOM's)
  EXPECT_FALSE(kept->described.has_value());
  // A reader's share outlives the cache's.
  auto held = files.find("c", "2", 0, 0)->file;
  files.forgetBucket("c");
  EXPECT_FALSE(files.find("c", "2", 0, 0).has_value());
  char c;
  EXPECT_EQ(::pread(held->fd(), &c, 1, 0), 1);
  files.forget("b", "0");
  EXPECT_EQ(files.size(), 0u);
  files.keep("b", "0", paths[0], openFile(paths[0], &id), id);
  files.forgetAll();
  EXPECT_EQ(files.size(), 0u);
}

TEST(OpenFiles, DescriptionOnlyForItsMountpathAndLomDbWrites) {
  TempDir tmp;
  std::string path = oneByteFile(tmp, "f");
  OpenFiles files(8, std::chrono::hours(1));
  OpenFiles::Identity id;
  Lom lom;
  lom.name = "o";
  lom.size = 1;
  files.keep("b", "o", path, openFile(path, &id), id, OpenFiles::Described{2, 7, lom, {}});
  auto now = files.find("b", "o", 2, 7);
  ASSERT_TRUE(now.has_value() && now->described.has_value());
  EXPECT_EQ(now->described->lom, lom);
  auto written = files.find("b", "o", 2, 8);  // the LomDb took a write since
  ASSERT_TRUE(written.has_value());           // (the file may still serve)
  EXPECT_FALSE(written->described.has_value());
  EXPECT_FALSE(files.find("b", "o", 1, 7)->described.has_value());  // another mountpath's
}

TEST(OpenFiles, IdleFilesExpire) {
  TempDir tmp;
  std::string path = oneByteFile(tmp, "f");
  OpenFiles files(8, std::chrono::milliseconds(0));
  OpenFiles::Identity id;
  files.keep("b", "o", path, openFile(path, &id), id);
  ::usleep(2000);
  files.expire();
  EXPECT_EQ(files.size(), 0u);
}

TEST(OpenFiles, StillSameSeesUnlinkTruncateAndReplace) {
  TempDir tmp;
  std::string path = tmp.sub("f") + ".bin", other = tmp.sub("g") + ".bin";
  std::ofstream(path) << "hello";
  std::ofstream(other) << "world";
  OpenFiles::Identity id;
  auto f = openFile(path, &id);
  struct stat st;
  ASSERT_EQ(::fstat(f->fd(), &st), 0);
  EXPECT_TRUE(OpenFiles::stillSame(id, st, 5));
  EXPECT_FALSE(OpenFiles::stillSame(id, st, 6));        // not the LOM's size
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);  // replaced: the kept one is unlinked
  ASSERT_EQ(::fstat(f->fd(), &st), 0);
  EXPECT_FALSE(OpenFiles::stillSame(id, st, 5));
}

class KeptOpenTest : public testing::OneMountpathStoreTest {
 protected:
  Result<std::string> get(std::string_view name) { return whole(name, /*cached=*/false); }
  Result<std::string> getCached(std::string_view name) { return whole(name, /*cached=*/true); }
  // The whole object through openObject and read, or openCached and readCached.
  Result<std::string> whole(std::string_view name, bool cached) {
    auto r = cached ? store_->openCached("bkt", name) : store_->openObject("bkt", name);
    if (!r.ok()) return r.status();
    std::string out((*r)->lom().size, '\0');
    auto n = cached ? (*r)->readCached(out.data(), out.size(), 0)
                    : (*r)->read(out.data(), out.size(), 0);
    if (!n.ok()) return n.status();
    return out;
  }
};

TEST_F(KeptOpenTest, ReusedWhileTheSameFileAndNeverServingWhatChangedBehindTheStore) {
  std::string a = pattern(100000, 1), b = pattern(100000, 2);
  ASSERT_TRUE(store_->putBytes("bkt", "o", a).ok());
  EXPECT_EQ(*get("o"), a);
  EXPECT_EQ(store_->openFilesKept(), 1u);
  EXPECT_EQ(*getCached("o"), a);
  EXPECT_EQ(store_->openFilesKept(), 1u);

  // Overwritten through the store: the new bytes, never the kept file's.
  ASSERT_TRUE(store_->putBytes("bkt", "o", b).ok());
  EXPECT_EQ(store_->openFilesKept(), 0u);
  EXPECT_EQ(*getCached("o"), b);
  EXPECT_EQ(*get("o"), b);

  // A flipped byte in the kept file: the same inode, so verification still refuses it.
  std::string path = *store_->fqn("bkt", "o");
  flipByte(path, 70000);
  EXPECT_EQ(getCached("o").code(), Code::kWouldBlock);
  EXPECT_EQ(get("o").code(), Code::kObjectCorrupted);

  // Deleted by hand: missing (kObjectCorrupted), not served from the kept descriptor.
  ASSERT_TRUE(store_->putBytes("bkt", "o", a).ok());
  EXPECT_EQ(*get("o"), a);
  std::filesystem::remove(path);
  EXPECT_EQ(getCached("o").code(), Code::kWouldBlock);
  EXPECT_EQ(get("o").code(), Code::kObjectCorrupted);

  // Truncated by hand.
  ASSERT_TRUE(store_->putBytes("bkt", "o", a).ok());
  EXPECT_EQ(*get("o"), a);
  ASSERT_EQ(::truncate(path.c_str(), 1000), 0);
  EXPECT_EQ(get("o").code(), Code::kObjectCorrupted);

  // Moved away by hand (still linked elsewhere, same size and bytes): missing here.
  ASSERT_TRUE(store_->putBytes("bkt", "o", a).ok());
  EXPECT_EQ(*get("o"), a);
  std::string aside = tmp_.sub("aside") + ".bin";
  ::usleep(20000);  // (a rename's new ctime must differ from the open's)
  ASSERT_EQ(::rename(path.c_str(), aside.c_str()), 0);
  EXPECT_EQ(get("o").code(), Code::kObjectCorrupted);

  // Replaced by hand with other bytes of the same size: those fail their checksums.
  ASSERT_TRUE(store_->putBytes("bkt", "o", a).ok());
  EXPECT_EQ(*get("o"), a);
  std::string other = tmp_.sub("other") + ".bin";
  std::ofstream(other) << b;
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  EXPECT_EQ(get("o").code(), Code::kObjectCorrupted);
}

TEST_F(KeptOpenTest, ForgottenWhenTheStoreRemovesRenamesOrDestroys) {
  std::string a = pattern(5000, 3);
  for (const char* n : {"x", "y", "z"}) ASSERT_TRUE(store_->putBytes("bkt", n, a).ok());
  for (const char* n : {"x", "y", "z"}) ASSERT_EQ(*get(n), a);
  ASSERT_TRUE(store_->putBytes("other", "w", a).ok());
  auto w = store_->openObject("other", "w");
  ASSERT_TRUE(w.ok());
  w->reset();
  EXPECT_EQ(store_->openFilesKept(), 4u);

  ASSERT_TRUE(store_->remove("bkt", "x").ok());
  EXPECT_EQ(store_->openFilesKept(), 3u);
  EXPECT_EQ(get("x").code(), Code::kObjectNotFound);
  ASSERT_TRUE(store_->rename("bkt", "y", "y2").ok());
  EXPECT_EQ(store_->openFilesKept(), 2u);
  EXPECT_EQ(get("y").code(), Code::kObjectNotFound);
  EXPECT_EQ(*get("y2"), a);
  ASSERT_TRUE(store_->destroyBucket("bkt").ok());
  EXPECT_EQ(store_->openFilesKept(), 1u);  // other's
  EXPECT_EQ(get("z").code(), Code::kObjectNotFound);
  ASSERT_TRUE(store_->setMountpathEnabled(mp_, true).ok());  // (no change: nothing forgotten)
  store_->expireOpenFiles();                                 // (used just now: kept)
  EXPECT_EQ(store_->openFilesKept(), 1u);
}

TEST_F(KeptOpenTest, KeptLomIsUsedOnlyWhileItsLomDbTookNoWrite) {
  std::string a = pattern(200000, 4);
  ASSERT_TRUE(store_->putBytes("bkt", "m", a).ok());
  EXPECT_EQ(*get("m"), a);
  EXPECT_EQ(*getCached("m"), a);  // (from the kept file, LOM and block sums)
  // A metadata change (no file change, nothing forgotten): the LomDb's write shows it.
  ASSERT_TRUE(store_->setCustom("bkt", "m", {{"k", "v1"}}, true).ok());
  auto r = store_->openCached("bkt", "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->lom().custom.at("k"), "v1");
  r->reset();
  ASSERT_TRUE(store_->setCustom("bkt", "m", {{"k", "v2"}}, true).ok());
  r = store_->openObject("bkt", "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->lom().custom.at("k"), "v2");
  r->reset();
  // Another object's write: still the right LOM and bytes.
  ASSERT_TRUE(store_->putBytes("bkt", "other", "x").ok());
  EXPECT_EQ(*getCached("m"), a);
  EXPECT_EQ((*store_->openCached("bkt", "m"))->lom().custom.at("k"), "v2");
  // Flipped behind the store's back while described: still refused.
  flipByte(*store_->fqn("bkt", "m"), 150000);
  EXPECT_EQ(get("m").code(), Code::kObjectCorrupted);
}

}  // namespace
}  // namespace ais::store
