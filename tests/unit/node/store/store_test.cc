// Store behaviour through its public API on real temp directories.
#include "node/store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "common/clock.h"
#include "node/store/change_writer.h"
#include "node/store/fqn.h"
#include "temp_dir.h"
#include "xxh.h"

namespace ais::store {
namespace {

using testing::pattern;
using testing::TempDir;

using testing::xxh;

size_t countFiles(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().string().find(".ais.lomdb") == std::string::npos) ++n;
  }
  return n;
}

class StoreTest : public ::testing::Test {
 protected:
  void open(int mountpaths) {
    store_.reset();
    paths_.clear();
    for (int i = 0; i < mountpaths; ++i) paths_.push_back(tmp_.sub("mp" + std::to_string(i)));
    auto s = Store::open(paths_);
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
  }

  std::string get(std::string_view name, std::string_view bucket = "bkt") {
    auto r = store_->openObject(bucket, name);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().toString();
    if (!r.ok()) return "<error>";
    std::string out((*r)->lom().size, '\0');
    auto n = (*r)->read(out.data(), out.size(), 0);
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(*n, out.size());
    EXPECT_EQ(xxh(out), (*r)->lom().checksum) << name;
    return out;
  }

  void put(std::string_view name, std::string_view data, std::string_view bucket = "bkt") {
    auto lom = store_->putBytes(bucket, name, data);
    ASSERT_TRUE(lom.ok()) << name << ": " << lom.status().toString();
  }

  TempDir tmp_;
  std::vector<std::string> paths_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, PutGetByteExact) {
  open(1);
  for (size_t size : {size_t{0}, size_t{1}, size_t{1} << 20}) {
    std::string name = "obj-" + std::to_string(size);
    std::string data = pattern(size, size + 7);
    auto lom = store_->putBytes("bkt", name, data);
    ASSERT_TRUE(lom.ok()) << lom.status().toString();
    EXPECT_EQ(lom->size, size);
    EXPECT_EQ(lom->checksum, xxh(data));
    EXPECT_EQ(lom->checksumType, "xxhash64");
    EXPECT_EQ(lom->version, 1u);
    EXPECT_GT(lom->mtimeNs, 0);
    EXPECT_EQ(get(name), data);
    auto head = store_->head("bkt", name);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(*head, *lom);
  }
}

TEST_F(StoreTest, StreamingPutWithCustomMetadataAndExpectedChecksum) {
  open(2);
  std::string data = pattern(3 << 20, 5);
  auto w = store_->beginPut("bkt", "big", PutOptions{.fsync = true, .custom = {{"mode", "0600"}}});
  ASSERT_TRUE(w.ok());
  for (size_t off = 0; off < data.size(); off += 65536) {
    ASSERT_TRUE((*w)->write(data.data() + off, std::min<size_t>(65536, data.size() - off)).ok());
  }
  auto lom = (*w)->commit(xxh(data));
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->custom.at("mode"), "0600");
  EXPECT_EQ(get("big"), data);
  auto set = store_->setCustom("bkt", "big", {{"uid", "7"}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(store_->head("bkt", "big")->custom, (std::map<std::string, std::string>{{"uid", "7"}}));
  EXPECT_EQ(store_->head("bkt", "big")->version, 1u);
}

TEST_F(StoreTest, CountersAddAtomicallyAndARetryIsNotAppliedTwice) {
  open(1);
  put("inode", "bytes");
  CustomCounters up{.deltas = {{"n", 1}}, .missingAs = 1, .opId = "op-1"};
  auto lom = store_->setCustom("bkt", "inode", {{"c", "t1"}}, true, &up);
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->custom.at("n"), "2");  // absent counted as 1
  EXPECT_EQ(lom->custom.at("c"), "t1");
  // The same operation again (a retry whose first answer was lost): nothing changes.
  lom = store_->setCustom("bkt", "inode", {{"c", "t2"}}, true, &up);
  ASSERT_TRUE(lom.ok());
  EXPECT_EQ(lom->custom.at("n"), "2");
  EXPECT_EQ(lom->custom.at("c"), "t1");
  CustomCounters down{.deltas = {{"n", -3}, {"m", 5}}, .missingAs = 0, .opId = "op-2"};
  lom = store_->setCustom("bkt", "inode", {}, true, &down);
  ASSERT_TRUE(lom.ok());
  EXPECT_EQ(lom->custom.at("n"), "-1");
  EXPECT_EQ(lom->custom.at("m"), "5");
  // A value that is not a number counts as missingAs.
  ASSERT_TRUE(store_->setCustom("bkt", "inode", {{"n", "junk"}}, true).ok());
  CustomCounters again{.deltas = {{"n", 1}}, .missingAs = 10, .opId = "op-3"};
  lom = store_->setCustom("bkt", "inode", {}, true, &again);
  ASSERT_TRUE(lom.ok());
  EXPECT_EQ(lom->custom.at("n"), "11");
  EXPECT_EQ(store_->head("bkt", "inode")->version, 1u);
}

TEST_F(StoreTest, ChangesMoveWithEveryWriteOfTheBucketAndNothingElse) {
  open(2);
  auto token = [&](std::string_view bucket = "bkt", std::string_view dir = "") {
    auto c = store_->changes(bucket, dir);
    return std::pair{c.boot, c.fingerprint};
  };
  auto first = token();
  put("a", "bytes");
  put("b", pattern(300000, 1));  // (an object of several blocks: its sums are written too)
  auto afterPuts = token();
  EXPECT_NE(afterPuts, first);
  EXPECT_EQ(afterPuts.first, first.first);  // same process, same boot
  // Reads, heads and listings change nothing; another bucket's writes neither.
  get("a");
  ASSERT_TRUE(store_->head("bkt", "b").ok());
  ASSERT_TRUE(store_->list("bkt", "", "", 1000).ok());
  put("x", "other", "another");
  EXPECT_EQ(token(), afterPuts);
  // Every kind of change to the bucket does.
  std::vector<std::function<Status()>> changes = {
      [&] {
        return store_->setCustom("bkt", "a", {{"k", "v"}}, true).status();
      },
      [&] { return store_->rename("bkt", "a", "renamed"); },
      [&] { return store_->remove("bkt", "b"); },
      [&] { return store_->putBytes("bkt", "renamed", "over").status(); },
      [&] { return store_->destroyBucket("bkt"); },
  };
  auto before = token();
  for (size_t i = 0; i < changes.size(); ++i) {
    ASSERT_TRUE(changes[i]().ok()) << i;
    auto now = token();
    EXPECT_NE(now, before) << "change " << i;
    before = now;
  }
  // Directories count what is under them, at any depth, and nothing else.
  put("d1/sub/x", "x");
  put("d2/y", "y");
  auto d1 = token("bkt", "d1/"), d1sub = token("bkt", "d1/sub/"), d2 = token("bkt", "d2/");
  auto root = token();
  EXPECT_EQ(token("bkt", "d1/sub/name-prefix"), d1sub);  // (a prefix counts as its directory)
  put("d1/sub/deep/z", "z");
  EXPECT_NE(token("bkt", "d1/"), d1);
  EXPECT_NE(token("bkt", "d1/sub/"), d1sub);
  EXPECT_NE(token(), root);
  EXPECT_EQ(token("bkt", "d2/"), d2);
  put("d2/", "");  // a directory's marker is under it and under its parent
  EXPECT_NE(token("bkt", "d2/"), d2);
  // A restart starts counting again: a new boot.
  open(2);
  EXPECT_NE(token().first, first.first);
}

// An aisfs mount's own writes (ChangeWriterScope) leave the tokens it is answered as they were;
// anyone else's move them, whoever wrote last and however the writers take turns.
TEST_F(StoreTest, ChangesLeaveTheAskersOwnWritesOut) {
  open(2);
  constexpr uint64_t kMount = 0x1234567, kOther = 0x7654321;
  auto token = [&](uint64_t asker, std::string_view dir = "") {
    return store_->changes("bkt", dir, asker).fingerprint;
  };
  auto as = [&](uint64_t writer, const std::string& name, const std::string& body = "x") {
    ChangeWriterScope scope(writer);
    put(name, body);
  };
  put("d/seed", "s");
  auto mine = token(kMount, "d/"), theirs = token(kOther, "d/"), anyone = token(0, "d/");
  as(kMount, "d/a");
  as(kMount, "d/b");
  {
    ChangeWriterScope scope(kMount);
    ASSERT_TRUE(store_->setCustom("bkt", "d/a", {{"k", "v"}}, true).ok());
    ASSERT_TRUE(store_->rename("bkt", "d/b", "d/c").ok());
    ASSERT_TRUE(store_->remove("bkt", "d/c").ok());
  }
  EXPECT_EQ(token(kMount, "d/"), mine);  // its own: unchanged, for the directory and above
  EXPECT_NE(token(kOther, "d/"), theirs);
  EXPECT_NE(token(0, "d/"), anyone);
  EXPECT_NE(token(kOther), token(kMount));
  // Someone else writes: the mount sees it, and its own writes after that stay out again.
  as(kOther, "d/theirs");
  auto seen = token(kMount, "d/");
  EXPECT_NE(seen, mine);
  as(kMount, "d/again");
  EXPECT_EQ(token(kMount, "d/"), seen);
  // Turns: the other mount's token moves with the first mount's writes, and a write by anyone
  // (no scope: S3, the CLI) moves both.
  auto other = token(kOther, "d/");
  as(kMount, "d/more");
  EXPECT_NE(token(kOther, "d/"), other);
  seen = token(kMount, "d/");
  other = token(kOther, "d/");
  as(0, "d/anyone");
  EXPECT_NE(token(kMount, "d/"), seen);
  EXPECT_NE(token(kOther, "d/"), other);
  // A directory first written by the mount reads as never written, to it.
  auto fresh = token(kMount, "new/");
  as(kMount, "new/file");
  EXPECT_EQ(token(kMount, "new/"), fresh);
  EXPECT_NE(token(0, "new/"), fresh);
}

TEST_F(StoreTest, OverwriteBumpsVersion) {
  open(1);
  put("x", "one");
  put("x", "two!");
  auto lom = store_->putBytes("bkt", "x", "three");
  ASSERT_TRUE(lom.ok());
  EXPECT_EQ(lom->version, 3u);
  EXPECT_EQ(get("x"), "three");
}

// Rebalance transfers (ifAbsent with the moving copy's mtime): a newer copy is never overwritten,
// an older one (a target back from maintenance) is replaced.
TEST_F(StoreTest, TransferReplacesOnlyAnOlderCopy) {
  open(1);
  put("obj", "written while the other target was away");
  int64_t mtime = store_->head("bkt", "obj")->mtimeNs;
  PutOptions older;
  older.ifAbsent = true;
  older.mtimeNs = mtime - 1'000'000'000;
  EXPECT_EQ(store_->putBytes("bkt", "obj", "stale copy moving in", older).code(),
            Code::kObjectExists);
  EXPECT_EQ(get("obj"), "written while the other target was away");
  PutOptions newer = older;
  newer.mtimeNs = mtime + 1'000'000'000;
  ASSERT_TRUE(store_->putBytes("bkt", "obj", "newer copy moving in", newer).ok());
  EXPECT_EQ(get("obj"), "newer copy moving in");
  EXPECT_EQ(store_->head("bkt", "obj")->mtimeNs, newer.mtimeNs);
  PutOptions plain;  // a client's If-None-Match: * (no mtime): never replaces
  plain.ifAbsent = true;
  EXPECT_EQ(store_->putBytes("bkt", "obj", "x", plain).code(), Code::kObjectExists);
}

// A client's delete, then a move of a copy written before it (a handover or rebalance move that
// read its copy before the delete reached its sender): refused, the name stays deleted. A copy
// written after the delete moves in; the store's own removals (a copy moved away) note nothing;
// a conditional delete that finds another version notes nothing either.
TEST_F(StoreTest, MoveOlderThanClientDeleteIsRefused) {
  open(2);
  put("gone", "deleted by a client");
  int64_t written = store_->head("bkt", "gone")->mtimeNs;
  int64_t deleted = written + 1'000'000;
  ASSERT_TRUE(store_->remove("bkt", "gone", 0, deleted).ok());
  EXPECT_TRUE(store_->deletedSince("bkt", "gone", written));
  PutOptions late;
  late.ifAbsent = true;
  late.mtimeNs = written;
  EXPECT_EQ(store_->putBytes("bkt", "gone", "handed over late", late).code(), Code::kObjectExists);
  EXPECT_EQ(store_->head("bkt", "gone").code(), Code::kObjectNotFound);
  // Noted even where no copy was (the owner of a degraded PUT held elsewhere).
  EXPECT_EQ(store_->remove("bkt", "never-here", 0, deleted).code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->putBytes("bkt", "never-here", "x", late).code(), Code::kObjectExists);
  PutOptions after = late;
  after.mtimeNs = deleted + 1;
  ASSERT_TRUE(store_->putBytes("bkt", "gone", "written after the delete", after).ok());
  EXPECT_EQ(get("gone"), "written after the delete");
  // A client's PUT (no mtime) is never refused by a delete.
  ASSERT_TRUE(store_->putBytes("bkt", "never-here", "client").ok());

  put("moved", "moved away");
  ASSERT_TRUE(store_->remove("bkt", "moved").ok());
  EXPECT_FALSE(store_->deletedSince("bkt", "moved", 1));
  put("cond", "v1");
  EXPECT_EQ(store_->remove("bkt", "cond", 7, unixNowNs()).code(), Code::kVersionChanged);
  EXPECT_FALSE(store_->deletedSince("bkt", "cond", 1));
  // A destroyed bucket's deletes are forgotten with it.
  ASSERT_TRUE(store_->destroyBucket("bkt").ok());
  EXPECT_FALSE(store_->deletedSince("bkt", "gone", written));
}

// A copy moved away is removed only if it is still the copy that was sent: a write that came in
// meanwhile stays (with mirrored copies), the same bytes written again included.
TEST_F(StoreTest, RemoveIfSameKeepsAWriteThatCameMeanwhile) {
  open(2);
  store_->setBucketPolicies({{"bkt", {.copies = 2}}});
  put("moving", "sent to the owner");
  Lom sent = *store_->head("bkt", "moving");
  put("moving", "sent to the owner");  // (same bytes, a new version)
  EXPECT_EQ(store_->removeIfSame("bkt", "moving", sent).code(), Code::kVersionChanged);
  EXPECT_EQ(get("moving"), "sent to the owner");
  Lom now = *store_->head("bkt", "moving");
  ASSERT_TRUE(store_->removeIfSame("bkt", "moving", now).ok());
  EXPECT_EQ(store_->head("bkt", "moving").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->removeIfSame("bkt", "moving", now).code(), Code::kObjectNotFound);
}

// S3 If-Match: a write or delete conditioned on a version does nothing once another version is
// there (the check and the change under one name lock); mirrored copies included.
TEST_F(StoreTest, ConditionalWriteAndRemoveNeedTheirVersion) {
  open(2);
  put("c", "one");  // version 1
  PutOptions onStale;
  onStale.ifVersion = 2;
  EXPECT_EQ(store_->putBytes("bkt", "c", "two", onStale).code(), Code::kVersionChanged);
  EXPECT_EQ(get("c"), "one");
  PutOptions onCurrent;
  onCurrent.ifVersion = 1;
  ASSERT_TRUE(store_->putBytes("bkt", "c", "two", onCurrent).ok());
  EXPECT_EQ(get("c"), "two");
  EXPECT_EQ(store_->remove("bkt", "c", 1).code(), Code::kVersionChanged);
  EXPECT_EQ(get("c"), "two");
  ASSERT_TRUE(store_->remove("bkt", "c", 2).ok());
  EXPECT_EQ(store_->head("bkt", "c").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->remove("bkt", "c", 2).code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->putBytes("bkt", "c", "x", onCurrent).code(), Code::kVersionChanged);
  EXPECT_EQ(store_->head("bkt", "c").code(), Code::kObjectNotFound);
}

TEST_F(StoreTest, ChecksumMismatchStoresNothing) {
  open(1);
  put("keep", "old bytes");
  auto w = store_->beginPut("bkt", "keep");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("new bytes", 9).ok());
  auto r = (*w)->commit(xxh("something else"));
  EXPECT_EQ(r.code(), Code::kChecksumMismatch);
  EXPECT_EQ(get("keep"), "old bytes");
  EXPECT_EQ(store_->head("bkt", "keep")->version, 1u);

  auto w2 = store_->beginPut("bkt", "fresh");
  ASSERT_TRUE((*w2)->write("abc", 3).ok());
  EXPECT_EQ((*w2)->commit(1).code(), Code::kChecksumMismatch);
  EXPECT_EQ(store_->head("bkt", "fresh").code(), Code::kObjectNotFound);
  EXPECT_EQ(countFiles(workDir(paths_[0], "bkt")), 0u);
}

TEST_F(StoreTest, AbandonedWriterLeavesNothing) {
  open(1);
  {
    auto w = store_->beginPut("bkt", "ghost");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write("partial", 7).ok());
    EXPECT_EQ(countFiles(paths_[0]), 1u);  // the work file
  }
  EXPECT_EQ(countFiles(paths_[0]), 0u);
  EXPECT_EQ(store_->openObject("bkt", "ghost").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->head("bkt", "ghost").code(), Code::kObjectNotFound);
}

TEST_F(StoreTest, RangeReadsAtEdges) {
  open(1);
  std::string data = pattern(10000, 3);
  put("r", data);
  auto r = store_->openObject("bkt", "r");
  ASSERT_TRUE(r.ok());
  EXPECT_GE((*r)->fd(), 0);
  char buf[100];
  auto n = (*r)->read(buf, 100, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), data.substr(0, 100));
  n = (*r)->read(buf, 100, 9950);
  EXPECT_EQ(*n, 50u);
  EXPECT_EQ(std::string(buf, *n), data.substr(9950));
  n = (*r)->read(buf, 100, 9999);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(buf[0], data[9999]);
  EXPECT_EQ(*(*r)->read(buf, 100, 10000), 0u);
  EXPECT_EQ(*(*r)->read(buf, 100, 1 << 30), 0u);
  EXPECT_EQ(*(*r)->read(buf, 0, 5), 0u);
}

TEST_F(StoreTest, ReaderKeepsItsBytesAcrossOverwrite) {
  open(1);
  put("v", "version-one");
  auto r = store_->openObject("bkt", "v");
  ASSERT_TRUE(r.ok());
  put("v", "version-two-longer");
  std::string buf((*r)->lom().size, '\0');
  ASSERT_EQ(*(*r)->read(buf.data(), buf.size(), 0), buf.size());
  EXPECT_EQ(buf, "version-one");
  EXPECT_EQ(get("v"), "version-two-longer");
}

TEST_F(StoreTest, RemoveDeletesLomAndFile) {
  open(1);
  put("d1/d2/obj", "bytes");
  auto path = store_->fqn("bkt", "d1/d2/obj");
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(std::filesystem::exists(*path));
  ASSERT_TRUE(store_->remove("bkt", "d1/d2/obj").ok());
  EXPECT_FALSE(std::filesystem::exists(*path));
  EXPECT_FALSE(std::filesystem::exists(objectDir(paths_[0], "bkt") + "/d1"));  // pruned
  EXPECT_EQ(store_->head("bkt", "d1/d2/obj").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->remove("bkt", "d1/d2/obj").code(), Code::kObjectNotFound);
}

TEST_F(StoreTest, RenameSameAndAcrossMountpaths) {
  open(3);
  // Find one destination on the same mountpath as "src" and one on another.
  std::string sameTo, crossTo;
  for (int i = 0; sameTo.empty() || crossTo.empty(); ++i) {
    std::string n = "dst/" + std::to_string(i);
    (store_->mountpathOf("bkt", n) == store_->mountpathOf("bkt", "src") ? sameTo : crossTo) = n;
  }
  std::string data = pattern(200000, 11);
  auto put1 = store_->putBytes("bkt", "src", data, PutOptions{.custom = {{"k", "v"}}});
  ASSERT_TRUE(put1.ok());
  ASSERT_TRUE(store_->rename("bkt", "src", sameTo).ok());
  EXPECT_EQ(store_->head("bkt", "src").code(), Code::kObjectNotFound);
  EXPECT_EQ(get(sameTo), data);
  EXPECT_EQ(store_->head("bkt", sameTo)->custom.at("k"), "v");

  ASSERT_TRUE(store_->rename("bkt", sameTo, crossTo).ok());
  EXPECT_EQ(store_->head("bkt", sameTo).code(), Code::kObjectNotFound);
  EXPECT_EQ(get(crossTo), data);
  EXPECT_EQ(store_->head("bkt", crossTo)->custom.at("k"), "v");
  EXPECT_EQ(store_->fqn("bkt", crossTo)->rfind(store_->mountpathOf("bkt", crossTo), 0), 0u);

  // Overwrites an existing destination, bumping its version.
  put("other", "other bytes");
  ASSERT_TRUE(store_->rename("bkt", "other", crossTo).ok());
  EXPECT_EQ(get(crossTo), "other bytes");
  EXPECT_EQ(store_->head("bkt", crossTo)->version, 2u);
  EXPECT_EQ(store_->rename("bkt", "missing", "x").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->rename("bkt", crossTo, "../evil").code(), Code::kBadObjectName);

  size_t files = 0;
  for (const auto& p : paths_) files += countFiles(p);
  EXPECT_EQ(files, 1u);
}

TEST_F(StoreTest, PlacementFollowsHrwOverMountpaths) {
  open(3);
  std::map<std::string, int> perMountpath;
  for (int i = 0; i < 300; ++i) {
    std::string n = "p/" + std::to_string(i);
    put(n, "x");
    auto path = store_->fqn("bkt", n);
    ASSERT_TRUE(path.ok());
    const std::string& mp = store_->mountpathOf("bkt", n);
    EXPECT_EQ(path->rfind(mp + "/@ais/bkt/%ob/", 0), 0u) << *path;
    ++perMountpath[mp];
  }
  EXPECT_EQ(perMountpath.size(), 3u);
  for (auto& [mp, n] : perMountpath) EXPECT_GT(n, 60) << mp;
}

TEST_F(StoreTest, ListIsSortedExactAndPaged) {
  open(3);
  std::vector<std::string> names;
  for (int i = 0; i < 2500; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s/obj-%05d", i % 2 ? "odd" : "even", i);
    names.push_back(buf);
    put(buf, std::to_string(i));
  }
  put("other-bucket-obj", "x", "bkt2");
  std::sort(names.begin(), names.end());

  std::vector<std::string> listed;
  std::string after;
  int pages = 0;
  for (;;) {
    auto page = store_->list("bkt", "", after, 1000);
    ASSERT_TRUE(page.ok());
    ++pages;
    for (const auto& lom : *page) listed.push_back(lom.name);
    if (page->size() < 1000) break;
    after = page->back().name;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, names);

  std::vector<std::string> odd;
  for (const auto& n : names) {
    if (n.rfind("odd/", 0) == 0) odd.push_back(n);
  }
  auto p1 = store_->list("bkt", "odd/", "", 1000);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->size(), 1000u);
  auto p2 = store_->list("bkt", "odd/", p1->back().name, 1000);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->size(), 250u);
  EXPECT_EQ(p1->front().name, odd.front());
  EXPECT_EQ(p2->back().name, odd.back());
  // startAfter before the prefix, and strictly-after semantics.
  auto p3 = store_->list("bkt", "odd/", "a", 1);
  EXPECT_EQ(p3->at(0).name, odd[0]);
  auto p4 = store_->list("bkt", "odd/", odd[0], 2);
  EXPECT_EQ(p4->at(0).name, odd[1]);
  EXPECT_EQ(p4->at(1).name, odd[2]);
  EXPECT_TRUE(store_->list("bkt", "none/", "", 10)->empty());
  EXPECT_TRUE(store_->list("bkt", "", "", 0)->empty());
  EXPECT_EQ(store_->list("bkt2", "", "", 10)->size(), 1u);
  EXPECT_EQ(store_->list("BAD", "", "", 10).code(), Code::kBadBucketName);
  EXPECT_GE(store_->objectCount(), 1u);
}

TEST_F(StoreTest, ObjectAndDirectoryWithTheSameNameCoexist) {
  open(1);
  put("a/b", "file a/b");
  put("a/b/c", "file a/b/c");  // a/b is a file: stored by hash
  put("x/y/z", "file x/y/z");
  put("x/y", "file x/y");  // x/y is a directory: stored by hash
  EXPECT_EQ(get("a/b"), "file a/b");
  EXPECT_EQ(get("a/b/c"), "file a/b/c");
  EXPECT_EQ(get("x/y"), "file x/y");
  EXPECT_EQ(get("x/y/z"), "file x/y/z");
  EXPECT_TRUE(store_->head("bkt", "a/b/c")->hashedPath);
  EXPECT_TRUE(store_->head("bkt", "x/y")->hashedPath);
  EXPECT_FALSE(store_->head("bkt", "a/b")->hashedPath);
  // Once the directory is gone, an overwrite goes back to the direct path and drops the hashed
  // file.
  ASSERT_TRUE(store_->remove("bkt", "x/y/z").ok());
  put("x/y", "file x/y v2");
  EXPECT_FALSE(store_->head("bkt", "x/y")->hashedPath);
  EXPECT_EQ(get("x/y"), "file x/y v2");
  EXPECT_EQ(countFiles(paths_[0]), 3u);
  auto all = store_->list("bkt", "", "", 100);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at(0).name, "a/b");
  EXPECT_EQ(all->at(1).name, "a/b/c");
  EXPECT_EQ(all->at(2).name, "x/y");
}

TEST_F(StoreTest, HashedNamesAreReadableAndListedByRealName) {
  open(2);
  const std::string odd[] = {"a//b",
                             "dir/",
                             "./x",
                             "a/./b",
                             std::string(300, 'L'),
                             "deep/" + std::string(256, 'm') + "/leaf"};
  for (const auto& n : odd) put(n, "content of " + n);
  for (const auto& n : odd) {
    EXPECT_EQ(get(n), "content of " + n);
    EXPECT_TRUE(store_->head("bkt", n)->hashedPath);
    auto path = store_->fqn("bkt", n);
    EXPECT_NE(path->find("/%hs/"), std::string::npos);
  }
  auto all = store_->list("bkt", "", "", 100);
  std::vector<std::string> listed;
  for (const auto& l : *all) listed.push_back(l.name);
  std::vector<std::string> expected(std::begin(odd), std::end(odd));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);
  ASSERT_TRUE(store_->remove("bkt", "a//b").ok());
  EXPECT_EQ(store_->head("bkt", "a//b").code(), Code::kObjectNotFound);
}

TEST_F(StoreTest, HostileNamesAreRejected) {
  open(1);
  EXPECT_EQ(store_->putBytes("bkt", "../escape", "x").code(), Code::kBadObjectName);
  EXPECT_EQ(store_->putBytes("bkt", "/abs", "x").code(), Code::kBadObjectName);
  EXPECT_EQ(store_->putBytes("bkt", std::string("a\0b", 3), "x").code(), Code::kBadObjectName);
  EXPECT_EQ(store_->putBytes("Bad_Bucket", "x", "x").code(), Code::kBadBucketName);
  EXPECT_EQ(store_->openObject("bkt", "a/../../x").code(), Code::kBadObjectName);
  EXPECT_FALSE(std::filesystem::exists(tmp_.sub("escape")));
}

TEST_F(StoreTest, DestroyBucketRemovesEverything) {
  open(3);
  for (int i = 0; i < 100; ++i) put("o" + std::to_string(i), "data");
  put("a//b", "hashed");
  put("keep", "data", "bkt2");
  EXPECT_FALSE(*store_->bucketEmpty("bkt"));
  ASSERT_TRUE(store_->destroyBucket("bkt").ok());
  EXPECT_TRUE(*store_->bucketEmpty("bkt"));
  EXPECT_TRUE(store_->list("bkt", "", "", 10)->empty());
  EXPECT_EQ(store_->head("bkt", "o1").code(), Code::kObjectNotFound);
  for (const auto& p : paths_) EXPECT_FALSE(std::filesystem::exists(bucketDir(p, "bkt")));
  EXPECT_EQ(get("keep", "bkt2"), "data");
  put("o1", "again");
  EXPECT_EQ(get("o1"), "again");
  EXPECT_EQ(store_->head("bkt", "o1")->version, 1u);
  EXPECT_TRUE(store_->destroyBucket("nobucket").ok());
}

TEST_F(StoreTest, CapacityDedupesFilesystems) {
  open(3);
  auto cap = store_->capacity();
  ASSERT_TRUE(cap.ok());
  struct statvfs vfs;
  ASSERT_EQ(statvfs(paths_[0].c_str(), &vfs), 0);
  EXPECT_EQ(cap->totalBytes, static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize);
  EXPECT_GT(cap->availBytes, 0u);
}

TEST_F(StoreTest, ReopenKeepsObjects) {
  open(2);
  for (int i = 0; i < 50; ++i) put("k" + std::to_string(i), pattern(i * 100, i));
  open(2);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(get("k" + std::to_string(i)), pattern(i * 100, i));
  EXPECT_EQ(Store::open({paths_[0], paths_[0] + "/"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(Store::open({}).code(), Code::kInvalidArgument);
}

TEST_F(StoreTest, ConcurrentPutsOfOneNameKeepLomAndBytesTogether) {
  open(2);
  constexpr int kThreads = 4, kRounds = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::string data = pattern(1000 + t * 37 + r, t * 1000 + r);
        auto lom = store_->putBytes("bkt", "hot", data);
        EXPECT_TRUE(lom.ok());
        auto rd = store_->openObject("bkt", "hot");
        if (!rd.ok()) continue;
        std::string buf((*rd)->lom().size, '\0');
        EXPECT_EQ(*(*rd)->read(buf.data(), buf.size(), 0), buf.size());
        EXPECT_EQ(xxh(buf), (*rd)->lom().checksum);
        if (r % 10 == 0) (void)store_->rename("bkt", "hot", "hot2/" + std::to_string(t));
        if (r % 15 == 0) (void)store_->remove("bkt", "hot2/" + std::to_string(t));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_->head("bkt", "hot")->version >= 1, true);
  get("hot");
  open(2);  // reconciliation finds nothing to repair: every LOM matches its file
  auto all = store_->list("bkt", "", "", 100);
  ASSERT_TRUE(all.ok());
  for (const auto& lom : *all) get(lom.name);
}

}  // namespace
}  // namespace ais::store
