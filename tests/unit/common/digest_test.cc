// The digests the S3 gateway and the checksum types rely on, against their published check values,
// whole and fed in pieces.
#include "common/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace ais {
namespace {

std::string digestHex(std::string_view alg, std::string_view data, size_t piece) {
  Hasher h(alg);
  EXPECT_TRUE(h.valid()) << alg;
  for (size_t off = 0; off < data.size(); off += piece) h.update(data.substr(off, piece));
  return toHex(h.finish());
}

TEST(Digest, CheckValuesWholeAndInPieces) {
  const std::string nine = "123456789";
  for (size_t piece : {size_t{1}, size_t{4}, size_t{100}}) {
    EXPECT_EQ(digestHex("crc32", nine, piece), "cbf43926");
    EXPECT_EQ(digestHex("crc32c", nine, piece), "e3069283");
    EXPECT_EQ(digestHex("crc64nvme", nine, piece), "ae8b14860a799888");
    EXPECT_EQ(digestHex("md5", "abc", piece), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(digestHex("xxhash64", "abc", piece), "44bc2cf5ad770999");
    EXPECT_EQ(digestHex("sha256", "abc", piece),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  EXPECT_EQ(digestHex("crc32c", "", 1), "00000000");
  std::string big(1 << 20, 'x');
  EXPECT_EQ(digestHex("crc32c", big, 1 << 20), digestHex("crc32c", big, 4093));
  EXPECT_EQ(digestHex("crc64nvme", "", 1), "0000000000000000");
  // Slicing by 8 and byte by byte agree, whatever the alignment of the pieces.
  std::string mixed;
  for (int i = 0; i < 100003; ++i) mixed += static_cast<char>(i * 131 + (i >> 7));
  EXPECT_EQ(digestHex("crc64nvme", mixed, 1), digestHex("crc64nvme", mixed, 1 << 20));
  EXPECT_EQ(digestHex("crc64nvme", mixed, 13), digestHex("crc64nvme", mixed, 4096));
  EXPECT_FALSE(Hasher("crc64").valid());
  EXPECT_EQ(base64Decode(base64Encode("hello")), "hello");
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

}  // namespace
// A multipart upload's full-object CRC from its parts' CRCs and lengths equals the CRC of the
// whole, for every CRC and for empty and uneven parts.
TEST(Digest, CombinedCrcsAreTheWholesCrc) {
  std::string whole;
  for (int i = 0; i < 70001; ++i) whole += static_cast<char>(i * 7 + (i >> 9));
  for (const char* alg : {"crc32", "crc32c", "crc64nvme"}) {
    for (size_t cut : {size_t{0}, size_t{1}, size_t{4096}, size_t{70000}, whole.size()}) {
      auto crc = [&](std::string_view s) {
        Hasher h(alg);
        h.update(s);
        return h.finish();
      };
      std::string_view a = std::string_view(whole).substr(0, cut);
      std::string_view b = std::string_view(whole).substr(cut);
      auto combined = combineCrc(alg, crc(a), crc(b), b.size());
      ASSERT_TRUE(combined.has_value()) << alg;
      EXPECT_EQ(toHex(*combined), toHex(crc(whole))) << alg << " cut " << cut;
    }
  }
  EXPECT_FALSE(combineCrc("sha256", "x", "y", 1).has_value());
  EXPECT_FALSE(combineCrc("crc32", "abc", "abcd", 1).has_value());
}

// SHA-256 (FIPS 180-2 "abc" and the empty string), HMAC-SHA256 (RFC 4231 cases 2 and 6: a
// short key and one longer than a block) and AWS's published SigV4 signing key example, each
// twice on one thread (its context is reused).
TEST(Digest, Sha256AndHmacSha256CheckValues) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(toHex(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(toHex(sha256("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(toHex(hmacSha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(toHex(hmacSha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    std::string k = hmacSha256("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215");
    k = hmacSha256(k, "us-east-1");
    k = hmacSha256(k, "iam");
    k = hmacSha256(k, "aws4_request");
    EXPECT_EQ(toHex(k), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  }
}

}  // namespace ais
