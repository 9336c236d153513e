// Smap, BMD and ClusterConfig survive encode/decode; malformed bytes are an error, not a crash.
#include "meta/codec.h"

#include <gtest/gtest.h>

#include <string>

namespace ais::meta {
namespace {

Smap sampleSmap() {
  Smap s;
  s.version = 42;
  s.primaryId = "p1";
  s.uuid = "cluster-uuid";
  s.nodes.push_back({.id = "p1",
                     .role = Role::kProxy,
                     .rpcEndpoint = "10.0.0.1:9000",
                     .httpEndpoint = "10.0.0.1:8080",
                     .flags = 0});
  s.nodes.push_back({.id = "t1",
                     .role = Role::kTarget,
                     .rpcEndpoint = "10.0.0.2:9000",
                     .httpEndpoint = "",
                     .flags = kNodeDown | kNodeMaintenance});
  return s;
}

TEST(CodecTest, SmapRoundTrip) {
  Smap in = sampleSmap();
  auto out = decodeSmap(encode(in));
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->version, in.version);
  EXPECT_EQ(out->primaryId, in.primaryId);
  EXPECT_EQ(out->uuid, in.uuid);
  EXPECT_EQ(out->nodes, in.nodes);
}

TEST(CodecTest, BmdRoundTrip) {
  BMD in;
  in.version = 7;
  in.uuid = "u";
  BucketProps p;
  p.checksumType = "none";
  p.versioning = false;
  p.fsync = true;
  p.mirrorCopies = 3;
  p.ec = EcProps{.enabled = true, .dataSlices = 4, .paritySlices = 2, .objSizeLimit = 12345};
  p.createdNs = 1700000000123456789;
  in.buckets["alpha"] = p;
  in.buckets["beta"] = BucketProps{};
  auto out = decodeBmd(encode(in));
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->version, 7u);
  EXPECT_EQ(out->uuid, "u");
  EXPECT_EQ(out->buckets, in.buckets);
}

TEST(CodecTest, ConfigRoundTrip) {
  ClusterConfig in;
  in.version = 3;
  in.keepaliveIntervalMs = 250;
  in.keepaliveTimeoutMs = 3000;
  in.inlineMaxBytes = 4096;
  in.chunkBytes = 65536;
  auto out = decodeConfig(encode(in));
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->version, in.version);
  EXPECT_EQ(out->keepaliveIntervalMs, in.keepaliveIntervalMs);
  EXPECT_EQ(out->keepaliveTimeoutMs, in.keepaliveTimeoutMs);
  EXPECT_EQ(out->inlineMaxBytes, in.inlineMaxBytes);
  EXPECT_EQ(out->chunkBytes, in.chunkBytes);
}

TEST(CodecTest, GarbageIsAnError) {
  std::string good = encode(sampleSmap());
  // Segment table claiming one segment of 2^32-1 words.
  std::string hugeSegment("\x00\x00\x00\x00\xff\xff\xff\xff", 8);
  const std::string garbage[] = {
      "",
      "x",
      "1234567",  // not a whole number of words
      hugeSegment,
      good.substr(0, good.size() - 8),  // truncated
      good.substr(0, 8),
      std::string(16, '\xff'),
  };
  for (const auto& g : garbage) {
    EXPECT_FALSE(decodeSmap(g).ok()) << g.size();
    EXPECT_FALSE(decodeBmd(g).ok()) << g.size();
    EXPECT_FALSE(decodeConfig(g).ok()) << g.size();
  }
}

// Damaged bytes either fail with a reason or decode to a map that survives its own round trip
// (never a crash, a sanitizer report, or a half-read map that encodes to something else).
TEST(CodecTest, FuzzedBytesDecodeConsistentlyOrFail) {
  std::string good = encode(sampleSmap());
  uint64_t seed = 12345;
  int decoded = 0, refused = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string b = good;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      b[(seed >> 33) % b.size()] = static_cast<char>(seed >> 20);
    }
    auto r = decodeSmap(b);
    if (!r.ok()) {
      ++refused;
      EXPECT_FALSE(r.status().message().empty()) << "a refusal without a reason";
      continue;
    }
    ++decoded;
    auto again = decodeSmap(encode(*r));
    ASSERT_TRUE(again.ok()) << again.status().toString();
    EXPECT_EQ(*again, *r);
  }
  // The flips hit both kinds of byte: some inputs must decode and some must be refused.
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

TEST(CodecTest, WriteFileAtomicThenRead) {
  char tmpl[] = "/tmp/ais-codec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/smap";
  std::string bytes = encode(sampleSmap());
  ASSERT_TRUE(writeFileAtomic(path, bytes).ok());
  auto back = readFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  auto smap = decodeSmap(*back);
  ASSERT_TRUE(smap.ok());
  EXPECT_EQ(smap->version, 42u);
  EXPECT_FALSE(readFile(std::string(tmpl) + "/missing").ok());
  std::remove(path.c_str());
  rmdir(tmpl);
}

TEST(CodecTest, SealedFilesCatchDamageAndOldFilesStillRead) {
  std::string bytes = encode(sampleSmap());
  std::string sealed = seal(bytes);
  auto back = unseal(sealed);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  // Every single flipped byte, header or payload, is caught.
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string damaged = sealed;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    auto got = unseal(damaged);
    if (i < 8) {
      // (the magic itself: then the bytes read as an unsealed file, which does not decode)
      ASSERT_TRUE(got.ok());
      EXPECT_FALSE(decodeSmap(*got).ok()) << i;
    } else {
      EXPECT_EQ(got.code(), Code::kChecksumMismatch) << i;
    }
  }
  EXPECT_EQ(unseal(sealed.substr(0, 12)).code(), Code::kChecksumMismatch);  // cut short
  auto legacy = unseal(bytes);  // written before the seal
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(*legacy, bytes);
}

}  // namespace
}  // namespace ais::meta
