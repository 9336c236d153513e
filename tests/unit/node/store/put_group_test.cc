// Store::putGroup: many objects committed together, each with its own outcome, exactly as
// durable and as checked as a single PUT.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <string>
#include <vector>

#include "node/store/store.h"
#include "temp_dir.h"
#include "xxh.h"

namespace ais::store {
namespace {

using testing::pattern;
using testing::TempDir;

using testing::xxh;

class PutGroupTest : public ::testing::Test {
 protected:
  void open(int mountpaths) {
    store_.reset();
    std::vector<std::string> paths;
    for (int i = 0; i < mountpaths; ++i) paths.push_back(tmp_.sub("mp" + std::to_string(i)));
    auto s = Store::open(paths);
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
  }
  std::string get(std::string_view name, std::string_view bucket = "bkt") {
    return testing::readObject(*store_, bucket, name);
  }
  size_t workFiles() { return testing::workFileCount(*store_); }
  Store::GroupPut item(std::string name, const std::string& data, bool withChecksum = true) {
    Store::GroupPut g;
    g.name = std::move(name);
    g.data = data;
    if (withChecksum) g.checksum = xxh(data);
    return g;
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(PutGroupTest, ManyObjectsOnSeveralMountpathsReadBackAndGetVersions) {
  open(3);
  std::vector<std::string> data;
  for (int i = 0; i < 300; ++i) data.push_back(pattern(i * 37 % 5000, i));
  for (uint64_t version = 1; version <= 2; ++version) {
    std::vector<Store::GroupPut> items;
    for (int i = 0; i < 300; ++i)
      items.push_back(item("d" + std::to_string(i % 7) + "/o" + std::to_string(i), data[i]));
    auto out = store_->putGroup("bkt", items);
    ASSERT_EQ(out.size(), 300u);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].status().toString();
      EXPECT_EQ(out[i]->version, version);
      EXPECT_EQ(out[i]->size, data[i].size());
      EXPECT_EQ(out[i]->checksum, xxh(data[i]));
    }
  }
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(get("d" + std::to_string(i % 7) + "/o" + std::to_string(i)), data[i]);
  auto all = store_->list("bkt", "", "", 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 300u);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(PutGroupTest, EachItemHasItsOwnOutcome) {
  open(2);
  std::string a = pattern(100, 1), b = pattern(200, 2), c = pattern(300, 3), d = pattern(50, 4);
  ASSERT_TRUE(store_->putBytes("bkt", "exists", "old").ok());
  std::vector<Store::GroupPut> items;
  items.push_back(item("good", a));
  items.push_back(item("../escape", b));  // refused name
  Store::GroupPut bad = item("damaged", c);
  *bad.checksum ^= 1;  // the sender's checksum disagrees with the bytes
  items.push_back(bad);
  Store::GroupPut absent = item("exists", d);
  absent.opts.ifAbsent = true;
  items.push_back(absent);
  items.push_back(item("no-checksum", d, false));
  auto out = store_->putGroup("bkt", items);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(out[0].ok());
  EXPECT_EQ(out[1].code(), Code::kBadObjectName);
  EXPECT_EQ(out[2].code(), Code::kChecksumMismatch);
  EXPECT_EQ(out[3].code(), Code::kObjectExists);
  EXPECT_TRUE(out[4].ok());
  EXPECT_EQ(get("good"), a);
  EXPECT_EQ(store_->head("bkt", "damaged").code(), Code::kObjectNotFound);
  EXPECT_EQ(get("exists"), "old");
  EXPECT_EQ(get("no-checksum"), d);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(PutGroupTest, ANameTwiceIsStoredTwiceInOrder) {
  open(1);
  std::string first = pattern(1000, 1), second = pattern(2000, 2);
  std::vector<Store::GroupPut> items{item("x", first), item("y", first), item("x", second)};
  auto out = store_->putGroup("bkt", items);
  ASSERT_TRUE(out[0].ok() && out[1].ok() && out[2].ok());
  EXPECT_EQ(out[0]->version, 1u);
  EXPECT_EQ(out[2]->version, 2u);
  EXPECT_EQ(get("x"), second);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(PutGroupTest, FileAndDirectoryOfOneNameLiveTogether) {
  open(1);
  std::string a = pattern(10, 1), b = pattern(20, 2);
  std::vector<Store::GroupPut> items{item("a/b", a), item("a/b/c", b)};
  auto out = store_->putGroup("bkt", items);
  ASSERT_TRUE(out[0].ok()) << out[0].status().toString();
  ASSERT_TRUE(out[1].ok()) << out[1].status().toString();
  EXPECT_EQ(get("a/b"), a);
  EXPECT_EQ(get("a/b/c"), b);
}

TEST_F(PutGroupTest, FsyncGroupsSurviveAReopen) {
  open(2);
  std::vector<std::string> data;
  std::vector<Store::GroupPut> items;
  for (int i = 0; i < 50; ++i) data.push_back(pattern(4096, i));
  for (int i = 0; i < 50; ++i) {
    items.push_back(item("s" + std::to_string(i), data[i]));
    items.back().opts.fsync = true;
  }
  auto out = store_->putGroup("bkt", items);
  for (auto& r : out) ASSERT_TRUE(r.ok()) << r.status().toString();
  open(2);  // a restart: reconciliation keeps what was committed
  for (int i = 0; i < 50; ++i) EXPECT_EQ(get("s" + std::to_string(i)), data[i]);
}

class FailOneFsync final : public DiskFaults {
 public:
  int beforeFsync(const std::string& path) override {
    return path.find(failing_) != std::string::npos ? EIO : 0;
  }
  std::string failing_;
};

TEST_F(PutGroupTest, AFailedFsyncFailsOnlyItsObject) {
  open(1);
  FailOneFsync faults;
  store_->setDiskFaults(&faults);
  // Work files are named by the name's hash: fail the one of "bad".
  std::string good = pattern(100, 1), bad = pattern(100, 2);
  std::vector<Store::GroupPut> items{item("good", good), item("bad", bad)};
  for (auto& it : items) it.opts.fsync = true;
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(XXH64("bad", 3, 0)));
  faults.failing_ = hash;
  auto out = store_->putGroup("bkt", items);
  store_->setDiskFaults(nullptr);
  EXPECT_TRUE(out[0].ok());
  EXPECT_EQ(out[1].code(), Code::kIoError);
  EXPECT_EQ(get("good"), good);
  EXPECT_EQ(store_->head("bkt", "bad").code(), Code::kObjectNotFound);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(PutGroupTest, MirroredBucketsGetEveryCopy) {
  open(3);
  store_->setBucketPolicies({{"mir", {.copies = 2}}});
  std::vector<std::string> data;
  std::vector<Store::GroupPut> items;
  for (int i = 0; i < 20; ++i) data.push_back(pattern(777, i));
  for (int i = 0; i < 20; ++i) items.push_back(item("m" + std::to_string(i), data[i]));
  auto out = store_->putGroup("mir", items);
  for (auto& r : out) ASSERT_TRUE(r.ok()) << r.status().toString();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(get("m" + std::to_string(i), "mir"), data[i]);
    EXPECT_EQ(store_->copyFqns("mir", "m" + std::to_string(i)).size(), 2u);
  }
}

}  // namespace
}  // namespace ais::store
