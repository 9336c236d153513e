// S3 object versioning in the store (versions.cc): writes keep the version they replace, deletes
// leave delete markers, a delete by id brings the previous version back, suspended buckets keep
// one "null" version, and everything survives a reopen of the store.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "meta/names.h"
#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::TempDir;

constexpr const char* kBucket = "ver";

std::string idOf(const Lom& lom) {
  auto it = lom.custom.find(std::string(kVersionIdKey));
  return it == lom.custom.end() ? "null" : it->second;
}

class VersionsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(Versioning::kEnabled); }
  void open(Versioning v, uint32_t copies = 1) {
    store_.reset();
    auto s = Store::open({tmp_.sub("mp1"), tmp_.sub("mp2"), tmp_.sub("mp3")});
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
    setVersioning(v, copies);
  }
  void setVersioning(Versioning v, uint32_t copies = 1) {
    store_->setBucketPolicies({{kBucket, {.copies = copies, .versioning = v}}});
  }
  std::string read(std::string_view bucket, std::string_view name) {
    auto r = store_->openObject(bucket, name);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    if (!r.ok()) return "";
    std::string out((*r)->lom().size, '\0');
    auto n = (*r)->read(out.data(), out.size(), 0);
    EXPECT_TRUE(n.ok());
    return out;
  }
  Lom put(std::string_view name, std::string_view data) {
    auto lom = store_->putBytes(kBucket, name, data);
    EXPECT_TRUE(lom.ok()) << lom.status().toString();
    return lom.ok() ? *lom : Lom{};
  }
  // The kept versions of a key, by id.
  std::vector<Lom> kept(std::string_view key) {
    auto all = store_->list(meta::versionsBucket(kBucket), meta::versionName(key, ""), "", 1000);
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<Lom>{};
  }
  std::string keptBytes(std::string_view key, std::string_view id) {
    return read(meta::versionsBucket(kBucket), meta::versionName(key, id));
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(VersionsTest, OverwritesKeepTheVersionsTheyReplace) {
  setVersioning(Versioning::kOff);
  EXPECT_EQ(idOf(put("k", "v0")), "null");  // written before versioning
  setVersioning(Versioning::kEnabled);
  Lom v1 = put("k", "v1");
  Lom v2 = put("k", "v2");
  ASSERT_TRUE(meta::validVersionId(idOf(v1)));
  ASSERT_NE(idOf(v1), "null");
  ASSERT_NE(idOf(v1), idOf(v2));
  EXPECT_EQ(read(kBucket, "k"), "v2");
  ASSERT_EQ(kept("k").size(), 2u);
  EXPECT_EQ(keptBytes("k", "null"), "v0");
  EXPECT_EQ(keptBytes("k", idOf(v1)), "v1");
  // A kept version keeps its own time and id.
  auto head = store_->head(meta::versionsBucket(kBucket), meta::versionName("k", idOf(v1)));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->mtimeNs, v1.mtimeNs);
  EXPECT_EQ(idOf(*head), idOf(v1));
  // Versions live with their key: same mountpath.
  EXPECT_EQ(store_->mountpathIndex(meta::versionsBucket(kBucket), meta::versionName("k", "null")),
            store_->mountpathIndex(kBucket, "k"));
}

TEST_F(VersionsTest, DeleteLeavesAMarkerAndDeletingItBringsTheObjectBack) {
  Lom v1 = put("k", "v1");
  auto removed = store_->removeVersioned(kBucket, "k");
  ASSERT_TRUE(removed.ok()) << removed.status().toString();
  EXPECT_TRUE(removed->deleteMarker);
  EXPECT_EQ(store_->head(kBucket, "k").code(), Code::kObjectNotFound);
  EXPECT_EQ(keptBytes("k", idOf(v1)), "v1");
  auto marker =
      store_->head(meta::versionsBucket(kBucket), meta::versionName("k", removed->versionId));
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(marker->custom.count(std::string(kDeleteMarkerKey)), 1u);
  EXPECT_EQ(marker->size, 0u);

  auto undo = store_->removeVersion(kBucket, "k", removed->versionId);
  ASSERT_TRUE(undo.ok()) << undo.status().toString();
  EXPECT_TRUE(undo->deleteMarker);
  EXPECT_EQ(read(kBucket, "k"), "v1");
  auto back = store_->head(kBucket, "k");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(idOf(*back), idOf(v1));
  EXPECT_TRUE(kept("k").empty());  // it is the object again, not kept twice
}

TEST_F(VersionsTest, DeletingTheLatestByIdMakesThePreviousCurrent) {
  Lom v1 = put("k", "v1");
  Lom v2 = put("k", "v2");
  Lom v3 = put("k", "v3");
  ASSERT_TRUE(store_->removeVersion(kBucket, "k", idOf(v3)).ok());
  EXPECT_EQ(read(kBucket, "k"), "v2");
  ASSERT_TRUE(store_->removeVersion(kBucket, "k", idOf(v1)).ok());  // an old one: only it
  EXPECT_EQ(read(kBucket, "k"), "v2");
  EXPECT_TRUE(kept("k").empty());
  EXPECT_EQ(store_->removeVersion(kBucket, "k", idOf(v1)).code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->removeVersion(kBucket, "k", "bogus").code(), Code::kInvalidArgument);
  ASSERT_TRUE(store_->removeVersion(kBucket, "k", idOf(v2)).ok());
  EXPECT_EQ(store_->head(kBucket, "k").code(), Code::kObjectNotFound);
}

TEST_F(VersionsTest, SuspendedWritesReplaceTheOneNullVersion) {
  Lom v1 = put("k", "v1");
  setVersioning(Versioning::kSuspended);
  EXPECT_EQ(idOf(put("k", "n1")), "null");  // v1 kept
  EXPECT_EQ(idOf(put("k", "n2")), "null");  // n1 replaced, not kept
  auto versions = kept("k");
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(idOf(versions[0]), idOf(v1));
  // A suspended delete: a "null" marker; v1 stays, the current null version is gone.
  auto removed = store_->removeVersioned(kBucket, "k");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->versionId, "null");
  EXPECT_EQ(kept("k").size(), 2u);
  // Enabled again: a write keeps nothing of a marker but puts a version on top.
  setVersioning(Versioning::kEnabled);
  put("k", "v3");
  EXPECT_EQ(kept("k").size(), 2u);
  EXPECT_EQ(read(kBucket, "k"), "v3");
}

TEST_F(VersionsTest, MirroredVersionsSurviveAReopen) {
  open(Versioning::kEnabled, 2);
  Lom v1 = put("dir/k", "one");
  put("dir/k", "two");
  auto removed = store_->removeVersioned(kBucket, "dir/k");
  ASSERT_TRUE(removed.ok());
  open(Versioning::kEnabled, 2);
  EXPECT_EQ(store_->head(kBucket, "dir/k").code(), Code::kObjectNotFound);
  EXPECT_EQ(keptBytes("dir/k", idOf(v1)), "one");
  EXPECT_EQ(kept("dir/k").size(), 3u);  // one, two, the marker
  ASSERT_TRUE(store_->removeVersion(kBucket, "dir/k", removed->versionId).ok());
  EXPECT_EQ(read(kBucket, "dir/k"), "two");
}

// A rebalance moves a key's versions in from its old target (mtimeNs set); meanwhile the key
// was deleted or written here. The moved version lands among the key's versions by its time.
Result<Lom> moveIn(Store& store, std::string_view name, std::string_view data, int64_t mtimeNs,
                   const std::string& id) {
  PutOptions opts;
  opts.ifAbsent = true;
  opts.mtimeNs = mtimeNs;
  opts.custom[std::string(kVersionIdKey)] = id;
  return store.putBytes(kBucket, name, data, opts);
}

TEST_F(VersionsTest, AVersionMovedInUnderANewerDeleteStaysDeleted) {
  auto removed = store_->removeVersioned(kBucket, "k");  // the key is still on its old target
  ASSERT_TRUE(removed.ok());
  std::string id = meta::newVersionId();
  ASSERT_TRUE(moveIn(*store_, "k", "old", 1000, id).ok());              // (written long before)
  EXPECT_EQ(store_->head(kBucket, "k").code(), Code::kObjectNotFound);  // not resurrected
  EXPECT_EQ(keptBytes("k", id), "old");
  EXPECT_EQ(kept("k").size(), 2u);  // the moved version and the marker
}

TEST_F(VersionsTest, AVersionMovedInUnderANewerWriteIsKept) {
  Lom now = put("k", "new");
  std::string id = meta::newVersionId();
  ASSERT_TRUE(moveIn(*store_, "k", "old", now.mtimeNs - 1000, id).ok());
  EXPECT_EQ(read(kBucket, "k"), "new");
  EXPECT_EQ(keptBytes("k", id), "old");
  // The same version moved in again (a repeated pass): nothing changes.
  ASSERT_TRUE(moveIn(*store_, "k", "old", now.mtimeNs - 1000, id).ok());
  EXPECT_EQ(kept("k").size(), 1u);
}

TEST_F(VersionsTest, ANewerVersionMovedInKeepsTheCurrentOne) {
  Lom here = put("k", "here");
  std::string id = meta::newVersionId();
  ASSERT_TRUE(moveIn(*store_, "k", "moved", here.mtimeNs + 1000, id).ok());
  EXPECT_EQ(read(kBucket, "k"), "moved");
  EXPECT_EQ(keptBytes("k", idOf(here)), "here");
}

TEST_F(VersionsTest, KeysHoldingTheSeparatorAreRefused) {
  std::string key = "a";
  key += meta::kVersionSeparator;
  key += "b";
  EXPECT_EQ(store_->putBytes(kBucket, key, "x").code(), Code::kBadObjectName);
  setVersioning(Versioning::kOff);
  EXPECT_TRUE(store_->putBytes(kBucket, key, "x").ok());  // fine where nothing is versioned
}

}  // namespace
}  // namespace ais::store
