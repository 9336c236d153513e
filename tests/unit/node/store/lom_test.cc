// LOM codec: round trip of every field, and malformed input is an error (never a crash).
#include "node/store/lom.h"

#include <gtest/gtest.h>

#include <string>

namespace ais::store {
namespace {

Lom sampleLom() {
  Lom lom;
  lom.name = "dir/obj\xe2\x82\xac.bin";
  lom.size = (1ULL << 40) + 3;
  lom.checksum = 0xdeadbeefcafef00dULL;
  lom.version = 300;
  lom.atimeNs = 1700000000123456789;
  lom.mtimeNs = -5;
  lom.custom = {{"mode", "0644"},
                {"uid", "1000"},
                {"x-amz-meta-empty", ""},
                {"bin", std::string("\0\1\2", 3)}};
  lom.hashedPath = true;
  lom.checksumType = "md5";
  lom.checksumValue = "900150983cd24fb0d6963f7d28e17f72";
  return lom;
}

TEST(LomTest, RoundTrip) {
  Lom in = sampleLom();
  auto out = decodeLom(encodeLom(in));
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(*out, in);

  Lom empty;
  auto out2 = decodeLom(encodeLom(empty));
  ASSERT_TRUE(out2.ok());
  EXPECT_EQ(*out2, empty);
  EXPECT_EQ(out2->checksumType, "xxhash64");
}

TEST(LomTest, HoleBytesRoundTripAndADenseLomKeepsTheOlderFormat) {
  Lom dense = sampleLom();
  EXPECT_EQ(encodeLom(dense)[0], 3) << "a dense object's LOM stays readable by a v3 node";
  Lom sparse = sampleLom();
  sparse.size = 1 << 30;
  sparse.holeBytes = (1 << 30) - 4096;
  std::string bytes = encodeLom(sparse);
  EXPECT_EQ(bytes[0], 4);
  auto out = decodeLom(bytes);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(*out, sparse);
  sparse.holeBytes = sparse.size + 1;  // more holes than bytes: corrupt
  EXPECT_EQ(decodeLom(encodeLom(sparse)).code(), Code::kInternal);
}

TEST(LomTest, AnOlderFormatGetsItsXxhashAsTheChecksumValue) {
  Lom lom;
  lom.checksum = 0x0123456789abcdefULL;
  lom.blockSize = 65536;
  std::string v3 = encodeLom(lom);
  ASSERT_EQ(v3.back(), '\0');  // the empty checksum value, last
  std::string v2 = v3.substr(0, v3.size() - 1);
  v2[0] = 2;
  auto out = decodeLom(v2);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->checksumType, "xxhash64");
  EXPECT_EQ(out->checksumValue, "0123456789abcdef");
  EXPECT_EQ(out->blockSize, 65536u);
}

TEST(LomTest, EveryTruncationIsAnError) {
  std::string bytes = encodeLom(sampleLom());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decodeLom(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(decodeLom(bytes + "x").ok());
}

TEST(LomTest, GarbageIsAnError) {
  EXPECT_FALSE(decodeLom("").ok());
  EXPECT_FALSE(decodeLom(std::string(64, '\xff')).ok());
  std::string bytes = encodeLom(sampleLom());
  bytes[0] = 9;  // unknown format version
  EXPECT_FALSE(decodeLom(bytes).ok());
  bytes = encodeLom(sampleLom());
  bytes[1] = static_cast<char>(0x80);  // unknown flag
  EXPECT_FALSE(decodeLom(bytes).ok());
  // A huge custom count with no pairs behind it must fail fast, not allocate.
  Lom small;
  std::string s = encodeLom(small);
  s.back() = '\xff';
  s += std::string(9, '\xff') + "\x01";
  EXPECT_FALSE(decodeLom(s).ok());
}

TEST(LomTest, FuzzedBytesNeverCrash) {
  std::string good = encodeLom(sampleLom());
  uint64_t seed = 99;
  for (int i = 0; i < 20000; ++i) {
    std::string b = good;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      b[(seed >> 33) % b.size()] = static_cast<char>(seed >> 24);
    }
    auto r = decodeLom(b);
    if (r.ok()) {
      EXPECT_TRUE(decodeLom(encodeLom(*r)).ok());
    }
  }
}

}  // namespace
}  // namespace ais::store
