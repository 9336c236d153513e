// Per-block verification and honest recovery: flipped, truncated and deleted bytes behind the
// store's back are never served; lost or damaged LOM databases are rebuilt from the files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>

#include "node/store/block_sums.h"
#include "node/store/lom_db.h"
#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::flipByte;
using testing::pattern;
using testing::TempDir;

TEST(BlockSums, SameSumsWhateverTheChunking) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{kBlockSize - 1}, size_t{kBlockSize},
                      size_t{kBlockSize + 1}, size_t{(1 << 20) + 3}}) {
    std::string data = pattern(size);
    BlockHasher whole;
    whole.update(data.data(), data.size());
    BlockHasher pieces;
    for (size_t off = 0, step = 1; off < size; off += step, step = step * 3 + 1) {
      pieces.update(data.data() + off, std::min(step, size - off));
    }
    EXPECT_EQ(whole.wholeChecksum(), XXH64(data.data(), size, 0));
    EXPECT_EQ(pieces.wholeChecksum(), whole.wholeChecksum());
    BlockSums b = whole.blocks();
    EXPECT_EQ(b, pieces.blocks()) << size;
    ASSERT_EQ(b.sums.size(), blockCount(size, kBlockSize));
    for (size_t i = 0; i < b.sums.size(); ++i) {
      size_t n = std::min<size_t>(kBlockSize, size - i * kBlockSize);
      EXPECT_EQ(b.sums[i], blockSum(b.hash, data.data() + i * kBlockSize, n));
    }
    // One block: its sum is the whole XXH64; several: XXH3-64 each.
    if (size <= kBlockSize) {
      EXPECT_EQ(b.hash, BlockHash::kXxh64) << size;
      if (size > 0) {
        EXPECT_EQ(b.sums.at(0), XXH64(data.data(), size, 0));
      }
    } else {
      EXPECT_EQ(b.hash, BlockHash::kXxh3) << size;
      EXPECT_EQ(b.sums.at(1), XXH3_64bits(data.data() + kBlockSize,
                                          std::min<size_t>(kBlockSize, size - kBlockSize)));
    }
    auto decoded = decodeBlockSums(encodeBlockSums(b));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, b);
  }
  // A list written before the hash tag (XXH64, the plain block size) still decodes as XXH64.
  BlockSums old{kBlockSize, {1, 2}, BlockHash::kXxh64};
  auto decodedOld = decodeBlockSums(encodeBlockSums(old));
  ASSERT_TRUE(decodedOld.ok());
  EXPECT_EQ(decodedOld->hash, BlockHash::kXxh64);
  EXPECT_EQ(decodedOld->blockSize, kBlockSize);
  EXPECT_FALSE(decodeBlockSums("abc").ok());
  EXPECT_FALSE(decodeBlockSums(std::string(4, '\0')).ok());  // block size 0
}

class IntegrityTest : public testing::OneMountpathStoreTest {
 protected:
  // Reads [off, off+len) in one call.
  Result<std::string> read(std::string_view name, uint64_t off, uint64_t len) {
    auto r = store_->openObject("bkt", name);
    if (!r.ok()) return r.status();
    std::string out(len, '\0');
    auto n = (*r)->read(out.data(), len, off);
    if (!n.ok()) return n.status();
    out.resize(*n);
    return out;
  }
};

namespace {

// Whether the kernel still holds any page of the file's first `size` bytes (mincore).
// How many of the file's first `size` bytes' pages are in the page cache, and of how many
// (mincore); nullopt if it cannot tell.
std::optional<std::pair<size_t, size_t>> residentPages(int fd, size_t size) {
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return std::nullopt;
  long page = ::sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> pages((size + page - 1) / page);
  bool ok = ::mincore(map, size, pages.data()) == 0;
  ::munmap(map, size);
  if (!ok) return std::nullopt;
  size_t resident = 0;
  for (unsigned char p : pages) resident += (p & 1) != 0;
  return std::make_pair(resident, pages.size());
}

bool anyPageResident(int fd, size_t size) {
  auto r = residentPages(fd, size);
  return !r || r->first > 0;
}

}  // namespace

TEST_F(IntegrityTest, FlippedByteFailsOnlyTheRangesThatTouchItsBlock) {
  std::string data = pattern(1 << 20);
  ASSERT_TRUE(store_->putBytes("bkt", "obj", data).ok());
  uint64_t bad = 5 * kBlockSize + 100;
  flipByte(*store_->fqn("bkt", "obj"), bad);

  EXPECT_EQ(read("obj", 0, data.size()).code(), Code::kObjectCorrupted);       // whole
  EXPECT_EQ(read("obj", bad, 1).code(), Code::kObjectCorrupted);               // the byte alone
  EXPECT_EQ(read("obj", bad - 10, 4096).code(), Code::kObjectCorrupted);       // unaligned, across
  EXPECT_EQ(*read("obj", 0, 5 * kBlockSize), data.substr(0, 5 * kBlockSize));  // before it
  EXPECT_EQ(*read("obj", 6 * kBlockSize + 7, 1000), data.substr(6 * kBlockSize + 7, 1000));
  EXPECT_EQ(*read("obj", data.size() - 10, 100), data.substr(data.size() - 10));  // tail

  auto r = store_->openObject("bkt", "obj");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->verify(0, 5 * kBlockSize).ok());
  EXPECT_EQ((*r)->verify(5 * kBlockSize, 1).code(), Code::kObjectCorrupted);
  EXPECT_GE(store_->integrityStats().corruptReads, 4u);
}

TEST_F(IntegrityTest, DamagedLomReadsAsCorruptedListsAndCanBeReplacedOrDeleted) {
  ASSERT_TRUE(store_->putBytes("bkt", "a", "alpha").ok());
  ASSERT_TRUE(store_->putBytes("bkt", "b", pattern(200000, 8)).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "c", "gamma").ok());
  store_.reset();
  {
    auto db = LomDb::open(mp_ + "/.ais.lomdb");
    ASSERT_TRUE(db.ok());
    for (const char* name : {"a", "b"}) {
      ASSERT_TRUE((*db)->put(lomKey("bkt", name), "\x02garbage").ok());
    }
  }
  reopen();  // startup keeps a damaged LOM: the object must not vanish
  EXPECT_EQ(store_->openObject("bkt", "a").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->head("bkt", "b").code(), Code::kObjectCorrupted);
  auto all = store_->list("bkt", "", "", 10);
  ASSERT_TRUE(all.ok()) << all.status().toString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at(0).name, "a");
  EXPECT_EQ(all->at(1).name, "b");
  ASSERT_TRUE(store_->putBytes("bkt", "a", "alpha again").ok());
  EXPECT_EQ(*read("a", 0, 100), "alpha again");
  EXPECT_TRUE(store_->remove("bkt", "b").ok());
  EXPECT_EQ(store_->head("bkt", "b").code(), Code::kObjectNotFound);
  EXPECT_EQ(*read("c", 0, 100), "gamma");
}

TEST_F(IntegrityTest, BlockSumsDoNotCountAsObjects) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->putBytes("bkt", "big" + std::to_string(i), pattern(300000, i)).ok());
  }
  EXPECT_EQ(store_->objectCount(), 10u);  // one LOM each; their block sums are elsewhere
  auto all = store_->list("bkt", "", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 10u);
}

TEST_F(IntegrityTest, SmallObjectsAreVerifiedByTheirWholeChecksum) {
  ASSERT_TRUE(store_->putBytes("bkt", "small", "hello, world").ok());
  ASSERT_TRUE(store_->putBytes("bkt", "empty", "").ok());
  EXPECT_EQ(*read("small", 7, 5), "world");
  EXPECT_EQ(*read("empty", 0, 10), "");
  flipByte(*store_->fqn("bkt", "small"), 0);
  EXPECT_EQ(read("small", 7, 5).code(), Code::kObjectCorrupted);
}

TEST_F(IntegrityTest, TruncatedOrDeletedFileIsCorruptedNeverNotFoundElsewhere) {
  std::string data = pattern(300000);
  ASSERT_TRUE(store_->putBytes("bkt", "trunc", data).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "gone", data).ok());
  std::filesystem::resize_file(*store_->fqn("bkt", "trunc"), 1000);
  std::filesystem::remove(*store_->fqn("bkt", "gone"));
  EXPECT_EQ(store_->openObject("bkt", "trunc").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->openObject("bkt", "gone").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->openObject("bkt", "never").code(), Code::kObjectNotFound);
  EXPECT_EQ(store_->integrityStats().missingFiles, 1u);
  // Restart: the truncated file is quarantined, not adopted as a 1,000-byte object.
  reopen();
  auto head = store_->head("bkt", "trunc");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(store_->openObject("bkt", "trunc").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->integrityStats().quarantined, 1u);
  // An overwrite heals it.
  ASSERT_TRUE(store_->putBytes("bkt", "trunc", "fresh").ok());
  EXPECT_EQ(*read("trunc", 0, 100), "fresh");
}

TEST_F(IntegrityTest, OverwriteAndRenameKeepBlockSumsRight) {
  std::string big = pattern(700000, 1), small = "tiny";
  ASSERT_TRUE(store_->putBytes("bkt", "a", big).ok());
  ASSERT_TRUE(store_->rename("bkt", "a", "b/c").ok());
  EXPECT_EQ(*read("b/c", 100000, 200000), big.substr(100000, 200000));
  ASSERT_TRUE(store_->putBytes("bkt", "b/c", small).ok());  // many blocks -> one
  EXPECT_EQ(*read("b/c", 0, 10), small);
  std::string big2 = pattern(200000, 2);
  ASSERT_TRUE(store_->putBytes("bkt", "b/c", big2).ok());  // one -> many
  EXPECT_EQ(*read("b/c", 0, big2.size()), big2);
  ASSERT_TRUE(store_->remove("bkt", "b/c").ok());
  ASSERT_TRUE(store_->putBytes("bkt", "b/c", big).ok());
  EXPECT_EQ(*read("b/c", 0, big.size()), big);
}

TEST_F(IntegrityTest, CrossMountpathRenameCarriesVerifiedBytes) {
  store_.reset();
  auto s = Store::open({tmp_.sub("m1"), tmp_.sub("m2"), tmp_.sub("m3")});
  ASSERT_TRUE(s.ok());
  store_ = std::move(s).value();
  std::string big = pattern(400000, 3);
  ASSERT_TRUE(store_->putBytes("bkt", "src", big).ok());
  // Find a destination name on another mountpath.
  std::string dst;
  for (int i = 0; dst.empty(); ++i) {
    std::string n = "dst" + std::to_string(i);
    if (store_->mountpathOf("bkt", n) != store_->mountpathOf("bkt", "src")) dst = n;
  }
  ASSERT_TRUE(store_->rename("bkt", "src", dst).ok());
  EXPECT_EQ(*read(dst, 0, big.size()), big);
  // A corrupt source is not carried over.
  ASSERT_TRUE(store_->putBytes("bkt", "src", big).ok());
  flipByte(*store_->fqn("bkt", "src"), 390000);
  EXPECT_EQ(store_->rename("bkt", "src", dst).code(), Code::kObjectCorrupted);
  EXPECT_EQ(*read(dst, 0, big.size()), big);
}

TEST_F(IntegrityTest, ObjectWithoutBlockSumsIsVerifiedWholeAndUpgraded) {
  std::string data = pattern(500000);
  ASSERT_TRUE(store_->putBytes("bkt", "old", data).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "oldbad", data).ok());
  std::string badPath = *store_->fqn("bkt", "oldbad");
  store_.reset();
  {  // Rewrite both LOMs as a pre-block-checksum store wrote them.
    auto db = LomDb::open(mp_ + "/.ais.lomdb");
    ASSERT_TRUE(db.ok());
    for (const char* name : {"old", "oldbad"}) {
      auto raw = (*db)->get(lomKey("bkt", name));
      auto lom = decodeLom(**raw);
      lom->blockSize = 0;
      ASSERT_TRUE((*db)->put(lomKey("bkt", name), encodeLom(*lom)).ok());
      ASSERT_TRUE((*db)->del(blocksKey("bkt", name)).ok());
    }
  }
  flipByte(badPath, 123);
  reopen();
  EXPECT_EQ(*read("old", 300000, 1000), data.substr(300000, 1000));
  EXPECT_EQ(store_->head("bkt", "old")->blockSize, kBlockSize);  // upgraded
  EXPECT_EQ(read("oldbad", 400000, 10).code(), Code::kObjectCorrupted);
}

TEST_F(IntegrityTest, BlockListsOfXxh64FromOlderStoresAreStillVerified) {
  std::string data = pattern(300000, 7);
  ASSERT_TRUE(store_->putBytes("bkt", "x64", data).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "x64bad", data).ok());
  std::string badPath = *store_->fqn("bkt", "x64bad");
  store_.reset();
  {  // Their block lists rewritten as an older store wrote them: XXH64 per block.
    auto db = LomDb::open(mp_ + "/.ais.lomdb");
    ASSERT_TRUE(db.ok());
    BlockSums old{kBlockSize, {}, BlockHash::kXxh64};
    for (size_t off = 0; off < data.size(); off += kBlockSize) {
      old.sums.push_back(
          XXH64(data.data() + off, std::min<size_t>(kBlockSize, data.size() - off), 0));
    }
    for (const char* name : {"x64", "x64bad"}) {
      ASSERT_TRUE((*db)->put(blocksKey("bkt", name), encodeBlockSums(old)).ok());
    }
  }
  flipByte(badPath, 200000);
  reopen();
  EXPECT_EQ(*read("x64", 0, data.size()), data);
  EXPECT_EQ(*read("x64", 140000, 70000), data.substr(140000, 70000));
  EXPECT_EQ(read("x64bad", 190000, 20000).code(), Code::kObjectCorrupted);
  EXPECT_EQ(*read("x64bad", 0, 1000), data.substr(0, 1000));  // its other blocks are fine
}

TEST_F(IntegrityTest, LostLomDatabaseIsRebuiltFromTheFilesLoudly) {
  std::string a = pattern(200000, 4), b = "bee";
  ASSERT_TRUE(store_->putBytes("bkt", "dir/a", a).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "b", b).ok());
  ASSERT_TRUE(store_->putBytes("bkt", "x/./y", "hashed").ok());  // stored by hash
  store_.reset();
  std::filesystem::rename(mp_ + "/.ais.lomdb", tmp_.sub("moved-away"));
  reopen();
  EXPECT_EQ(*read("dir/a", 0, a.size()), a);
  EXPECT_EQ(*read("b", 0, 10), b);
  auto st = store_->integrityStats();
  EXPECT_EQ(st.lomsRebuilt, 2u);
  EXPECT_EQ(st.quarantined, 1u);  // its name lived only in the lost database
  auto all = store_->list("bkt", "", "", 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(IntegrityTest, UnreadableLomDatabaseIsMovedAsideAndRebuilt) {
  std::string a = pattern(100000, 5);
  ASSERT_TRUE(store_->putBytes("bkt", "a", a).ok());
  store_.reset();
  { std::ofstream(mp_ + "/.ais.lomdb/CURRENT", std::ios::trunc) << "garbage\n"; }
  reopen();
  EXPECT_EQ(*read("a", 0, a.size()), a);
  EXPECT_EQ(store_->integrityStats().lomsRebuilt, 1u);
  bool aside = false;
  for (auto& e : std::filesystem::directory_iterator(mp_)) {
    aside |= e.path().filename().string().rfind(".ais.lomdb.damaged.", 0) == 0;
  }
  EXPECT_TRUE(aside);
}

// The network thread's open: served from memory when all of it is there, and "would block" (never
// a wrong byte, never a report of its own) when anything is missing, damaged or not in memory.
TEST_F(IntegrityTest, CachedOpenServesHotObjectsAndDefersEverythingElse) {
  std::string data = pattern(3 * kBlockSize + 7);
  ASSERT_TRUE(store_->putBytes("bkt", "hot", data).ok());
  auto rd = store_->openCached("bkt", "hot");
  ASSERT_TRUE(rd.ok()) << rd.status().toString();
  std::string out(data.size(), '\0');
  auto n = (*rd)->readCached(out.data(), out.size(), 0);
  ASSERT_TRUE(n.ok()) << n.status().toString();
  EXPECT_EQ(out, data);
  EXPECT_TRUE((*rd)->verifyCached(kBlockSize, 10).ok());

  // A missing object is not answered here (mirrors, other targets: the full open decides).
  EXPECT_EQ(store_->openCached("bkt", "absent").code(), Code::kWouldBlock);

  // Pages dropped from the page cache: the read would wait for the disk.
  std::string path = *store_->fqn("bkt", "hot");
  bool dropped = false;
  for (int attempt = 0; attempt < 20 && !dropped; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ::fdatasync(fd);
    ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    dropped = !anyPageResident(fd, data.size());
    ::close(fd);
    if (!dropped) ::usleep(20000);  // (pages under writeback are not dropped yet)
  }
  auto cold = store_->openCached("bkt", "hot");
  if (cold.ok() && dropped) {  // (the dentry may still be cached; the bytes are not)
    Status st = (*cold)->verifyCached(0, data.size());
    if (st.ok()) {
      // Only if the pages came back meanwhile (readahead on a busy machine): a cached answer
      // for bytes not in memory would be the bug.
      int fd = ::open(path.c_str(), O_RDONLY);
      ASSERT_GE(fd, 0);
      auto r = residentPages(fd, data.size());
      ::close(fd);
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->first, r->second) << "served as cached while pages were not in memory";
    } else {
      EXPECT_EQ(st.code(), Code::kWouldBlock) << st.toString();
    }
  }
  auto full = read("hot", 0, data.size());
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, data);

  // A flipped byte: deferred without being counted, then refused and counted by the full open.
  flipByte(path, 2 * kBlockSize + 1);
  uint64_t before = store_->integrityStats().corruptReads;
  auto hot = store_->openCached("bkt", "hot");
  ASSERT_TRUE(hot.ok());
  std::string bad(kBlockSize, 'x');
  EXPECT_EQ((*hot)->readCached(bad.data(), kBlockSize, 2 * kBlockSize).code(), Code::kWouldBlock);
  EXPECT_EQ(bad, std::string(kBlockSize, '\0'));  // no bad byte left in the buffer
  EXPECT_EQ((*hot)->verifyCached(0, data.size()).code(), Code::kWouldBlock);
  EXPECT_TRUE((*hot)->verifyCached(0, kBlockSize).ok());  // the other blocks are fine
  EXPECT_EQ(store_->integrityStats().corruptReads, before);
  EXPECT_EQ(read("hot", 0, data.size()).code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->integrityStats().corruptReads, before + 1);

  // A truncated file: not opened here at all.
  ASSERT_TRUE(store_->putBytes("bkt", "short", data).ok());
  std::filesystem::resize_file(*store_->fqn("bkt", "short"), 100);
  EXPECT_EQ(store_->openCached("bkt", "short").code(), Code::kWouldBlock);
  EXPECT_EQ(read("short", 0, 10).code(), Code::kObjectCorrupted);
}

}  // namespace
}  // namespace ais::store
