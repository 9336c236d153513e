// ShardIndex over shards made by Debian's tools (GNU tar piped through gzip and lz4, Info-ZIP
// zip) and over damaged or hostile ones: every member read back byte-exact (whole and in
// ranges, across restart points), every damage a clear kBadArchive, never a read outside the
// shard.
#include "node/archive/shard_index.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "../store/temp_dir.h"
#include "node/archive/archive_writer.h"
#include "node/archive/shard_blocks.h"
#include "shard_bytes.h"

namespace ais::archive {
namespace {

using store::testing::TempDir;

using testing::readerOf;
using testing::slurp;
using testing::spit;

// Random ranges read back per shard. The sanitized build (-O0 ASan+UBSan, tools/dev's
// unit_tests_asan) runs the same paths on fewer of them: it looks for memory errors, and 200
// ranges there made most of the 50 s its tests of compressed shards took.
#ifdef __SANITIZE_ADDRESS__
constexpr int kRandomRanges = 40;
#else
constexpr int kRandomRanges = 200;
#endif

class ShardIndexTest : public testing::SourceTreeTest {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(7);
    // Compressible and incompressible samples, enough to span many restart points.
    for (int i = 0; i < 120; ++i) {
      size_t size = i % 10 == 0 ? 300000 + rng() % 200000 : rng() % 40000;
      std::string data(size, '\0');
      for (size_t k = 0; k < size; ++k) {
        data[k] = i % 2 ? static_cast<char>(rng()) : static_cast<char>('a' + (k / 7) % 26);
      }
      files_["d" + std::to_string(i % 4) + "/s" + std::to_string(i) + ".bin"] = std::move(data);
    }
    files_["empty"] = "";
    writeFiles();
  }

  // Runs a shell pipeline in src_, output to a file; returns its bytes.
  std::string make(const std::string& cmd) {
    std::string out = tmp_.path() + "/out";
    std::string full = "cd '" + src_ + "' && ( " + cmd + " ) > '" + out + "' 2>/dev/null";
    EXPECT_EQ(0, std::system(full.c_str())) << cmd;
    return slurp(out);
  }

  ShardIndex::Limits smallSpacing() {
    ShardIndex::Limits l;
    l.stream.spacing = 64 * 1024;
    return l;
  }

  // Every member whole and in pieces (across restart points), then random ranges.
  // With a cache: decoded segments come from (and go to) it.
  void expectAllReadBack(const ShardIndex& ix, const std::string& shard,
                         SegmentCache* cache = nullptr) {
    auto rd = readerOf(shard);
    size_t files = 0;
    for (const auto& [name, data] : files_) {
      const Member* m = ix.find(name);
      ASSERT_NE(m, nullptr) << name;
      ASSERT_EQ(m->size, data.size()) << name;
      auto whole = ix.read(rd, *m, 0, m->size, cache, "shard");
      ASSERT_TRUE(whole.ok()) << name << ": " << whole.status().toString();
      EXPECT_TRUE(*whole == data) << name;
      ++files;
    }
    EXPECT_EQ(files, files_.size());
    std::mt19937_64 rng(11);
    for (int i = 0; i < kRandomRanges; ++i) {
      auto it = files_.begin();
      std::advance(it, rng() % files_.size());
      if (it->second.empty()) continue;
      uint64_t off = rng() % it->second.size(), len = 1 + rng() % 100000;
      const Member* m = ix.find(it->first);
      auto got = ix.read(rd, *m, off, len, cache, "shard");
      ASSERT_TRUE(got.ok()) << got.status().toString();
      EXPECT_TRUE(*got == it->second.substr(off, len)) << it->first << " at " << off;
    }
  }
};

TEST_F(ShardIndexTest, FormatsByNameMimeAndBytes) {
  EXPECT_EQ(formatOfName("a/b.tar"), Format::kTar);
  EXPECT_EQ(formatOfName("B.TGZ"), Format::kTgz);
  EXPECT_EQ(formatOfName("x.tar.gz"), Format::kTgz);
  EXPECT_EQ(formatOfName("x.tar.lz4"), Format::kTarLz4);
  EXPECT_EQ(formatOfName("x.zip"), Format::kZip);
  EXPECT_FALSE(formatOfName("x.gz").has_value());
  EXPECT_EQ(parseFormat(".tar.gz"), Format::kTgz);
  EXPECT_EQ(parseFormat("application/zip"), Format::kZip);
  EXPECT_EQ(parseFormat("TAR.LZ4"), Format::kTarLz4);
  EXPECT_FALSE(parseFormat("rar").has_value());
  std::string tgz = make("tar cf - . | gzip -c"), lz = make("tar cf - . | lz4 -c"),
              zip = make("zip -q -r - ."), tar = make("tar cf - .");
  EXPECT_EQ(*sniffFormat(readerOf(tgz), tgz.size()), Format::kTgz);
  EXPECT_EQ(*sniffFormat(readerOf(lz), lz.size()), Format::kTarLz4);
  EXPECT_EQ(*sniffFormat(readerOf(zip), zip.size()), Format::kZip);
  EXPECT_EQ(*sniffFormat(readerOf(tar), tar.size()), Format::kTar);
}

TEST_F(ShardIndexTest, TgzMembersReadBackAcrossRestartPoints) {
  std::string shard = make("tar cf - . | gzip -6 -c");
  auto ix = ShardIndex::build(Format::kTgz, readerOf(shard), shard.size(), smallSpacing());
  ASSERT_TRUE(ix.ok()) << ix.status().toString();
  EXPECT_EQ(ix->format(), Format::kTgz);
  EXPECT_GT(ix->restartPoints(), 20u);  // ~9 MiB of TAR at 64 KiB spacing
  expectAllReadBack(*ix, shard);
}

TEST_F(ShardIndexTest, CompressedMembersThroughTheSegmentCache) {
  for (const char* cmd : {"tar cf - . | gzip -6 -c", "tar cf - . | lz4 -q -c"}) {
    std::string shard = make(cmd);
    Format f = std::string(cmd).find("gzip") != std::string::npos ? Format::kTgz : Format::kTarLz4;
    auto ix = ShardIndex::build(f, readerOf(shard), shard.size(), smallSpacing());
    ASSERT_TRUE(ix.ok()) << ix.status().toString();
    SegmentCache big(64 << 20), tiny(100 << 10);  // tiny: segments dropped all the time
    expectAllReadBack(*ix, shard, &big);
    size_t held = big.bytes();
    EXPECT_GT(held, 0u);
    expectAllReadBack(*ix, shard, &big);  // from the cache now
    EXPECT_EQ(big.bytes(), held);
    expectAllReadBack(*ix, shard, &tiny);
    EXPECT_LE(tiny.bytes(), size_t{100} << 10);
  }
}

// The index build keeps what it decoded: every segment it hands to the cache is what
// decodeSegment makes, so member reads after the build decode nothing.
TEST_F(ShardIndexTest, BuildKeepsDecodedSegments) {
  for (const char* cmd : {"tar cf - . | gzip -6 -c", "tar cf - . | lz4 -q -c"}) {
    std::string shard = make(cmd);
    Format f = std::string(cmd).find("gzip") != std::string::npos ? Format::kTgz : Format::kTarLz4;
    SegmentCache cache(64 << 20);
    auto ix = ShardIndex::build(f, readerOf(shard), shard.size(), smallSpacing(), &cache, "k");
    ASSERT_TRUE(ix.ok()) << ix.status().toString();
    auto plain = ShardIndex::build(f, readerOf(shard), shard.size(), smallSpacing());
    ASSERT_TRUE(plain.ok());
    ASSERT_EQ(ix->restartPoints(), plain->restartPoints());
    size_t segments = 0;
    for (const auto& [name, data] : files_) {
      const Member* m = ix->find(name);
      ASSERT_NE(m, nullptr) << name;
      EXPECT_EQ(m->offset, plain->find(name)->offset) << name;
    }
    auto stream = StreamIndex::build(f == Format::kTgz ? Codec::kGzip : Codec::kLz4,
                                     readerOf(shard), shard.size(), smallSpacing().stream);
    ASSERT_TRUE(stream.ok());
    for (size_t k = 0; k < (*stream)->points(); ++k) {
      auto kept = cache.find("k", k);
      ASSERT_TRUE(kept) << cmd << " segment " << k;
      auto decoded = (*stream)->decodeSegment(readerOf(shard), k);
      ASSERT_TRUE(decoded.ok());
      EXPECT_TRUE(*kept == *decoded) << cmd << " segment " << k;
      ++segments;
    }
    EXPECT_GT(segments, 1u);  // (lz4's default 4 MiB blocks: a few points only)
    // Reads now come from the cache alone: a reader that fails every read still serves them.
    ReadAt dead = [](char*, size_t, uint64_t) -> Result<size_t> {
      return Status(Code::kIoError, "no disk");
    };
    for (const auto& [name, data] : files_) {
      auto got = ix->read(dead, *ix->find(name), 0, data.size(), &cache, "k");
      ASSERT_TRUE(got.ok()) << name << ": " << got.status().toString();
      EXPECT_TRUE(*got == data) << name;
    }
    // A shard larger than a quarter of the cache keeps at most that quarter.
    SegmentCache small(shard.size());
    ASSERT_TRUE(
        ShardIndex::build(f, readerOf(shard), shard.size(), smallSpacing(), &small, "k").ok());
    EXPECT_LE(small.bytes(), small.capacity() / 4) << cmd;
  }
}

// A TAR's index build keeps the verified blocks it reads (those with headers), each read once;
// the members within them come back from them exactly.
TEST_F(ShardIndexTest, TarBuildKeepsShardBlocks) {
  std::string shard = make("tar cf - .");
  size_t reads = 0;
  ReadAt counted = [&](char* buf, size_t len, uint64_t off) -> Result<size_t> {
    ++reads;
    EXPECT_EQ(off % kShardBlock, 0u);  // whole blocks only
    return readerOf(shard)(buf, len, off);
  };
  SegmentCache cache(256 << 20);
  auto ix = ShardIndex::build(Format::kTar, counted, shard.size(), {}, &cache, "t");
  ASSERT_TRUE(ix.ok()) << ix.status().toString();
  size_t blocks = (shard.size() + kShardBlock - 1) / kShardBlock;
  EXPECT_LE(reads, blocks);
  std::string key = rawBlocksKey("t");
  size_t kept = 0;
  for (const auto& [name, data] : files_) {
    const Member* m = ix->find(name);
    ASSERT_NE(m, nullptr) << name;
    auto got = readCachedBlocks(cache, key, m->offset, m->size);
    if (!got) continue;  // a block of a large member's data only, not read by the build
    EXPECT_TRUE(*got == data) << name;
    ++kept;
  }
  EXPECT_GT(kept, files_.size() / 2);
  // Spans, and blocks kept from a read at an aligned start.
  EXPECT_EQ(blockSpan(100, 10, 1 << 20).start, 0u);
  EXPECT_EQ(blockSpan(100, 10, 1 << 20).length, kShardBlock);
  EXPECT_EQ(blockSpan(kShardBlock - 1, 2, 1 << 20).length, 2 * kShardBlock);
  EXPECT_EQ(blockSpan(kShardBlock + 5, 10, kShardBlock + 100).length, 100u);  // the last block
  SegmentCache other(1 << 20);
  cacheBlocks(other, "o", kShardBlock, std::string_view(shard).substr(kShardBlock, 100000));
  EXPECT_FALSE(readCachedBlocks(other, "o", 0, 10).has_value());
  auto mid = readCachedBlocks(other, "o", kShardBlock + 1000, 90000);
  ASSERT_TRUE(mid.has_value());
  EXPECT_TRUE(*mid == shard.substr(kShardBlock + 1000, 90000));
  EXPECT_FALSE(readCachedBlocks(other, "o", kShardBlock + 1000, 100000).has_value());
}

TEST_F(ShardIndexTest, ConcatenatedGzipMembers) {
  // `cat a.gz b.gz` is one gzip stream of both: a TAR cut in two, each half gzipped.
  std::string tar = make("tar cf - .");
  size_t cut = tar.size() / 3;
  spit(tmp_.path() + "/h1", tar.substr(0, cut));
  spit(tmp_.path() + "/h2", tar.substr(cut));
  std::string shard = make("gzip -c '" + tmp_.path() + "/h1'; gzip -1 -c '" + tmp_.path() + "/h2'");
  auto ix = ShardIndex::build(Format::kTgz, readerOf(shard), shard.size(), smallSpacing());
  ASSERT_TRUE(ix.ok()) << ix.status().toString();
  expectAllReadBack(*ix, shard);
}

TEST_F(ShardIndexTest, TarLz4IndependentAndLinkedBlocks) {
  for (std::string flags : {"-B4", "-B4 -BD", "-B7 -BD -BX --content-size"}) {
    std::string shard = make("tar cf - . | lz4 -c " + flags);
    auto ix = ShardIndex::build(Format::kTarLz4, readerOf(shard), shard.size(), smallSpacing());
    ASSERT_TRUE(ix.ok()) << flags << ": " << ix.status().toString();
    EXPECT_GT(ix->restartPoints(), 2u) << flags;
    expectAllReadBack(*ix, shard);
  }
}

TEST_F(ShardIndexTest, ZipStoredAndDeflatedMembers) {
  for (std::string level : {"-0", "-6"}) {
    std::string shard = make("zip -q -r " + level + " - .");
    auto ix = ShardIndex::build(Format::kZip, readerOf(shard), shard.size());
    ASSERT_TRUE(ix.ok()) << level << ": " << ix.status().toString();
    EXPECT_EQ(ix->format(), Format::kZip);
    const Member* d = ix->find("d1");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->type, Member::Type::kDir);
    expectAllReadBack(*ix, shard);
  }
}

TEST_F(ShardIndexTest, ZipSymlinkAndNamesSanitized) {
  ASSERT_EQ(0, ::symlink("empty", (src_ + "/link").c_str()));
  std::string shard = make("zip -q -y -r - .");
  auto ix = ShardIndex::build(Format::kZip, readerOf(shard), shard.size());
  ASSERT_TRUE(ix.ok()) << ix.status().toString();
  const Member* l = ix->find("link");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->type, Member::Type::kSymlink);
  EXPECT_EQ(l->linkTarget, "empty");
  EXPECT_NE(ix->find("./d0/../d0/s0.bin"), nullptr);  // looked up sanitized
}

// ArchiveWriter in each format, read back by ShardIndex and by Debian's tools; names over 100
// bytes (ustar prefix, pax path) and the empty file included.
TEST_F(ShardIndexTest, WrittenShardsReadBack) {
  files_[std::string(120, 'p') + "/" + std::string(90, 'q')] = "ustar prefix";
  files_["deep/" + std::string(300, 'x')] = "pax path";
  for (Format f : {Format::kTar, Format::kTgz, Format::kTarLz4, Format::kZip}) {
    std::string shard;
    auto w = ArchiveWriter::make(f, [&](std::string_view b) {
      shard.append(b);
      return Status::OK();
    });
    for (const auto& [name, data] : files_) {
      size_t at = 0;
      ASSERT_TRUE(w->add(name, data.size(), 0640, 1700000000,
                         [&, d = &data](char* buf, size_t len) -> Result<size_t> {
                           size_t n = std::min(len, d->size() - at);
                           std::memcpy(buf, d->data() + at, n);
                           at += n;
                           return n;
                         })
                      .ok());
    }
    ASSERT_TRUE(w->finish().ok());
    auto ix = ShardIndex::build(f, readerOf(shard), shard.size(), smallSpacing());
    ASSERT_TRUE(ix.ok()) << formatName(f) << ": " << ix.status().toString();
    EXPECT_EQ(ix->members().size(), files_.size()) << formatName(f);
    const Member* m = ix->find("deep/" + std::string(300, 'x'));
    ASSERT_NE(m, nullptr) << formatName(f);
    EXPECT_EQ(m->mode, 0640u);
    EXPECT_EQ(m->mtimeSec, 1700000000);
    expectAllReadBack(*ix, shard);
    // Debian's tools agree.
    spit(tmp_.path() + "/w.out", shard);
    std::string check = f == Format::kZip   ? "unzip -tq w.out"
                        : f == Format::kTar ? "tar tf w.out"
                        : f == Format::kTgz ? "tar tzf w.out"
                                            : "lz4 -dc w.out | tar tf -";
    EXPECT_EQ(0, std::system(("cd '" + tmp_.path() + "' && " + check + " >/dev/null").c_str()))
        << check;
  }
}

// ---- damaged and hostile shards: kBadArchive, nothing read outside ----

void expectBad(const Result<ShardIndex>& ix, const std::string& what) {
  ASSERT_FALSE(ix.ok());
  EXPECT_EQ(ix.code(), Code::kBadArchive) << ix.status().toString();
  EXPECT_NE(ix.status().message().find(what), std::string::npos) << ix.status().toString();
}

TEST_F(ShardIndexTest, TruncatedOrCorruptGzipRefused) {
  std::string shard = make("tar cf - . | gzip -c");
  std::string cut = shard.substr(0, shard.size() / 2);
  expectBad(ShardIndex::build(Format::kTgz, readerOf(cut), cut.size()), "truncated");
  std::string notGzip = "plain text, not gzip at all";
  expectBad(ShardIndex::build(Format::kTgz, readerOf(notGzip), notGzip.size()), "not a gzip");
  std::string flipped = shard;
  for (size_t i = 100; i < 400; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  auto ix = ShardIndex::build(Format::kTgz, readerOf(flipped), flipped.size());
  ASSERT_FALSE(ix.ok());
  EXPECT_EQ(ix.code(), Code::kBadArchive) << ix.status().toString();
  std::string garbage = shard + "trailing junk";
  expectBad(ShardIndex::build(Format::kTgz, readerOf(garbage), garbage.size()), "undecodable");
}

TEST_F(ShardIndexTest, GzipBombRefused) {
  std::string zeros(8 << 20, '\0');
  spit(tmp_.path() + "/zeros", zeros);
  std::string shard = make("gzip -9 -c '" + tmp_.path() + "/zeros'");
  ShardIndex::Limits l;
  l.stream.maxExpanded = 1 << 20;
  expectBad(ShardIndex::build(Format::kTgz, readerOf(shard), shard.size(), l), "archive bomb");
}

TEST_F(ShardIndexTest, BadLz4FramesRefused) {
  std::string shard = make("tar cf - . | lz4 -c -B4");
  std::string cut = shard.substr(0, shard.size() - 1000);
  expectBad(ShardIndex::build(Format::kTarLz4, readerOf(cut), cut.size()), "truncated");
  std::string legacy = make("tar cf - . | lz4 -l -c");
  expectBad(ShardIndex::build(Format::kTarLz4, readerOf(legacy), legacy.size()), "legacy");
  std::string badHeader = shard;
  badHeader[6] = static_cast<char>(badHeader[6] ^ 0x55);  // the header checksum byte
  expectBad(ShardIndex::build(Format::kTarLz4, readerOf(badHeader), badHeader.size()), "LZ4");
  // A block that claims more than its frame's maximum (64 KiB with -B4).
  std::string big = shard;
  uint32_t huge = 0x00100000;
  std::memcpy(big.data() + 7, &huge, 4);
  expectBad(ShardIndex::build(Format::kTarLz4, readerOf(big), big.size()), "over its frame");
}

TEST_F(ShardIndexTest, BadZipsRefused) {
  std::string shard = make("zip -q -r -6 - .");
  std::string noEnd = shard.substr(0, shard.size() - 30);
  expectBad(ShardIndex::build(Format::kZip, readerOf(noEnd), noEnd.size()),
            "end-of-central-directory");
  // Central directory offset pointing past the end.
  std::string past = shard;
  size_t eocd = past.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(eocd, std::string::npos);
  uint32_t far = 0x7ffffff0;
  std::memcpy(past.data() + eocd + 16, &far, 4);
  expectBad(ShardIndex::build(Format::kZip, readerOf(past), past.size()), "central directory");
  // A deflated member that declares fewer bytes than it holds (a lie found on read), and one
  // whose CRC-32 is wrong.
  std::string liar = shard;
  size_t cd = liar.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(cd, std::string::npos);
  auto ix = ShardIndex::build(Format::kZip, readerOf(liar), liar.size());
  ASSERT_TRUE(ix.ok());
  // Find a deflated non-empty member's central entry and shrink its uncompressed size.
  for (size_t at = cd; at + 46 < liar.size() && liar.compare(at, 4, "PK\x01\x02", 4) == 0;) {
    auto* h = reinterpret_cast<unsigned char*>(liar.data() + at);
    uint16_t method = h[10] | h[11] << 8;
    uint32_t usize = le32(h + 24);
    size_t nameLen = h[28] | h[29] << 8, extra = h[30] | h[31] << 8, comment = h[32] | h[33] << 8;
    if (method == 8 && usize > 1000) {
      std::string name(liar.data() + at + 46, nameLen);
      std::string crcLiar = liar;
      uint32_t less = usize / 2;
      std::memcpy(liar.data() + at + 24, &less, 4);
      auto lix = ShardIndex::build(Format::kZip, readerOf(liar), liar.size());
      ASSERT_TRUE(lix.ok());
      auto got = lix->read(readerOf(liar), *lix->find(name), 0, less);
      // Reading the declared bytes works; the whole member must not pass its CRC.
      EXPECT_FALSE(got.ok());
      EXPECT_EQ(got.code(), Code::kBadArchive);
      crcLiar[at + 16] = static_cast<char>(crcLiar[at + 16] ^ 1);
      auto cix = ShardIndex::build(Format::kZip, readerOf(crcLiar), crcLiar.size());
      ASSERT_TRUE(cix.ok());
      auto bad = cix->read(readerOf(crcLiar), *cix->find(name), 0, usize);
      ASSERT_FALSE(bad.ok());
      EXPECT_NE(bad.status().message().find("CRC"), std::string::npos);
      auto part = cix->read(readerOf(crcLiar), *cix->find(name), 10, 100);  // ranges: no CRC
      EXPECT_TRUE(part.ok());
      return;
    }
    at += 46 + nameLen + extra + comment;
  }
  FAIL() << "no deflated member found";
}

}  // namespace
}  // namespace ais::archive
