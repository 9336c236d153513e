// TarIndex over shards made by GNU tar (gnu, ustar and pax formats, long names, directories,
// links) and over damaged or hostile ones: every member found at the right bytes, every
// damage a clear error, never a read outside the shard.
#include "node/archive/tar_index.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "../store/temp_dir.h"
#include "shard_bytes.h"
#include "tests/lib/ustar_header.h"

namespace ais::archive {
namespace {

using store::testing::TempDir;

using testing::readerOf;
using testing::slurp;
using testing::spit;

class TarIndexTest : public testing::SourceTreeTest {
 protected:
  void SetUp() override {
    files_["a.txt"] = "hello";
    files_["empty"] = "";
    files_["dir/b.bin"] = std::string(70000, 'b');
    files_["dir/sub/c"] = std::string(512, 'c');  // exactly one block
    files_[std::string(150, 'n') + "/" + std::string(120, 'm')] = "long";
    writeFiles();
    ASSERT_EQ(0, ::symlink("a.txt", (src_ + "/link").c_str()));
  }
  std::string tar(const std::string& format) {
    std::filesystem::create_directories(tmp_.sub("out"));
    std::string out = tmp_.sub("out") + "/" + format + ".tar";
    std::string cmd = "tar --format=" + format + " -C " + src_ + " -cf " + out + " . 2>/dev/null";
    EXPECT_EQ(0, std::system(cmd.c_str())) << cmd;
    return slurp(out);
  }
  void checkAll(const std::string& shard) {
    auto index = TarIndex::build(readerOf(shard), shard.size());
    ASSERT_TRUE(index.ok()) << index.status().toString();
    for (auto& [name, data] : files_) {
      const Member* m = index->find(name);
      ASSERT_NE(m, nullptr) << name;
      EXPECT_EQ(m->type, Member::Type::kFile);
      EXPECT_EQ(m->size, data.size()) << name;
      EXPECT_EQ(shard.substr(m->offset, m->size), data) << name;
      EXPECT_NE(index->find("./" + name), nullptr);  // as tar lists it
    }
    const Member* dir = index->find("dir/sub");
    ASSERT_NE(dir, nullptr);
    EXPECT_EQ(dir->type, Member::Type::kDir);
    const Member* link = index->find("link");
    ASSERT_NE(link, nullptr);
    EXPECT_EQ(link->type, Member::Type::kSymlink);
    EXPECT_EQ(link->linkTarget, "a.txt");
    EXPECT_EQ(index->find("nope"), nullptr);
  }
};

TEST_F(TarIndexTest, GnuFormatWithLongNames) { checkAll(tar("gnu")); }
TEST_F(TarIndexTest, PaxFormat) { checkAll(tar("pax")); }

TEST_F(TarIndexTest, UstarPrefixedNames) {
  files_.erase(std::string(150, 'n') + "/" + std::string(120, 'm'));  // too long for ustar
  std::filesystem::remove_all(src_ + "/" + std::string(150, 'n'));
  std::string deep = std::string(60, 'p') + "/" + std::string(60, 'q') + "/r";  // over 100
  files_[deep] = "prefixed";
  spit(src_ + "/" + deep, "prefixed");
  checkAll(tar("ustar"));
}

TEST_F(TarIndexTest, NotATarIsAClearError) {
  std::string junk(4096, 'x');
  auto r = TarIndex::build(readerOf(junk), junk.size());
  EXPECT_EQ(r.code(), Code::kBadArchive);
  EXPECT_NE(r.status().message().find("not a TAR archive"), std::string::npos);
  std::string tiny = "abc";
  EXPECT_EQ(TarIndex::build(readerOf(tiny), tiny.size()).code(), Code::kBadArchive);
}

TEST_F(TarIndexTest, CorruptHeaderIsAnError) {
  std::string shard = tar("gnu");
  auto index = TarIndex::build(readerOf(shard), shard.size());
  ASSERT_TRUE(index.ok());
  const Member* b = index->find("dir/b.bin");
  shard[b->offset - 512 + 10] ^= 0x5a;  // inside b's header name
  auto r = TarIndex::build(readerOf(shard), shard.size());
  EXPECT_EQ(r.code(), Code::kBadArchive);
  EXPECT_NE(r.status().message().find("corrupt header at offset"), std::string::npos)
      << r.status().toString();
}

TEST_F(TarIndexTest, TruncatedShardIsAnError) {
  std::string shard = tar("gnu");
  auto index = TarIndex::build(readerOf(shard), shard.size());
  ASSERT_TRUE(index.ok());
  const Member* b = index->find("dir/b.bin");
  shard.resize(b->offset + 1000);  // b's data cut short
  auto r = TarIndex::build(readerOf(shard), shard.size());
  EXPECT_EQ(r.code(), Code::kBadArchive);
  EXPECT_NE(r.status().message().find("past the end"), std::string::npos) << r.status().toString();
}

using ais::testing::ustarHeader;

std::string withData(const std::string& name, const std::string& data) {
  std::string out = ustarHeader(name, data.size()) + data;
  out.resize((out.size() + 511) / 512 * 512, '\0');
  return out;
}

TEST(TarIndexHostile, HugeDeclaredSizeIsAnError) {
  std::string shard = ustarHeader("bomb", 1ull << 40) + std::string(1024, '\0');
  auto r = TarIndex::build(readerOf(shard), shard.size());
  EXPECT_EQ(r.code(), Code::kBadArchive);
  EXPECT_NE(r.status().message().find("'bomb'"), std::string::npos);
}

TEST(TarIndexHostile, EscapingAndAbsoluteNamesSanitized) {
  std::string shard = withData("../../etc/passwd", "x") + withData("/abs/y", "yy") +
                      withData("a/../../z", "zzz") + std::string(1024, '\0');
  auto r = TarIndex::build(readerOf(shard), shard.size());
  ASSERT_TRUE(r.ok()) << r.status().toString();
  ASSERT_EQ(r->members().size(), 3u);
  EXPECT_EQ(r->members()[0].name, "etc/passwd");
  EXPECT_EQ(r->members()[1].name, "abs/y");
  EXPECT_EQ(r->members()[2].name, "z");
  EXPECT_EQ(shard.substr(r->find("z")->offset, 3), "zzz");
}

TEST(TarIndexHostile, DuplicatesListedLastOneWins) {
  std::string shard = withData("d", "first") + withData("d", "second") + std::string(1024, '\0');
  auto r = TarIndex::build(readerOf(shard), shard.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->members().size(), 2u);
  EXPECT_EQ(shard.substr(r->find("d")->offset, r->find("d")->size), "second");
}

TEST(TarIndexHostile, NulInPaxPathRefused) {
  std::string rec = "path=a";
  rec.push_back('\0');
  rec += "b\n";
  std::string full = std::to_string(rec.size() + 3) + " " + rec;  // "NN " + rec
  std::string pax = ustarHeader("PaxHeader", full.size(), 'x') + full;
  pax.resize((pax.size() + 511) / 512 * 512, '\0');
  std::string shard = pax + withData("a", "1") + std::string(1024, '\0');
  auto r = TarIndex::build(readerOf(shard), shard.size());
  EXPECT_EQ(r.code(), Code::kBadArchive);
  EXPECT_NE(r.status().message().find("NUL"), std::string::npos) << r.status().toString();
}

TEST(TarIndexHostile, EmptyNameRefused) {
  std::string shard = withData("..", "x") + std::string(1024, '\0');
  EXPECT_EQ(TarIndex::build(readerOf(shard), shard.size()).code(), Code::kBadArchive);
}

TEST(TarIndexHostile, MemberLimit) {
  std::string shard;
  for (int i = 0; i < 5; ++i) shard += withData("m" + std::to_string(i), "x");
  shard += std::string(1024, '\0');
  TarIndex::Limits limits;
  limits.maxMembers = 4;
  EXPECT_EQ(TarIndex::build(readerOf(shard), shard.size(), limits).code(), Code::kBadArchive);
}

}  // namespace
}  // namespace ais::archive
