// Object and bucket operations against a real 1-proxy + 3-target cluster on 127.0.0.1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "common/clock.h"
#include "meta/hrw.h"
#include "tests/integration/cluster_fixture.h"

namespace ais::testing {
namespace {

namespace fs = std::filesystem;

class ClusterTest : public ClusterFixture {
 protected:
  // A fresh bucket per test keeps tests independent.
  std::string newBucket(const std::string& base) {
    std::string b = base + "-" + std::to_string(counter_++);
    Status st = client_->createBucket(b);
    EXPECT_TRUE(st.ok()) << st.toString();
    return b;
  }

  static inline int counter_ = 0;
};

TEST_F(ClusterTest, ShowsEveryNodeWithThePrimary) {
  auto smap = client_->smap(true);
  ASSERT_TRUE(smap.ok());
  EXPECT_EQ(smap->nodes.size(), 4u);
  EXPECT_EQ(smap->primaryId, "p1");
  EXPECT_EQ(smap->activeTargets().size(), 3u);
  auto status = client_->clusterStatus();
  ASSERT_TRUE(status.ok());
  for (const auto& ns : *status) {
    EXPECT_TRUE(ns.reachable) << ns.node.id;
    EXPECT_EQ(ns.smapVersion, smap->version) << ns.node.id;
    if (ns.node.isTarget()) {
      EXPECT_GT(ns.capacityBytes, 0u);
    }
  }
}

TEST_F(ClusterTest, PutsAndReadsBackThousandObjectsOnTheirOwners) {
  std::string bucket = newBucket("thousand");
  std::mt19937_64 gen(42);
  std::vector<std::pair<std::string, size_t>> objs;
  for (int i = 0; i < 1000; ++i) {
    size_t size;
    if (i == 0)
      size = 0;
    else if (i == 1)
      size = 8 << 20;
    else if (i % 20 == 0)
      size = gen() % ((8 << 20) + 1);  // some large: streamed in chunks
    else
      size = gen() % (64 << 10);
    objs.emplace_back("dir" + std::to_string(i % 7) + "/obj-" + std::to_string(i), size);
  }
  for (size_t i = 0; i < objs.size(); ++i) {
    auto info = client_->put(bucket, objs[i].first, patternBytes(i, objs[i].second));
    ASSERT_TRUE(info.ok()) << objs[i].first << ": " << info.status().toString();
    EXPECT_EQ(info->size, objs[i].second);
  }
  auto smap = client_->smap();
  ASSERT_TRUE(smap.ok());
  for (size_t i = 0; i < objs.size(); ++i) {
    auto data = client_->get(bucket, objs[i].first);
    ASSERT_TRUE(data.ok()) << objs[i].first << ": " << data.status().toString();
    ASSERT_EQ(*data, patternBytes(i, objs[i].second)) << objs[i].first;
    // The file lies on a mountpath of the HRW owner, and nowhere else.
    const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname(bucket, objs[i].first));
    ASSERT_NE(owner, nullptr);
    // ... and on the owner's HRW-selected mountpath.
    const auto& ownerMps = cluster_->node(owner->id).mountpaths;
    std::vector<uint64_t> mpDigests;
    for (const auto& mp : ownerMps) mpDigests.push_back(meta::xxhash64(mp));
    const std::string& ownerMp =
        ownerMps[meta::hrwSelect(meta::xxhash64(meta::uname(bucket, objs[i].first)), mpDigests)];
    int found = 0;
    for (const auto& id : cluster_->targetIds()) {
      for (const auto& mp : cluster_->node(id).mountpaths) {
        if (fs::exists(mp + "/@ais/" + bucket + "/%ob/" + objs[i].first)) {
          EXPECT_EQ(id, owner->id) << objs[i].first;
          EXPECT_EQ(mp, ownerMp) << objs[i].first;
          ++found;
        }
      }
    }
    EXPECT_EQ(found, 1) << objs[i].first;
  }
}

TEST_F(ClusterTest, ListsExactlyAndSortedInPages) {
  std::string bucket = newBucket("list");
  std::set<std::string> names;
  for (int i = 0; i < 2500; ++i) {
    std::string name = "l/" + std::to_string(i * 7919 % 100000);
    names.insert(name);
    auto r = client_->put(bucket, name, name);
    ASSERT_TRUE(r.ok()) << r.status().toString();
  }
  ASSERT_TRUE(client_->put(bucket, "other/x", "x").ok());
  std::vector<std::string> listed;
  ListOptions opts;
  opts.prefix = "l/";
  opts.pageSize = 1000;
  int pages = 0;
  for (;;) {
    auto page = client_->list(bucket, opts);
    ASSERT_TRUE(page.ok()) << page.status().toString();
    ++pages;
    EXPECT_LE(page->entries.size(), 1000u);
    for (auto& e : page->entries) {
      listed.push_back(e.name);
      EXPECT_EQ(e.size, e.name.size());
    }
    if (page->continuationToken.empty()) break;
    opts.continuationToken = page->continuationToken;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), names);
  EXPECT_EQ(listed.size(), names.size());
}

TEST_F(ClusterTest, RangedReadsAtTheEdges) {
  std::string bucket = newBucket("range");
  for (size_t size : {size_t(1000), size_t(3 << 20)}) {  // inline and streamed
    std::string data = patternBytes(size, size);
    std::string name = "r" + std::to_string(size);
    ASSERT_TRUE(client_->put(bucket, name, data).ok());
    auto first = client_->get(bucket, name, ByteRange{0, 1});
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(*first, data.substr(0, 1));
    auto last = client_->get(bucket, name, ByteRange{size - 1, 1});
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(*last, data.substr(size - 1));
    auto tail = client_->get(bucket, name, ByteRange{size / 3, std::nullopt});
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(*tail, data.substr(size / 3));
    auto mid = client_->get(bucket, name, ByteRange{17, size / 2});
    ASSERT_TRUE(mid.ok());
    EXPECT_EQ(*mid, data.substr(17, size / 2));
    auto clipped = client_->get(bucket, name, ByteRange{size - 10, 100});
    ASSERT_TRUE(clipped.ok());
    EXPECT_EQ(*clipped, data.substr(size - 10));
    auto past = client_->get(bucket, name, ByteRange{size, 1});
    EXPECT_EQ(past.code(), Code::kRangeNotSatisfiable);
    auto farPast = client_->get(bucket, name, ByteRange{size + 100, std::nullopt});
    EXPECT_EQ(farPast.code(), Code::kRangeNotSatisfiable);
  }
}

TEST_F(ClusterTest, EveryPutPathOrdersWritesByTheirIssueTime) {
  // A given issue time is the version's mtime on every PUT path (one message, batch, a client
  // stream, a caller's stream), and a write issued before the current version does not replace
  // it.
  std::string bucket = newBucket("issued");
  const int64_t base = unixNowNs() - int64_t{60} * 1'000'000'000;
  auto stamped = [](int64_t ns) {
    PutOptions o;
    o.issuedNs = ns;
    return o;
  };
  const std::string small = patternBytes(1000, 1), big = patternBytes(3 << 20, 2);
  ASSERT_TRUE(client_->put(bucket, "one", small, stamped(base)).ok());
  ASSERT_TRUE(client_->put(bucket, "streamed", big, stamped(base + 1)).ok());
  auto batch = client_->putBatch(bucket, {BatchPut{"batched", small, stamped(base + 2)}});
  ASSERT_TRUE(batch.at(0).ok()) << batch[0].status().toString();
  auto h = client_->beginPut(bucket, "handle", stamped(base + 3));
  ASSERT_TRUE(h.ok()) << h.status().toString();
  ASSERT_TRUE((*h)->write(small).ok());
  ASSERT_TRUE((*h)->commit().ok());
  int64_t expected = base;
  for (const char* name : {"one", "streamed", "batched", "handle"}) {
    auto info = client_->head(bucket, name);
    ASSERT_TRUE(info.ok()) << name;
    EXPECT_EQ(info->mtimeNs, expected++) << name;
  }
  // Issued before the current version (a late commit): answered, not current.
  ASSERT_TRUE(client_->put(bucket, "one", patternBytes(1000, 3), stamped(base - 1)).ok());
  auto h2 = client_->beginPut(bucket, "handle", stamped(base - 1));
  ASSERT_TRUE(h2.ok());
  ASSERT_TRUE((*h2)->write(patternBytes(1000, 4)).ok());
  ASSERT_TRUE((*h2)->commit().ok());
  EXPECT_EQ(*client_->get(bucket, "one"), small);
  EXPECT_EQ(*client_->get(bucket, "handle"), small);
  // Unstamped writes are sent now: they replace.
  ASSERT_TRUE(client_->put(bucket, "one", big).ok());
  EXPECT_EQ(*client_->get(bucket, "one"), big);
}

TEST_F(ClusterTest, RenamesWithinTheBucketAcrossTargets) {
  std::string bucket = newBucket("rename");
  auto smap = client_->smap();
  ASSERT_TRUE(smap.ok());
  int crossTarget = 0;
  for (int i = 0; i < 20; ++i) {
    std::string from = "from-" + std::to_string(i);
    std::string to = "moved/to-" + std::to_string(i);
    std::string data = patternBytes(i, 1000 + i * 100000);
    ASSERT_TRUE(client_->put(bucket, from, data, PutOptions{{{"k", "v"}}}).ok());
    crossTarget += meta::ownerTarget(*smap, meta::uname(bucket, from))->id !=
                   meta::ownerTarget(*smap, meta::uname(bucket, to))->id;
    Status st = client_->rename(bucket, from, to);
    ASSERT_TRUE(st.ok()) << st.toString();
    EXPECT_EQ(client_->head(bucket, from).code(), Code::kObjectNotFound);
    auto got = client_->get(bucket, to);
    ASSERT_TRUE(got.ok()) << got.status().toString();
    EXPECT_EQ(*got, data);
    auto head = client_->head(bucket, to);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->custom.at("k"), "v");
  }
  EXPECT_GT(crossTarget, 0);  // both paths (local and target-to-target) were taken
  EXPECT_EQ(client_->rename(bucket, "missing", "x").code(), Code::kObjectNotFound);
}

// A rename can change metadata in the same step (aisfs's ctime): merged ("" deletes a key) on
// both paths, bytes and mtime kept, the moved object's attributes returned.
TEST_F(ClusterTest, RenamesWithMetadataInOneStep) {
  std::string bucket = newBucket("rename-with");
  auto smap = client_->smap();
  ASSERT_TRUE(smap.ok());
  int crossTarget = 0;
  for (int i = 0; i < 12; ++i) {
    std::string from = "f" + std::to_string(i), to = "d/t" + std::to_string(i);
    std::string data = patternBytes(i, 5000 + i * 70000);
    ASSERT_TRUE(client_->put(bucket, from, data, PutOptions{{{"keep", "1"}, {"drop", "x"}}}).ok());
    int64_t mtime = client_->head(bucket, from)->mtimeNs;
    crossTarget += meta::ownerTarget(*smap, meta::uname(bucket, from))->id !=
                   meta::ownerTarget(*smap, meta::uname(bucket, to))->id;
    auto moved = client_->renameWith(bucket, from, to, {{"ctime", "42"}, {"drop", ""}});
    ASSERT_TRUE(moved.ok()) << moved.status().toString();
    EXPECT_EQ(moved->name, to);
    EXPECT_EQ(moved->size, data.size());
    EXPECT_EQ(moved->mtimeNs, mtime);
    std::map<std::string, std::string> want{{"keep", "1"}, {"ctime", "42"}};
    EXPECT_EQ(moved->custom, want);
    auto head = client_->head(bucket, to);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->custom, want);
    EXPECT_EQ(*client_->get(bucket, to), data);
    EXPECT_EQ(client_->head(bucket, from).code(), Code::kObjectNotFound);
  }
  EXPECT_GT(crossTarget, 0);
  EXPECT_LT(crossTarget, 12);
  EXPECT_EQ(client_->renameWith(bucket, "missing", "x", {{"a", "b"}}).code(),
            Code::kObjectNotFound);
}

TEST_F(ClusterTest, DeletesAndReportsTypedErrors) {
  std::string bucket = newBucket("delete");
  ASSERT_TRUE(client_->put(bucket, "a", "hello").ok());
  auto head = client_->head(bucket, "a");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(head->checksum, XXH64("hello", 5, 0));
  EXPECT_EQ(head->version, 1u);
  auto again = client_->put(bucket, "a", "hello, again");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2u);
  ASSERT_TRUE(client_->remove(bucket, "a").ok());
  EXPECT_EQ(client_->get(bucket, "a").code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->remove(bucket, "a").code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->get("no-such-bucket", "a").code(), Code::kBucketNotFound);
  EXPECT_EQ(client_->put("no-such-bucket", "a", "x").code(), Code::kBucketNotFound);
  EXPECT_EQ(client_->put(bucket, "../x", "x").code(), Code::kBadObjectName);
  EXPECT_EQ(client_->put(bucket, std::string("a\0b", 3), "x").code(), Code::kBadObjectName);
  EXPECT_EQ(client_->put(bucket, std::string(4096, 'n'), "x").code(), Code::kBadObjectName);
  EXPECT_EQ(client_->createBucket("Bad_Name").code(), Code::kBadBucketName);
  EXPECT_EQ(client_->createBucket(bucket).code(), Code::kBucketExists);
}

TEST_F(ClusterTest, StoresOddButLegalNames) {
  std::string bucket = newBucket("odd");
  std::vector<std::string> names = {"a/b",
                                    "a/b/c",
                                    "dir/",
                                    "x//y",
                                    "./dot",
                                    std::string(300, 'l'),
                                    "ünï/cödé ✓",
                                    std::string(1024, 'm'),
                                    std::string(4095, 'm')};
  for (size_t i = 0; i < names.size(); ++i) {
    auto r = client_->put(bucket, names[i], "v" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << names[i] << ": " << r.status().toString();
  }
  for (size_t i = 0; i < names.size(); ++i) {
    auto r = client_->get(bucket, names[i]);
    ASSERT_TRUE(r.ok()) << names[i];
    EXPECT_EQ(*r, "v" + std::to_string(i));
  }
  auto page = client_->list(bucket);
  ASSERT_TRUE(page.ok());
  std::set<std::string> listed;
  for (auto& e : page->entries) listed.insert(e.name);
  EXPECT_EQ(listed, std::set<std::string>(names.begin(), names.end()));
}

TEST_F(ClusterTest, DestroysOnlyEmptyBucketsUnlessForced) {
  std::string bucket = newBucket("destroy");
  ASSERT_TRUE(client_->put(bucket, "keep", "me").ok());
  EXPECT_EQ(client_->destroyBucket(bucket).code(), Code::kBucketNotEmpty);
  EXPECT_TRUE(client_->get(bucket, "keep").ok());
  ASSERT_TRUE(client_->remove(bucket, "keep").ok());
  EXPECT_TRUE(client_->destroyBucket(bucket).ok());
  EXPECT_EQ(client_->bucketProps(bucket).code(), Code::kBucketNotFound);

  std::string forced = newBucket("forced");
  ASSERT_TRUE(client_->put(forced, "x", "y").ok());
  EXPECT_TRUE(client_->destroyBucket(forced, true).ok());
  // Recreated under the same name: empty.
  ASSERT_TRUE(client_->createBucket(forced).ok());
  EXPECT_EQ(client_->get(forced, "x").code(), Code::kObjectNotFound);
  auto page = client_->list(forced);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->entries.empty());
}

TEST_F(ClusterTest, KeepsBucketProps) {
  std::string bucket = newBucket("props");
  auto props = client_->bucketProps(bucket);
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(props->checksumType, "xxhash64");
  meta::BucketProps p = *props;
  p.fsync = true;
  ASSERT_TRUE(client_->setBucketProps(bucket, p).ok());
  auto after = client_->bucketProps(bucket);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->fsync);
  // What the data path does not do (yet) is refused, not stored and ignored: unversioned
  // buckets, EC with more slices than the cluster has targets for.
  meta::BucketProps unversioned = p;
  unversioned.versioning = false;
  EXPECT_EQ(client_->setBucketProps(bucket, unversioned).code(), Code::kNotImplemented);
  meta::BucketProps mirrored = p;
  mirrored.mirrorCopies = 33;  // copies live on distinct mountpaths: 32 at most
  EXPECT_EQ(client_->setBucketProps(bucket, mirrored).code(), Code::kInvalidArgument);
  meta::BucketProps coded = p;
  coded.ec.enabled = true;
  coded.ec.dataSlices = 8;
  EXPECT_EQ(client_->setBucketProps(bucket, coded).code(), Code::kInvalidArgument);
  after = client_->bucketProps(bucket);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->mirrorCopies, 1u);
  EXPECT_FALSE(after->ec.enabled);
  EXPECT_EQ(after->checksumType, "xxhash64");
  EXPECT_TRUE(after->versioning);
  EXPECT_TRUE(client_->put(bucket, "synced", "data").ok());
  p.checksumType = "md7";
  EXPECT_EQ(client_->setBucketProps(bucket, p).code(), Code::kInvalidArgument);
}

TEST_F(ClusterTest, RenamesKeepTheModificationTime) {
  // A rename is not a modification, also when the new name lives on another target.
  std::string bucket = newBucket("mtime");
  ASSERT_TRUE(client_->put(bucket, "n0", patternBytes(3, 300000)).ok());
  auto first = client_->head(bucket, "n0");
  ASSERT_TRUE(first.ok());
  std::set<std::string> holders{first->targetId};
  for (int i = 1; i <= 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::string from = "n" + std::to_string(i - 1), to = "n" + std::to_string(i);
    ASSERT_TRUE(client_->rename(bucket, from, to).ok()) << to;
    auto h = client_->head(bucket, to);
    ASSERT_TRUE(h.ok()) << to;
    EXPECT_EQ(h->mtimeNs, first->mtimeNs) << to;
    holders.insert(h->targetId);
  }
  EXPECT_GT(holders.size(), 1u);  // some renames crossed targets
  auto got = client_->get(bucket, "n10");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == patternBytes(3, 300000));
}

TEST_F(ClusterTest, ChecksumTypesAreKeptAndReturned) {
  // Objects keep the digest of their bucket's type when they were stored; AIStore's "xxhash"
  // is xxhash64.
  const std::string data = "abc";
  const std::map<std::string, std::string> want = {
      {"md5", "900150983cd24fb0d6963f7d28e17f72"},
      {"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"crc32c", "364b3fb7"},
      {"xxhash", "44bc2cf5ad770999"},
      {"none", ""}};
  for (const auto& [type, value] : want) {
    std::string bucket = newBucket("ck" + type);
    auto props = client_->bucketProps(bucket);
    ASSERT_TRUE(props.ok());
    props->checksumType = type;
    ASSERT_TRUE(client_->setBucketProps(bucket, *props).ok()) << type;
    ASSERT_TRUE(client_->put(bucket, "o", data).ok()) << type;
    auto info = client_->head(bucket, "o");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->checksumType, type == "xxhash" ? "xxhash64" : type);
    EXPECT_EQ(info->checksumValue, value) << type;
    auto got = client_->get(bucket, "o");  // reads are block-verified whatever the type
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, data);
  }
}

TEST_F(ClusterTest, PutsAFileInChunksAndGetsItToAFile) {
  std::string bucket = newBucket("files");
  std::string src = "/tmp/ais-it-src-" + std::to_string(::getpid());
  std::string dst = src + ".out";
  std::string data = patternBytes(7, (5 << 20) + 123);
  {
    FILE* f = std::fopen(src.c_str(), "wb");
    std::fwrite(data.data(), 1, data.size(), f);
    std::fclose(f);
  }
  uint64_t lastProgress = 0;
  auto info = client_->putFile(bucket, "big", src, {},
                               [&](uint64_t done, uint64_t) { lastProgress = done; });
  ASSERT_TRUE(info.ok()) << info.status().toString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(lastProgress, data.size());
  int fd = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  auto got = client_->getToFd(bucket, "big", fd);
  ::close(fd);
  ASSERT_TRUE(got.ok()) << got.status().toString();
  std::ifstream in(dst, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, data);
  std::remove(src.c_str());
  std::remove(dst.c_str());
}

TEST_F(ClusterTest, ListsWithADelimiterLikeS3) {
  std::string bucket = newBucket("delim");
  std::vector<std::string> names = {"a.txt", "b/1", "b/2", "b/c/3", "c/1", "d", "e/f/g"};
  for (int i = 0; i < 300; ++i) names.push_back("many/" + std::to_string(1000 + i));
  for (const auto& n : names) ASSERT_TRUE(client_->put(bucket, n, n).ok());
  ListOptions opts;
  opts.delimiter = "/";
  auto top = client_->list(bucket, opts);
  ASSERT_TRUE(top.ok()) << top.status().toString();
  std::vector<std::string> objs;
  for (auto& e : top->entries) objs.push_back(e.name);
  EXPECT_EQ(objs, (std::vector<std::string>{"a.txt", "d"}));
  EXPECT_EQ(top->commonPrefixes, (std::vector<std::string>{"b/", "c/", "e/", "many/"}));
  EXPECT_TRUE(top->continuationToken.empty());

  opts.prefix = "b/";
  auto sub = client_->list(bucket, opts);
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(sub->entries.size(), 2u);
  EXPECT_EQ(sub->entries[0].name, "b/1");
  EXPECT_EQ(sub->commonPrefixes, (std::vector<std::string>{"b/c/"}));

  // Paging with two items a page walks prefixes and objects exactly once.
  opts.prefix.clear();
  opts.pageSize = 2;
  std::vector<std::string> walked;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = client_->list(bucket, opts);
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->entries.size() + page->commonPrefixes.size(), 2u);
    for (auto& e : page->entries) walked.push_back(e.name);
    for (auto& p : page->commonPrefixes) walked.push_back(p);
    if (page->continuationToken.empty()) break;
    opts.continuationToken = page->continuationToken;
  }
  std::sort(walked.begin(), walked.end());
  EXPECT_EQ(walked, (std::vector<std::string>{"a.txt", "b/", "c/", "d", "e/", "many/"}));
}

TEST_F(ClusterTest, StreamsAPutDrivenByTheCaller) {
  std::string bucket = newBucket("handle");
  std::string data = patternBytes(99, (3 << 20) + 5);
  auto h = client_->beginPut(bucket, "streamed", PutOptions{{{"posix.mode", "100644"}}});
  ASSERT_TRUE(h.ok()) << h.status().toString();
  for (size_t off = 0; off < data.size(); off += 100000) {
    ASSERT_TRUE((*h)->write(std::string_view(data).substr(off, 100000)).ok());
  }
  EXPECT_EQ(client_->head(bucket, "streamed").code(), Code::kObjectNotFound);  // not yet visible
  auto info = (*h)->commit();
  ASSERT_TRUE(info.ok()) << info.status().toString();
  EXPECT_EQ(info->size, data.size());
  auto got = client_->get(bucket, "streamed");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);

  // Abandoned: nothing becomes visible.
  auto a = client_->beginPut(bucket, "abandoned");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->write("partial").ok());
  (*a)->abort();
  auto b = client_->beginPut(bucket, "dropped");
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->write("partial").ok());
  b->reset();
  EXPECT_EQ(client_->head(bucket, "abandoned").code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->head(bucket, "dropped").code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->beginPut("no-such-bucket", "x").code(), Code::kBucketNotFound);
}

TEST_F(ClusterTest, UpdatesMetadataWithoutTouchingBytes) {
  std::string bucket = newBucket("custom");
  ASSERT_TRUE(client_->put(bucket, "f", "bytes", PutOptions{{{"a", "1"}, {"b", "2"}}}).ok());
  auto merged = client_->setCustom(bucket, "f", {{"b", ""}, {"c", "3"}});
  ASSERT_TRUE(merged.ok()) << merged.status().toString();
  EXPECT_EQ(merged->custom, (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(merged->version, 1u);
  auto replaced = client_->setCustom(bucket, "f", {{"z", "9"}}, false);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->custom, (std::map<std::string, std::string>{{"z", "9"}}));
  EXPECT_EQ(*client_->get(bucket, "f"), "bytes");
  EXPECT_EQ(client_->setCustom(bucket, "missing", {{"a", "b"}}).code(), Code::kObjectNotFound);
}

TEST_F(ClusterTest, DelimitedListingsCarryDirectoryMarkersOnlyWhenAsked) {
  std::string bucket = newBucket("markers");
  ASSERT_TRUE(client_->put(bucket, "top/d/", "", PutOptions{{{"posix.mode", "700"}}}).ok());
  ASSERT_TRUE(client_->put(bucket, "top/d/f", "x").ok());
  ASSERT_TRUE(client_->put(bucket, "top/e/g", "y").ok());  // a directory without a marker
  ASSERT_TRUE(client_->put(bucket, "top/h", "z").ok());
  ListOptions lo{.prefix = "top/", .delimiter = "/"};
  auto plain = client_->list(bucket, lo);  // as S3 lists: the marker is in its prefix only
  ASSERT_TRUE(plain.ok()) << plain.status().toString();
  EXPECT_EQ(plain->commonPrefixes, (std::vector<std::string>{"top/d/", "top/e/"}));
  ASSERT_EQ(plain->entries.size(), 1u);
  EXPECT_EQ(plain->entries[0].name, "top/h");
  lo.dirMarkers = true;
  auto withMarkers = client_->list(bucket, lo);
  ASSERT_TRUE(withMarkers.ok());
  EXPECT_EQ(withMarkers->commonPrefixes, (std::vector<std::string>{"top/d/", "top/e/"}));
  ASSERT_EQ(withMarkers->entries.size(), 2u);
  EXPECT_EQ(withMarkers->entries[0].name, "top/d/");
  EXPECT_EQ(withMarkers->entries[0].custom.at("posix.mode"), "700");
  EXPECT_EQ(withMarkers->entries[1].name, "top/h");
  // Pages of one item: every item once, the marker before its prefix.
  lo.pageSize = 1;
  std::vector<std::string> seen;
  do {
    auto page = client_->list(bucket, lo);
    ASSERT_TRUE(page.ok());
    for (auto& e : page->entries) seen.push_back("e:" + e.name);
    for (auto& p : page->commonPrefixes) seen.push_back("p:" + p);
    lo.continuationToken = page->continuationToken;
  } while (!lo.continuationToken.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"e:top/d/", "p:top/d/", "p:top/e/", "e:top/h"}));
}

TEST_F(ClusterTest, CountersChangeAtomicallyFromManyClients) {
  std::string bucket = newBucket("counters");
  ASSERT_TRUE(client_->put(bucket, "inode", "bytes").ok());
  // Four threads add 25 each to a missing counter (counted from 1), one of them also sets a key.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = client_->addCustom(bucket, "inode", {{"n", t == 0 ? 2 : 1}}, 1,
                                    t == 0 ? std::map<std::string, std::string>{{"who", "t0"}}
                                           : std::map<std::string, std::string>{});
        EXPECT_TRUE(r.ok()) << r.status().toString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto head = client_->head(bucket, "inode");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->custom.at("n"), std::to_string(1 + 25 * 2 + 75));
  EXPECT_EQ(head->custom.at("who"), "t0");
  EXPECT_EQ(head->version, 1u);  // metadata only
  auto down = client_->addCustom(bucket, "inode", {{"n", -126}}, 1);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->custom.at("n"), "0");
  EXPECT_EQ(client_->addCustom(bucket, "missing", {{"n", 1}}, 1).code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->addCustom(bucket, "inode", {}, 1).code(), Code::kInvalidArgument);
}

// aisfs keeps a listing past its TTL while the bucket's token is unchanged: the token must move
// with every change to the bucket on any target, and with nothing else.
TEST_F(ClusterTest, BucketChangesMoveWithTheBucketsWritesOnly) {
  std::string bucket = newBucket("tokens");
  std::string other = newBucket("tokens-other");
  for (int i = 0; i < 12; ++i) {  // (on every target)
    ASSERT_TRUE(client_->put(bucket, "o" + std::to_string(i), "bytes").ok());
  }
  auto token = [&](const std::string& b, const std::string& dir = "") {
    auto t = client_->bucketChanges(b, {dir, "elsewhere/"});
    EXPECT_TRUE(t.ok()) << t.status().toString();
    return t.ok() && t->size() == 2 ? (*t)[0] : std::string("<error>");
  };
  std::string quiet = token(bucket);
  ASSERT_TRUE(client_->put(bucket, "dir/a", "x").ok());
  std::string dirQuiet = token(bucket, "dir/");
  quiet = token(bucket);
  // A listing carries the tokens of its directory as they were before it.
  auto page = client_->list(bucket, ListOptions{.delimiter = "/"});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->changeStamp, quiet);
  auto dirPage = client_->list(bucket, ListOptions{.prefix = "dir/", .delimiter = "/"});
  ASSERT_TRUE(dirPage.ok());
  EXPECT_EQ(dirPage->changeStamp, dirQuiet);
  ASSERT_TRUE(client_->get(bucket, "o3").ok());
  ASSERT_TRUE(client_->head(bucket, "o4").ok());
  ASSERT_TRUE(client_->put(other, "x", "elsewhere").ok());
  EXPECT_EQ(token(bucket), quiet) << "reads and another bucket's writes changed the token";
  EXPECT_NE(token(other), token(bucket));
  // A write elsewhere in the bucket leaves a directory's token as it was.
  ASSERT_TRUE(client_->put(bucket, "elsewhere/x", "x").ok());
  EXPECT_EQ(token(bucket, "dir/"), dirQuiet);
  EXPECT_NE(token(bucket), quiet);
  quiet = token(bucket);

  std::vector<std::pair<std::string, std::function<Status()>>> changes = {
      {"put", [&] { return client_->put(bucket, "new", "x").status(); }},
      {"overwrite", [&] { return client_->put(bucket, "o1", "y").status(); }},
      {"metadata",
       [&] {
         return client_->setCustom(bucket, "o2", {{"k", "v"}}, true).status();
       }},
      {"rename", [&] { return client_->rename(bucket, "o5", "o5-renamed"); }},
      {"delete", [&] { return client_->remove(bucket, "o6"); }},
  };
  std::string before = quiet;
  for (auto& [what, change] : changes) {
    ASSERT_TRUE(change().ok()) << what;
    std::string now = token(bucket);
    EXPECT_NE(now, before) << what << " left the token as it was";
    before = now;
  }
  // A target that restarts counts from zero again under a new boot: never the old token.
  ASSERT_TRUE(cluster_->restart(cluster_->targetIds().front()).ok());
  auto fresh = cluster_->client();
  ASSERT_TRUE(fresh.ok());
  auto afterRestart = (*fresh)->bucketChanges(bucket, {""});
  ASSERT_TRUE(afterRestart.ok()) << afterRestart.status().toString();
  EXPECT_NE(afterRestart->at(0), before);
}

// An aisfs mount's own writes (its client's changeWriter) leave the tokens it is answered as they
// were, on every target, for every kind of change; another mount's and anyone's still move them,
// in its listings' stamps too.
TEST_F(ClusterTest, BucketChangesLeaveTheMountsOwnWritesOut) {
  std::string bucket = newBucket("own-tokens");
  auto mine = cluster_->client(0x5eed1);
  auto theirs = cluster_->client(0x5eed2);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  Client& m = **mine;
  Client& t = **theirs;
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(t.put(bucket, "d/o" + std::to_string(i), "x").ok());
  auto token = [&](Client& c, const std::string& dir) {
    auto r = c.bucketChanges(bucket, {dir});
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? r->at(0) : std::string("<error>");
  };
  std::string root = token(m, ""), dir = token(m, "d/"), sub = token(m, "d/sub/");
  std::string theirDir = token(t, "d/");
  auto page = m.list(bucket, ListOptions{.prefix = "d/", .delimiter = "/"});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->changeStamp, dir);
  // Every kind of change the mount makes, on objects all over the targets.
  for (int i = 0; i < 12; ++i) {
    std::string n = "d/new" + std::to_string(i);
    ASSERT_TRUE(m.put(bucket, n, "y").ok());
    ASSERT_TRUE(m.setCustom(bucket, n, {{"k", "v"}}, true).ok());
    ASSERT_TRUE(m.rename(bucket, n, "d/sub/moved" + std::to_string(i)).ok());
    ASSERT_TRUE(m.remove(bucket, "d/o" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(m.putBatch(bucket, {{"d/b1", "1"}, {"d/b2", "2"}}).size() == 2);
  EXPECT_EQ(token(m, ""), root);
  EXPECT_EQ(token(m, "d/"), dir);
  EXPECT_EQ(token(m, "d/sub/"), sub);
  page = m.list(bucket, ListOptions{.prefix = "d/", .delimiter = "/"});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->changeStamp, dir);
  EXPECT_NE(token(t, "d/"), theirDir);  // the other mount sees them
  // The other mount's write, and a write by anyone, move the mount's tokens.
  ASSERT_TRUE(t.put(bucket, "d/sub/theirs", "z").ok());
  EXPECT_NE(token(m, "d/sub/"), sub);
  EXPECT_NE(token(m, "d/"), dir);
  dir = token(m, "d/");
  ASSERT_TRUE(client_->remove(bucket, "d/b1").ok());
  EXPECT_NE(token(m, "d/"), dir);
}

TEST_F(ClusterTest, CopiesServerSideWithinAndAcrossBuckets) {
  std::string src = newBucket("copysrc");
  std::string dst = newBucket("copydst");
  std::string data = patternBytes(5, (2 << 20) + 77);
  ASSERT_TRUE(client_->put(src, "orig", data, PutOptions{{{"k", "v"}}}).ok());
  for (int i = 0; i < 6; ++i) {
    std::string name = "copy-" + std::to_string(i);
    auto c1 = client_->copy(src, "orig", src, name);
    ASSERT_TRUE(c1.ok()) << c1.status().toString();
    auto c2 = client_->copy(src, "orig", dst, name, std::map<std::string, std::string>{{"n", "m"}});
    ASSERT_TRUE(c2.ok()) << c2.status().toString();
    EXPECT_EQ(*client_->get(src, name), data);
    EXPECT_EQ(*client_->get(dst, name), data);
    EXPECT_EQ(client_->head(src, name)->custom.at("k"), "v");
    EXPECT_EQ(client_->head(dst, name)->custom, (std::map<std::string, std::string>{{"n", "m"}}));
  }
  EXPECT_EQ(*client_->get(src, "orig"), data);
  EXPECT_EQ(client_->copy(src, "missing", dst, "x").code(), Code::kObjectNotFound);
  EXPECT_EQ(client_->copy(src, "orig", "no-such-bucket", "x").code(), Code::kBucketNotFound);
}

}  // namespace
}  // namespace ais::testing

namespace ais::testing {
namespace {

// A bucket created while a target is dead (not flagged down yet): the create succeeds (the
// target takes the metadata when it reports back), and once that target is back it serves the
// bucket at once (it asks the primary for the metadata it missed) instead of answering "bucket
// does not exist".
// Bucket changes at the primary each start from the BMD the one before left: changes made at
// once (creates, prop changes of different fields, each a compare-and-swap) all stay. Three
// proxies: each change waits for the others' votes, when another change can start.
TEST(BmdTest, ConcurrentBucketChangesAreAllKept) {
  TestCluster cluster(TestCluster::Options{.proxies = 3});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  Client* client = c->get();
  std::string base = "concurrent";
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        Status st = client->createBucket(base + "-" + std::to_string(t) + "-" + std::to_string(i));
        EXPECT_TRUE(st.ok()) << st.toString();
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(
          client->bucketProps(base + "-" + std::to_string(t) + "-" + std::to_string(i)).ok())
          << t << "-" << i;
    }
  }

  std::string bucket = base + "-0-0";
  using Edit = std::function<void(meta::BucketProps&, int)>;
  std::vector<Edit> edits = {
      [](meta::BucketProps& p, int i) { p.acl = i % 2 ? "public-read" : ""; },
      [](meta::BucketProps& p, int i) { p.cors = "round " + std::to_string(i); },
      [](meta::BucketProps& p, int i) { p.tags = "round=" + std::to_string(i); },
  };
  for (const Edit& edit : edits) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        Status st;
        for (int attempt = 0; attempt < 50; ++attempt) {
          auto cur = client->bucketProps(bucket);
          ASSERT_TRUE(cur.ok());
          meta::BucketProps next = *cur;
          edit(next, i);
          st = client->setBucketProps(bucket, next, &*cur);
          if (st.code() != Code::kVersionChanged) break;
        }
        EXPECT_TRUE(st.ok()) << st.toString();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto after = client->bucketProps(bucket);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->acl, "public-read");
  EXPECT_EQ(after->cors, "round 9");
  EXPECT_EQ(after->tags, "round=9");
}

TEST(MetasyncTest, ATargetThatMissedABucketCatchesUpBeforeServingIt) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  std::string victim = cluster.targetIds().back();
  cluster.kill(victim);
  Status created = (*c)->createBucket("missed");
  ASSERT_TRUE(created.ok()) << created.toString();
  ASSERT_TRUE(cluster.restart(victim).ok());
  // Right away, before any keepalive could bring it the BMD: every PUT and GET works.
  for (int i = 0; i < 30; ++i) {
    std::string name = "o" + std::to_string(i);
    Status st = (*c)->put("missed", name, patternBytes(i, 100 + i)).status();
    ASSERT_TRUE(st.ok()) << name << ": " << st.toString();
  }
  for (int i = 0; i < 30; ++i) {
    auto got = (*c)->get("missed", "o" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << got.status().toString();
    EXPECT_EQ(*got, patternBytes(i, 100 + i));
  }
  // With every target up, bucket changes are acknowledged by all.
  EXPECT_TRUE((*c)->createBucket("everyone").ok());
}

// A target down, restarted (it rejoins), and down again much later gets the whole grace
// period again: the grace counts from the latest down, not from the first one (which removed
// it at once, all its objects moving, on its second down).
TEST(MembershipTest, TheDownGraceCountsFromTheLatestDown) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  auto cfg = (*c)->setClusterConfig({{"membership.down_grace_ms", "8000"}});
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  std::string victim = cluster.targetIds().back();
  // "down", "up", or "" (not in the Smap), as the primary publishes it.
  auto state = [&]() -> std::string {
    auto smap = (*c)->smap(true);
    if (!smap.ok()) return "?";
    const meta::NodeInfo* n = smap->find(victim, meta::Role::kTarget);
    return !n ? "" : n->down() ? "down" : "up";
  };
  auto waitFor = [&](const std::string& want, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (state() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  cluster.kill(victim);
  ASSERT_TRUE(waitFor("down", 15));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // (the primary's rounds see it down)
  ASSERT_TRUE(cluster.restart(victim).ok());
  ASSERT_TRUE(waitFor("up", 10));
  std::this_thread::sleep_for(std::chrono::seconds(9));  // past the grace since the first down
  cluster.kill(victim);
  ASSERT_TRUE(waitFor("down", 15));
  for (int i = 0; i < 40; ++i) {  // 4 s, half the grace
    ASSERT_EQ(state(), "down") << "after " << i * 100 << " ms down again";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // ... and once the grace has run out, it is removed.
  EXPECT_TRUE(waitFor("", 15));
}

}  // namespace
}  // namespace ais::testing

namespace ais::testing {
namespace {

// A dead target does not fail a listing that allows it: the page holds exactly the other
// targets' objects and names the dead one; without allowPartial the listing fails naming it.
TEST(ListingTest, ADeadTargetIsNamedNotFatal) {
  TestCluster cluster(TestCluster::Options{});
  ASSERT_TRUE(cluster.start().ok());
  auto c = cluster.client();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->createBucket("partial").ok());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE((*c)->put("partial", "o" + std::to_string(i), "x").ok());
  }
  auto smap = (*c)->smap(true);
  ASSERT_TRUE(smap.ok());
  std::string victim = cluster.targetIds().back();
  std::set<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    std::string name = "o" + std::to_string(i);
    if (meta::ownerTarget(*smap, meta::uname("partial", name))->id != victim) expected.insert(name);
  }
  ASSERT_LT(expected.size(), 60u);
  cluster.kill(victim);

  ListOptions opts;
  opts.allowPartial = true;
  auto page = (*c)->list("partial", opts);
  ASSERT_TRUE(page.ok()) << page.status().toString();
  ASSERT_EQ(page->missingTargets.size(), 1u);
  EXPECT_EQ(page->missingTargets[0].first, victim);
  std::set<std::string> got;
  for (const auto& e : page->entries) got.insert(e.name);
  EXPECT_EQ(got, expected);

  auto strict = (*c)->list("partial", ListOptions{});
  EXPECT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find(victim), std::string::npos)
      << strict.status().toString();
}

}  // namespace
}  // namespace ais::testing
