// Digests behind one adapter over OpenSSL and ISA-L: MD5 (S3 ETags, Content-MD5, the md5
// checksum type), SHA-256 and HMAC-SHA256 (SigV4, the sha256 checksum type), CRC32/CRC32C
// (x-amz-checksum-*, the crc32c checksum type), hex and base64.
#pragma once

#include <cstdint>
#include <memory>
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

// Incremental digest: "md5", "sha256", "sha1", "crc32", "crc32c", "xxhash64". Raw bytes from
// finish(); CRCs as 4 big-endian bytes, the way x-amz-checksum-crc32* carries them (base64 of
// those), xxhash64 (seed 0) as 8 big-endian bytes.
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
