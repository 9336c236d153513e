// n-way mirroring within one target: copies on distinct mountpaths, reads that survive a lost or
// damaged copy, repair (syncCopies) after a wiped mountpath, and resilver after an added one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <vector>

#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::flipByte;
using testing::pattern;
using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override { open(3); }
  void open(int mountpaths) {
    store_.reset();
    std::vector<std::string> mps;
    for (int i = 1; i <= mountpaths; ++i) mps.push_back(tmp_.sub("mp" + std::to_string(i)));
    auto s = Store::open(mps);
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
    store_->setBucketPolicies({{"mir", {.copies = 2}}});
    store_->setRepairHook([this](const std::string& b, const std::string& n) {
      std::lock_guard lock(mu_);
      repairs_.insert(b + "/" + n);
    });
  }
  Result<std::string> readAll(std::string_view bucket, std::string_view name,
                              bool* degraded = nullptr) {
    auto r = store_->openObject(bucket, name);
    if (!r.ok()) return r.status();
    std::string out((*r)->lom().size, '\0');
    auto n = (*r)->read(out.data(), out.size(), 0);
    if (!n.ok()) return n.status();
    if (degraded) *degraded = (*r)->degraded();
    return out;
  }
  size_t repairsRequested() {
    std::lock_guard lock(mu_);
    return repairs_.size();
  }
  // The mountpath directory a path lies on.
  std::string mountpathOfFile(const std::string& path) {
    for (const auto& mp : store_->mountpaths()) {
      if (path.rfind(mp + "/", 0) == 0) return mp;
    }
    return "";
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
  std::mutex mu_;
  std::set<std::string> repairs_;
};

TEST_F(MirrorTest, PutWritesEveryCopyOnDistinctMountpaths) {
  std::string data = pattern(300000, 7);
  auto lom = store_->putBytes("mir", "a/obj", data);
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  auto copies = store_->copyFqns("mir", "a/obj");
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies[0], *store_->fqn("mir", "a/obj"));  // the main copy first
  EXPECT_NE(mountpathOfFile(copies[0]), mountpathOfFile(copies[1]));
  EXPECT_EQ(slurp(copies[0]), data);
  EXPECT_EQ(slurp(copies[1]), data);
  // Listed once; an unmirrored bucket keeps one copy.
  auto list = store_->list("mir", "", "", 100);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).version, 1u);
  ASSERT_TRUE(store_->putBytes("plain", "obj", data).ok());
  EXPECT_EQ(store_->copyFqns("plain", "obj").size(), 1u);
}

TEST_F(MirrorTest, OverwriteAndDeleteKeepCopiesInStep) {
  ASSERT_TRUE(store_->putBytes("mir", "o", pattern(1000, 1)).ok());
  std::string v2 = pattern(200000, 2);
  auto lom = store_->putBytes("mir", "o", v2);
  ASSERT_TRUE(lom.ok());
  EXPECT_EQ(lom->version, 2u);
  for (const auto& path : store_->copyFqns("mir", "o")) EXPECT_EQ(slurp(path), v2) << path;
  auto copies = store_->copyFqns("mir", "o");
  ASSERT_TRUE(store_->remove("mir", "o").ok());
  EXPECT_TRUE(store_->copyFqns("mir", "o").empty());
  for (const auto& path : copies) EXPECT_FALSE(std::filesystem::exists(path)) << path;
  EXPECT_EQ(store_->head("mir", "o").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->remove("mir", "o").code(), Code::kObjectNotFound);
}

TEST_F(MirrorTest, ReadsSurviveAMissingTruncatedOrFlippedMainCopy) {
  std::string data = pattern(500000, 3);
  for (const char* name : {"gone", "short", "flipped"}) {
    ASSERT_TRUE(store_->putBytes("mir", name, data).ok());
  }
  std::filesystem::remove(*store_->fqn("mir", "gone"));
  std::filesystem::resize_file(*store_->fqn("mir", "short"), 1000);
  flipByte(*store_->fqn("mir", "flipped"), 400000);  // found only when that block is read
  for (const char* name : {"gone", "short", "flipped"}) {
    bool degraded = false;
    auto got = readAll("mir", name, &degraded);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().toString();
    EXPECT_TRUE(*got == data) << name;
    EXPECT_TRUE(degraded) << name;
  }
  EXPECT_EQ(repairsRequested(), 3u);
  for (const char* name : {"gone", "short", "flipped"}) {
    auto r = store_->syncCopies("mir", name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().toString();
    EXPECT_EQ(r->copied, 1u) << name;
    EXPECT_EQ(slurp(*store_->fqn("mir", name)), data) << name;
    bool degraded = true;
    ASSERT_TRUE(readAll("mir", name, &degraded).ok());
    EXPECT_FALSE(degraded) << name;
  }
}

TEST_F(MirrorTest, ABadCopyIsRewrittenAndNeverServed) {
  std::string data = pattern(200000, 4);
  ASSERT_TRUE(store_->putBytes("mir", "o", data).ok());
  auto copies = store_->copyFqns("mir", "o");
  ASSERT_EQ(copies.size(), 2u);
  flipByte(copies[1], 10);
  auto r = store_->syncCopies("mir", "o");  // what a scrub or make-n-copies does
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->copied, 1u);
  EXPECT_EQ(slurp(copies[1]), data);
  // Both copies bad: a clear error, not bytes.
  flipByte(copies[0], 10);
  flipByte(copies[1], 10);
  EXPECT_EQ(readAll("mir", "o").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->syncCopies("mir", "o").code(), Code::kObjectCorrupted);
}

TEST_F(MirrorTest, AnOlderCopyIsNeverServedForANewerVersion) {
  ASSERT_TRUE(store_->putBytes("mir", "o", pattern(100000, 1)).ok());
  auto copies = store_->copyFqns("mir", "o");
  ASSERT_EQ(copies.size(), 2u);
  store_->setBucketPolicies({});  // mirroring off: a PUT drops the second copy
  std::string v2 = pattern(100000, 2);
  ASSERT_TRUE(store_->putBytes("mir", "o", v2).ok());
  EXPECT_EQ(store_->copyFqns("mir", "o").size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(copies[1]));
  std::filesystem::remove(*store_->fqn("mir", "o"));
  EXPECT_EQ(readAll("mir", "o").code(), Code::kObjectCorrupted);  // never the old bytes
}

TEST_F(MirrorTest, FewerCopiesRemoveTheExtraOnes) {
  store_->setBucketPolicies({{"mir", {.copies = 3}}});
  ASSERT_TRUE(store_->putBytes("mir", "o", pattern(5000)).ok());
  EXPECT_EQ(store_->copyFqns("mir", "o").size(), 3u);
  store_->setBucketPolicies({{"mir", {.copies = 2}}});
  auto r = store_->syncCopies("mir", "o");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed, 1u);
  EXPECT_EQ(store_->copyFqns("mir", "o").size(), 2u);
  store_->setBucketPolicies(
      {{"mir", {.copies = 4}}});  // more copies than mountpaths: refused, clearly
  auto w = store_->beginPut("mir", "x");
  EXPECT_EQ(w.code(), Code::kInvalidArgument);
  EXPECT_NE(w.status().message().find("mountpath"), std::string::npos);
}

TEST_F(MirrorTest, RenameTakesTheCopiesAlong) {
  std::string data = pattern(70000, 9);
  ASSERT_TRUE(store_->putBytes("mir", "from", data).ok());
  ASSERT_TRUE(store_->putBytes("mir", "to", pattern(10, 1)).ok());
  ASSERT_TRUE(store_->rename("mir", "from", "to").ok());
  EXPECT_TRUE(store_->copyFqns("mir", "from").empty());
  auto copies = store_->copyFqns("mir", "to");
  ASSERT_EQ(copies.size(), 2u);
  for (const auto& path : copies) EXPECT_EQ(slurp(path), data) << path;
}

TEST_F(MirrorTest, AWipedMountpathLosesNothingAndIsRefilled) {
  constexpr int kObjects = 60;
  for (int i = 0; i < kObjects; ++i) {
    ASSERT_TRUE(
        store_->putBytes("mir", "obj" + std::to_string(i), pattern(1000 + i * 997, i)).ok());
  }
  std::string wiped = store_->mountpaths().at(1);
  store_.reset();
  std::filesystem::remove_all(wiped);
  open(3);
  EXPECT_TRUE(store_->needsResilver());
  for (int i = 0; i < kObjects; ++i) {
    std::string name = "obj" + std::to_string(i);
    auto got = readAll("mir", name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().toString();
    EXPECT_TRUE(*got == pattern(1000 + i * 997, i)) << name;
    ASSERT_TRUE(store_->head("mir", name).ok()) << name;
  }
  auto list = store_->list("mir", "", "", 1000);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), size_t{kObjects});
  uint32_t copied = 0;
  for (int i = 0; i < kObjects; ++i) {
    auto r = store_->syncCopies("mir", "obj" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().toString();
    copied += r->copied;
  }
  EXPECT_GT(copied, 0u);
  for (int i = 0; i < kObjects; ++i) {
    auto copies = store_->copyFqns("mir", "obj" + std::to_string(i));
    ASSERT_EQ(copies.size(), 2u) << i;
    for (const auto& path : copies) EXPECT_EQ(slurp(path), pattern(1000 + i * 997, i)) << path;
  }
}

TEST_F(MirrorTest, AnAddedMountpathIsResilvered) {
  open(2);
  std::filesystem::remove_all(tmp_.sub("mp3"));  // SetUp's third mountpath: never there
  EXPECT_FALSE(store_->needsResilver());
  constexpr int kObjects = 60;
  for (int i = 0; i < kObjects; ++i) {
    ASSERT_TRUE(store_->putBytes("plain", "o" + std::to_string(i), pattern(100 + i, i)).ok());
  }
  open(3);  // a third mountpath: about a third of the objects now belong there
  EXPECT_TRUE(store_->needsResilver());
  int moved = 0;
  for (int i = 0; i < kObjects; ++i) {
    std::string name = "o" + std::to_string(i);
    auto got = readAll("plain", name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().toString();
    EXPECT_TRUE(*got == pattern(100 + i, i));
    auto r = store_->syncCopies("plain", name);
    ASSERT_TRUE(r.ok());
    moved += r->copied;
    auto copies = store_->copyFqns("plain", name);
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(copies[0], *store_->fqn("plain", name));
  }
  EXPECT_GT(moved, kObjects / 6);
  EXPECT_LT(moved, kObjects * 2 / 3);
}

TEST_F(MirrorTest, ADisabledMountpathIsEmptiedAndStaysDisabled) {
  constexpr int kObjects = 60;
  auto data = [](int i) { return pattern(100 + i * 31, i); };
  for (int i = 0; i < kObjects; ++i) {
    ASSERT_TRUE(store_->putBytes("plain", "o" + std::to_string(i), data(i)).ok());
    ASSERT_TRUE(store_->putBytes("mir", "m" + std::to_string(i), data(i)).ok());
  }
  std::string off = store_->mountpaths().at(1);
  ASSERT_TRUE(*store_->setMountpathEnabled(off, false));
  EXPECT_FALSE(*store_->setMountpathEnabled(off, false));  // already
  auto onDisabled = [&] {
    size_t n = 0;
    for (int i = 0; i < kObjects; ++i) {
      for (const char* b : {"plain", "mir"}) {
        std::string name = (b[0] == 'p' ? "o" : "m") + std::to_string(i);
        for (const auto& path : store_->copyFqns(b, name)) n += mountpathOfFile(path) == off;
      }
    }
    return n;
  };
  EXPECT_GT(onDisabled(), 0u);
  for (int i = 0; i < kObjects; ++i) {  // readable before the resilver
    auto got = readAll("plain", "o" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << i << ": " << got.status().toString();
    EXPECT_TRUE(*got == data(i));
    ASSERT_TRUE(store_->putBytes("plain", "new" + std::to_string(i), data(i)).ok());
  }
  for (int i = 0; i < kObjects; ++i) {  // the resilver
    ASSERT_TRUE(store_->syncCopies("plain", "o" + std::to_string(i)).ok());
    ASSERT_TRUE(store_->syncCopies("mir", "m" + std::to_string(i)).ok());
    EXPECT_EQ(store_->copyFqns("mir", "m" + std::to_string(i)).size(), 2u);
  }
  EXPECT_EQ(onDisabled(), 0u);
  for (int i = 0; i < kObjects; ++i) {
    EXPECT_NE(mountpathOfFile(*store_->fqn("plain", "new" + std::to_string(i))), off);
  }
  // Kept across a restart; the last enabled mountpath stays; copies beyond the enabled ones are
  // refused.
  open(3);
  auto states = store_->mountpathStates();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_FALSE(states[1].enabled);
  auto below = store_->setMountpathEnabled(store_->mountpaths().at(0), false);
  EXPECT_EQ(below.code(), Code::kInvalidArgument);  // ais://mir needs its 2 copies
  EXPECT_NE(below.status().message().find("ais://mir"), std::string::npos);
  store_->setBucketPolicies({});
  ASSERT_TRUE(*store_->setMountpathEnabled(store_->mountpaths().at(0), false));
  EXPECT_EQ(store_->setMountpathEnabled(store_->mountpaths().at(2), false).code(),
            Code::kInvalidArgument);  // the last enabled one
  store_->setBucketPolicies({{"mir", {.copies = 2}}});
  EXPECT_EQ(store_->beginPut("mir", "x").code(), Code::kInvalidArgument);
  ASSERT_TRUE(*store_->setMountpathEnabled(store_->mountpaths().at(0), true));
  ASSERT_TRUE(*store_->setMountpathEnabled(off, true));
  EXPECT_EQ(store_->setMountpathEnabled("/nope", true).code(), Code::kInvalidArgument);
  for (int i = 0; i < kObjects; ++i) {
    auto got = readAll("plain", "o" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << i;
    EXPECT_TRUE(*got == data(i));
  }
}

}  // namespace
}  // namespace ais::store
