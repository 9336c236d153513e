// What a mountpath keeps free for its LOM database, and the database opened without writing
// (a target started on a full disk): it reads what it holds and refuses every write as out of
// space. The full disk itself is drilled with real processes in tests/cli/full_disk_test.sh.
#include <gtest/gtest.h>

#include "node/store/lom_db.h"
#include "node/store/space_reserve.h"
#include "tests/unit/node/store/temp_dir.h"

namespace ais::store {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(SpaceReserveTest, KeepsTwoPercentWithinItsBounds) {
  EXPECT_EQ(SpaceReserve::reserveFor(256 * kMiB), 64 * kMiB);  // a quarter of a small one
  EXPECT_EQ(SpaceReserve::reserveFor(100 * kMiB), 25 * kMiB);
  EXPECT_EQ(SpaceReserve::reserveFor(1000 * kMiB), 64 * kMiB);          // at least 64 MiB
  EXPECT_EQ(SpaceReserve::reserveFor(10000 * kMiB), 200 * kMiB);        // 2%
  EXPECT_EQ(SpaceReserve::reserveFor(uint64_t{1} << 42), 1024 * kMiB);  // at most 1 GiB
  // The reserve leaves RocksDB room to flush its memtables.
  EXPECT_GE(SpaceReserve::reserveFor(uint64_t{1} << 40), 2 * LomDb::kMemtableBytes);
}

TEST(SpaceReserveTest, AdmitsWhatFitsAndRefusesTheRest) {
  testing::TempDir dir;
  SpaceReserve space(dir.path());
  EXPECT_TRUE(space.admit(4096).ok());
  // More than any disk has: refused, with the mountpath in the message.
  Status st = space.admit(uint64_t{1} << 62);
  EXPECT_EQ(st.code(), Code::kOutOfSpace);
  EXPECT_NE(st.message().find(dir.path()), std::string::npos) << st.toString();
  EXPECT_NE(st.message().find("kept free"), std::string::npos) << st.toString();
  EXPECT_TRUE(space.admit(4096).ok());  // (a refusal takes nothing)
}

TEST(LomDbTest, ReadOnlyOpenReadsAndRefusesWrites) {
  testing::TempDir dir;
  const std::string db = dir.path() + "/.ais.lomdb";
  {
    auto rw = LomDb::open(db);
    ASSERT_TRUE(rw.ok()) << rw.status().toString();
    ASSERT_TRUE((*rw)->put(lomKey("b", "o"), "v1").ok());
  }
  auto ro = LomDb::open(db, /*readOnly=*/true);
  ASSERT_TRUE(ro.ok()) << ro.status().toString();
  EXPECT_TRUE((*ro)->readOnly());
  auto got = (*ro)->get(lomKey("b", "o"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "v1");
  Status put = (*ro)->put(lomKey("b", "p"), "v");
  EXPECT_EQ(put.code(), Code::kOutOfSpace);
  EXPECT_NE(put.message().find("read-only"), std::string::npos) << put.toString();
  EXPECT_EQ((*ro)->del(lomKey("b", "o")).code(), Code::kOutOfSpace);
  LomDb::Batch batch;
  batch.del(lomKey("b", "o"));
  EXPECT_EQ((*ro)->write(batch).code(), Code::kOutOfSpace);
  got = (*ro)->get(lomKey("b", "o"));
  ASSERT_TRUE(got.ok() && got->has_value());  // still there
}

TEST(LomDbTest, WritesNoLogFileBesideTheDatabase) {
  // (RocksDB's messages go to the node's log: a LOG file on a full disk aborted the process)
  testing::TempDir dir;
  const std::string db = dir.path() + "/.ais.lomdb";
  auto rw = LomDb::open(db);
  ASSERT_TRUE(rw.ok()) << rw.status().toString();
  ASSERT_TRUE((*rw)->put(lomKey("b", "o"), "v1").ok());
  for (const auto& e : std::filesystem::directory_iterator(db)) {
    EXPECT_NE(e.path().filename().string().rfind("LOG", 0), 0u) << e.path();
  }
}

}  // namespace
}  // namespace ais::store
