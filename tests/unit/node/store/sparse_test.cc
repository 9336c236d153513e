// Sparse objects: whole aligned 4 KiB blocks of zeros (written, or writeZeros runs) become holes
// in the object's file, while checksums, block sums, reads and mirror copies see every byte.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "node/store/store.h"
#include "temp_dir.h"
#include "xxh.h"

namespace ais::store {
namespace {

using testing::pattern;
using testing::TempDir;
using testing::xxh;

uint64_t allocatedBytes(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

uint64_t fileSize(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_size);
}

class SparseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open({tmp_.sub("mp1"), tmp_.sub("mp2")});
    ASSERT_TRUE(s.ok()) << s.status().toString();
    store_ = std::move(s).value();
    store_->setBucketPolicies({{"mir", {.copies = 2}}});
  }
  std::string read(std::string_view bucket, std::string_view name, uint64_t off, size_t len) {
    auto r = store_->openObject(bucket, name);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    if (!r.ok()) return "<error>";
    std::string out(len, '\x55');
    auto n = (*r)->read(out.data(), len, off);
    EXPECT_TRUE(n.ok()) << n.status().toString();
    if (!n.ok()) return "<error>";
    out.resize(*n);
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(SparseTest, ZeroRunsAndWrittenZeroBlocksBecomeHoles) {
  // 8 KiB of data, a 64 MiB run of zeros not sent, a 1 MiB chunk of written zeros with data at
  // both unaligned ends, then a 32 MiB trailing hole.
  std::string head = pattern(8192, 3);
  std::string zeros(1 << 20, '\0');
  std::string mixed = zeros;
  mixed.replace(0, 100, pattern(100, 4));
  mixed.replace(mixed.size() - 100, 100, pattern(100, 5));
  const uint64_t kRun = 64 << 20, kTail = 32 << 20;

  std::string whole = head + std::string(kRun, '\0') + mixed + std::string(kTail, '\0');
  auto w = store_->beginPut("bkt", "sparse");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write(head.data(), head.size()).ok());
  ASSERT_TRUE((*w)->writeZeros(kRun).ok());
  ASSERT_TRUE((*w)->write(mixed.data(), mixed.size()).ok());
  ASSERT_TRUE((*w)->writeZeros(kTail).ok());
  auto lom = (*w)->commit(xxh(whole));  // the sender's checksum covers the zeros
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->size, whole.size());
  EXPECT_EQ(lom->checksum, xxh(whole));
  // Stored: the head's 2 blocks and the 2 blocks of mixed that hold its data; the rest holes.
  EXPECT_EQ(lom->holeBytes, whole.size() - 4 * 4096);
  auto kept = store_->head("bkt", "sparse");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->holeBytes, lom->holeBytes);

  std::string fqn = *store_->fqn("bkt", "sparse");
  EXPECT_EQ(fileSize(fqn), whole.size());  // the trailing hole is in the file's size
  EXPECT_LT(allocatedBytes(fqn), uint64_t{64} << 10) << "zeros took disk";

  EXPECT_EQ(read("bkt", "sparse", 0, whole.size()), whole);
  // Ranged reads inside a hole, across a hole's edge and in the trailing hole are verified too.
  EXPECT_EQ(read("bkt", "sparse", 10 << 20, 4096), std::string(4096, '\0'));
  EXPECT_EQ(read("bkt", "sparse", 8000, 400), whole.substr(8000, 400));
  EXPECT_EQ(read("bkt", "sparse", whole.size() - 10, 100), std::string(10, '\0'));
}

TEST_F(SparseTest, HoleBytesCountWholeBlocksOnly) {
  // Runs that meet inside one block count it once; a dense object has none.
  auto put = [&](std::string_view name, auto&&... steps) {
    auto w = store_->beginPut("bkt", name);
    EXPECT_TRUE(w.ok());
    (steps(**w), ...);
    auto lom = (*w)->commit();
    EXPECT_TRUE(lom.ok()) << lom.status().toString();
    return lom.ok() ? lom->holeBytes : ~uint64_t{0};
  };
  auto data = [](std::string s) {
    return [s](ObjectWriter& w) { ASSERT_TRUE(w.write(s.data(), s.size()).ok()); };
  };
  auto zeros = [](uint64_t n) {
    return [n](ObjectWriter& w) { ASSERT_TRUE(w.writeZeros(n).ok()); };
  };
  EXPECT_EQ(put("dense", data(pattern(100000, 1))), 0u);
  EXPECT_EQ(put("short-gap", data("abc"), zeros(100), data("def")), 0u);
  // Blocks 0 and 2 hold data; block 1 is a hole; 10,006 bytes in 8 KiB of blocks.
  EXPECT_EQ(put("gap", data("abc"), zeros(10000), data("def")), 10006u - 8192u);
  EXPECT_EQ(put("all-hole", zeros(1 << 20)), uint64_t{1} << 20);
  EXPECT_EQ(put("written-zeros", data(std::string(1 << 20, '\0'))), uint64_t{1} << 20);
}

TEST_F(SparseTest, MismatchedChecksumOverZerosStoresNothing) {
  auto w = store_->beginPut("bkt", "bad");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->writeZeros(1 << 20).ok());
  std::string ones(1 << 20, '\0');
  ones[12345] = 1;  // what the sender claims is not what arrived
  auto lom = (*w)->commit(xxh(ones));
  EXPECT_EQ(lom.code(), Code::kChecksumMismatch);
  EXPECT_EQ(store_->head("bkt", "bad").code(), Code::kObjectNotFound);
}

TEST_F(SparseTest, ReadBackCoversATrailingHoleBeforeCommit) {
  auto w = store_->beginPut("bkt", "rb");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("abc", 3).ok());
  ASSERT_TRUE((*w)->writeZeros(10000).ok());
  std::string buf(10003, 'x');
  auto n = (*w)->readBack(buf.data(), buf.size(), 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10003u);
  EXPECT_EQ(buf, "abc" + std::string(10000, '\0'));
}

TEST_F(SparseTest, AHoleBeyondTheLimitIsRefused) {
  auto w = store_->beginPut("bkt", "huge");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("x", 1).ok());
  Status s = (*w)->writeZeros(ObjectWriter::kMaxSparseObjectBytes);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.toString();
  EXPECT_FALSE((*w)->commit().ok());  // a poisoned writer stores nothing
  EXPECT_EQ(store_->head("bkt", "huge").code(), Code::kObjectNotFound);
}

TEST_F(SparseTest, MirrorCopiesStaySparse) {
  std::string data = pattern(5000, 9) + std::string(16 << 20, '\0') + "end";
  auto lom = store_->putBytes("mir", "m", data);
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->holeBytes, data.size() - 3 * 4096);
  auto copies = store_->copyFqns("mir", "m");
  ASSERT_EQ(copies.size(), 2u);
  for (const auto& path : copies) {
    EXPECT_EQ(fileSize(path), data.size()) << path;
    EXPECT_LT(allocatedBytes(path), uint64_t{64} << 10) << path;
  }
  EXPECT_EQ(read("mir", "m", 0, data.size()), data);
}

}  // namespace
}  // namespace ais::store
