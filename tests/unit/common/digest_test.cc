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
    EXPECT_EQ(digestHex("md5", "abc", piece), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(digestHex("xxhash64", "abc", piece), "44bc2cf5ad770999");
    EXPECT_EQ(digestHex("sha256", "abc", piece),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  EXPECT_EQ(digestHex("crc32c", "", 1), "00000000");
  std::string big(1 << 20, 'x');
  EXPECT_EQ(digestHex("crc32c", big, 1 << 20), digestHex("crc32c", big, 4093));
  EXPECT_FALSE(Hasher("crc64nvme").valid());
  EXPECT_EQ(base64Decode(base64Encode("hello")), "hello");
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

}  // namespace
}  // namespace ais
