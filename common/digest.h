// Digests behind one adapter over OpenSSL and ISA-L: MD5 (S3 ETags, Content-MD5, the md5
// checksum type), SHA-256 and HMAC-SHA256 (SigV4, the sha256 checksum type), HMAC-SHA1 (SigV2),
// CRC32/CRC32C (x-amz-checksum-*, the crc32c checksum type), CRC64/NVME (x-amz-checksum-crc64nvme,
// S3's default checksum), hex and base64.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ais {

std::string toHex(std::string_view bytes);
std::string base64Encode(std::string_view bytes);
// Empty on malformed input.
std::string base64Decode(std::string_view text);

// Equal bytes, compared in time that depends only on the lengths (signatures, MACs).
bool constantTimeEquals(std::string_view a, std::string_view b);

std::string sha256(std::string_view data);                            // raw 32 bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hmacSha1(std::string_view key, std::string_view data);    // raw 20 bytes (SigV2)

// The CRC ("crc32", "crc32c" or "crc64nvme"; raw big-endian bytes as Hasher gives them) of A
// followed by B, from the CRCs of A and B and B's length, without the bytes (a multipart upload's
// full-object checksum from its parts'). nullopt for another algorithm or malformed CRCs.
std::optional<std::string> combineCrc(std::string_view algorithm, std::string_view crcA,
                                      std::string_view crcB, uint64_t lengthB);

// Incremental digest: "md5", "sha256", "sha1", "crc32", "crc32c", "crc64nvme", "xxhash64". Raw
// bytes from finish(); CRCs big-endian (4 bytes, 8 for crc64nvme), the way x-amz-checksum-*
// carries them (base64 of those), xxhash64 (seed 0) as 8 big-endian bytes.
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  bool valid() const;
  void update(std::string_view data);
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace ais
