// Store notes: durable per-object to-do records, one per kind and object, kept across restarts,
// found wherever placement put them, and carried off a mountpath that is detached.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::TempDir;

class NotesTest : public ::testing::Test {
 protected:
  void open(int mountpaths) {
    store_.reset();
    paths_.clear();
    for (int i = 0; i < mountpaths; ++i) paths_.push_back(tmp_.sub("mp" + std::to_string(i)));
    auto s = Store::open(paths_);
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
  }
  // "bucket/name=value" of every note of the kind, sorted.
  std::vector<std::string> of(std::string_view kind) {
    auto notes = store_->notes(kind);
    EXPECT_TRUE(notes.ok()) << notes.status().toString();
    std::vector<std::string> out;
    if (!notes.ok()) return out;
    for (const auto& n : *notes) out.push_back(n.bucket + "/" + n.name + "=" + n.value);
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  std::vector<std::string> paths_;
  std::unique_ptr<Store> store_;
};

TEST_F(NotesTest, PutReplacesDropRemovesKindsApart) {
  open(2);
  ASSERT_TRUE(store_->putNote("delete", "bkt", "x", "1").ok());
  ASSERT_TRUE(store_->putNote("delete", "bkt", "x", "2").ok());  // replaces
  ASSERT_TRUE(store_->putNote("delete", "bkt", "dir/y", "3").ok());
  ASSERT_TRUE(store_->putNote("handoff", "bkt", "x", "").ok());
  EXPECT_EQ(of("delete"), (std::vector<std::string>{"bkt/dir/y=3", "bkt/x=2"}));
  EXPECT_EQ(of("handoff"), (std::vector<std::string>{"bkt/x="}));
  ASSERT_TRUE(store_->dropNote("delete", "bkt", "x").ok());
  EXPECT_EQ(of("delete"), (std::vector<std::string>{"bkt/dir/y=3"}));
  EXPECT_EQ(of("handoff"), (std::vector<std::string>{"bkt/x="}));
  EXPECT_TRUE(store_->dropNote("delete", "bkt", "never").ok());  // nothing there: fine
}

TEST_F(NotesTest, NotAnObjectNorInTheListing) {
  open(1);
  ASSERT_TRUE(store_->putNote("delete", "bkt", "x", "1").ok());
  EXPECT_EQ(store_->head("bkt", "x").code(), Code::kObjectNotFound);
  auto listed = store_->list("bkt", "", "", 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  auto empty = store_->bucketEmpty("bkt");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
}

TEST_F(NotesTest, KeptAcrossRestart) {
  open(3);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->putNote("handoff", "bkt", "o" + std::to_string(i), "v").ok());
  }
  open(3);
  EXPECT_EQ(of("handoff").size(), 20u);
}

TEST_F(NotesTest, BadNamesRefused) {
  open(1);
  EXPECT_FALSE(store_->putNote("delete", "bkt", "../x", "").ok());
  EXPECT_FALSE(store_->putNote("delete", "", "x", "").ok());
}

TEST_F(NotesTest, DetachCarriesNotesOff) {
  open(2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->putNote("delete", "bkt", "o" + std::to_string(i), "v").ok());
  }
  ASSERT_TRUE(store_->setMountpathEnabled(paths_[1], false).ok());
  ASSERT_TRUE(store_->detachMountpath(paths_[1]).ok());
  EXPECT_EQ(of("delete").size(), 20u);  // every note now on mp0
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->dropNote("delete", "bkt", "o" + std::to_string(i)).ok());
  }
  EXPECT_TRUE(of("delete").empty());
}

}  // namespace
}  // namespace ais::store
