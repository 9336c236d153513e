// Appending to a TAR shard (node/target/archive_append.h) over a real store: the new version is
// the old entries then the sent ones; what is not a TAR archive, does not hash to the sender's
// checksum, targets a compressed shard or races another writer is refused and the shard stays.
#include "node/target/archive_append.h"

#include <gtest/gtest.h>

#include "node/archive/archive_writer.h"
#include "node/archive/tar_index.h"
#include "tests/unit/node/archive/shard_bytes.h"
#include "tests/unit/node/store/temp_dir.h"
#include "tests/unit/node/store/xxh.h"

namespace ais::node {
namespace {

using store::testing::xxh;

// A TAR archive of (name, bytes) members as ArchiveWriter makes it; withEnd: its end blocks too.
std::string tarOf(const std::vector<std::pair<std::string, std::string>>& members,
                  bool withEnd = true) {
  std::string out;
  auto w = archive::ArchiveWriter::make(archive::Format::kTar, [&out](std::string_view b) {
    out.append(b);
    return Status::OK();
  });
  for (const auto& [name, data] : members) {
    size_t at = 0;
    Status st = w->add(name, data.size(), 0644, 1700000000,
                       [&data, &at](char* buf, size_t len) -> Result<size_t> {
                         size_t n = std::min(len, data.size() - at);
                         std::memcpy(buf, data.data() + at, n);
                         at += n;
                         return n;
                       });
    EXPECT_TRUE(st.ok()) << st.toString();
  }
  if (withEnd) {
    EXPECT_TRUE(w->finish().ok());
  }
  return out;
}

class ArchiveAppendTest : public store::testing::OneMountpathStoreTest {
 protected:
  void putShard(const std::string& bytes) {
    auto lom = store_->putBytes("bkt", "s.tar", bytes);
    ASSERT_TRUE(lom.ok()) << lom.status().toString();
  }
  std::string read() {
    auto rd = store_->openObject("bkt", "s.tar");
    EXPECT_TRUE(rd.ok()) << rd.status().toString();
    if (!rd.ok()) return "";
    std::string out((*rd)->lom().size, '\0');
    EXPECT_TRUE((*rd)->read(out.data(), out.size(), 0).ok());
    return out;
  }
  Result<AppendStart> start(archive::Format format = archive::Format::kTar) {
    auto rd = store_->openObject("bkt", "s.tar");
    if (!rd.ok()) return rd.status();
    std::shared_ptr<store::ObjectReader> reader = std::move(*rd);
    archive::ReadAt readAt = [reader](char* buf, size_t len, uint64_t off) {
      return reader->read(buf, len, off);
    };
    return startAppend(*store_, "bkt", "s.tar", reader->lom(), readAt, format, {});
  }
  // Sends `bytes` into a started append and finishes it with their checksum (or `checksum`).
  Result<store::Lom> append(AppendStart& s, const std::string& bytes,
                            std::optional<uint64_t> checksum = std::nullopt) {
    Status st = s.writer->write(bytes.data(), bytes.size());
    if (!st.ok()) return st;
    return finishAppend(*s.writer, s.regionStart, checksum.value_or(xxh(bytes)));
  }
  static std::vector<std::string> names(const std::string& shard) {
    auto ix = archive::TarIndex::build(archive::testing::readerOf(shard), shard.size());
    EXPECT_TRUE(ix.ok()) << ix.status().toString();
    std::vector<std::string> out;
    if (ix.ok()) {
      for (const auto& m : ix->members()) out.push_back(m.name);
    }
    return out;
  }
  static std::string member(const std::string& shard, const std::string& name) {
    auto ix = archive::TarIndex::build(archive::testing::readerOf(shard), shard.size());
    if (!ix.ok() || !ix->find(name)) return "<none>";
    const auto* m = ix->find(name);
    return shard.substr(m->offset, m->size);
  }
};

TEST_F(ArchiveAppendTest, NewVersionIsOldEntriesThenSentOnes) {
  std::string a = store::testing::pattern(70000, 1), b = store::testing::pattern(513, 2),
              c = store::testing::pattern(100, 3);
  std::string longName = std::string(120, 'n') + "/leaf.bin";  // a pax header
  std::string old = tarOf({{"a.bin", a}, {"dir/b.bin", b}});
  putShard(old);
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.status().toString();
  auto lom = append(*s, tarOf({{"new/c.bin", c}, {longName, a}}));
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->version, 2u);
  std::string now = read();
  EXPECT_EQ(names(now), (std::vector<std::string>{"a.bin", "dir/b.bin", "new/c.bin", longName}));
  EXPECT_EQ(member(now, "a.bin"), a);
  EXPECT_EQ(member(now, "dir/b.bin"), b);
  EXPECT_EQ(member(now, "new/c.bin"), c);
  EXPECT_EQ(member(now, longName), a);
  // The old entries are kept byte for byte; the end blocks moved to the end.
  auto ix = archive::TarIndex::build(archive::testing::readerOf(old), old.size());
  ASSERT_TRUE(ix.ok());
  EXPECT_EQ(now.substr(0, ix->end()), old.substr(0, ix->end()));
  EXPECT_EQ(now.substr(now.size() - 1024), std::string(1024, '\0'));
}

TEST_F(ArchiveAppendTest, EndBlocksAddedWhenTheSenderLeftThemOut) {
  putShard(tarOf({{"a", "x"}}));
  auto s = start();
  ASSERT_TRUE(s.ok());
  std::string sent = tarOf({{"b", "yy"}}, false);
  ASSERT_TRUE(append(*s, sent).ok());
  std::string now = read();
  EXPECT_EQ(names(now), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(now.substr(now.size() - 1024), std::string(1024, '\0'));
}

TEST_F(ArchiveAppendTest, WhatIsNotTarIsRefusedAndTheShardStays) {
  std::string old = tarOf({{"a", "x"}});
  putShard(old);
  for (const std::string& sent :
       {store::testing::pattern(5000, 9), std::string(1024, '\0'), std::string("short"),
        tarOf({{"b", store::testing::pattern(3000, 4)}}).substr(0, 1500)}) {  // a member cut short
    auto s = start();
    ASSERT_TRUE(s.ok());
    auto lom = append(*s, sent);
    EXPECT_FALSE(lom.ok());
    EXPECT_TRUE(lom.code() == Code::kBadArchive || lom.code() == Code::kInvalidArgument)
        << lom.status().toString();
    EXPECT_EQ(read(), old);
  }
}

TEST_F(ArchiveAppendTest, BytesThatDoNotHashToTheSendersChecksumAreRefused) {
  std::string old = tarOf({{"a", "x"}});
  putShard(old);
  auto s = start();
  ASSERT_TRUE(s.ok());
  std::string sent = tarOf({{"b", "y"}});
  auto lom = append(*s, sent, xxh(sent) + 1);
  EXPECT_EQ(lom.code(), Code::kChecksumMismatch) << lom.status().toString();
  EXPECT_EQ(read(), old);
}

TEST_F(ArchiveAppendTest, CompressedShardsAreRefused) {
  putShard(tarOf({{"a", "x"}}));
  for (auto f : {archive::Format::kTgz, archive::Format::kTarLz4, archive::Format::kZip}) {
    auto s = start(f);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.status().toString();
    EXPECT_NE(s.status().message().find("TAR shards only"), std::string::npos);
  }
}

TEST_F(ArchiveAppendTest, AShardThatIsNotTarIsRefused) {
  putShard(store::testing::pattern(4096, 5));
  auto s = start();
  EXPECT_EQ(s.code(), Code::kBadArchive) << s.status().toString();
}

TEST_F(ArchiveAppendTest, AShardChangedMeanwhileIsNotOverwritten) {
  putShard(tarOf({{"a", "x"}}));
  auto s = start();
  ASSERT_TRUE(s.ok());
  std::string other = tarOf({{"written", "meanwhile"}});
  putShard(other);  // another writer's version
  auto lom = append(*s, tarOf({{"b", "y"}}));
  EXPECT_EQ(lom.code(), Code::kVersionChanged) << lom.status().toString();
  EXPECT_EQ(read(), other);
}

TEST_F(ArchiveAppendTest, EndIsBeforeDanglingExtendedHeaders) {
  // A pax header with no member after it (then the end blocks): appended entries go before it,
  // or its attributes would land on the first appended member.
  std::string body = tarOf({{"a", "x"}}, false);
  uint64_t entriesEnd = body.size();
  std::string pax = archive::tarHeaders(std::string(200, 'p'), 1, 0644, 0);
  body += pax.substr(0, pax.size() - 512);  // the pax header and its data, not the member header
  body += std::string(1024, '\0');
  auto ix = archive::TarIndex::build(archive::testing::readerOf(body), body.size());
  ASSERT_TRUE(ix.ok()) << ix.status().toString();
  EXPECT_EQ(ix->end(), entriesEnd);
}

}  // namespace
}  // namespace ais::node
