#include "common/digest.h"

#include <isa-l/crc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

#include <algorithm>

namespace ais {

std::string toHex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return {};
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256(std::string_view data) {
  Hasher h("sha256");
  h.update(data);
  return h.finish();
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct Hasher::State {
  enum class Crc { kNone, kCrc32, kCrc32c };
  EVP_MD_CTX* md = nullptr;
  XXH64_state_t* xxh = nullptr;
  Crc crc = Crc::kNone;
  uint32_t crcValue = 0;  // the CRC of what was hashed so far (standard, finalized form)
};

Hasher::Hasher(std::string_view algorithm) : st_(std::make_unique<State>()) {
  const EVP_MD* md = nullptr;
  if (algorithm == "md5") md = EVP_md5();
  if (algorithm == "sha256") md = EVP_sha256();
  if (algorithm == "sha1") md = EVP_sha1();
  if (algorithm == "crc32") st_->crc = State::Crc::kCrc32;
  if (algorithm == "crc32c") st_->crc = State::Crc::kCrc32c;
  if (algorithm == "xxhash64") {
    st_->xxh = XXH64_createState();
    XXH64_reset(st_->xxh, 0);
  }
  if (md) {
    st_->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(st_->md, md, nullptr);
  }
}

Hasher::~Hasher() {
  if (st_->md) EVP_MD_CTX_free(st_->md);
  if (st_->xxh) XXH64_freeState(st_->xxh);
}

bool Hasher::valid() const { return st_->md || st_->xxh || st_->crc != State::Crc::kNone; }

void Hasher::update(std::string_view data) {
  if (st_->md) {
    EVP_DigestUpdate(st_->md, data.data(), data.size());
  } else if (st_->xxh) {
    XXH64_update(st_->xxh, data.data(), data.size());
  } else if (st_->crc != State::Crc::kNone) {
    auto p = reinterpret_cast<const unsigned char*>(data.data());
    if (st_->crc == State::Crc::kCrc32) {
      st_->crcValue = crc32_gzip_refl(st_->crcValue, p, data.size());  // finalizes itself
    } else {
      // ISA-L's iSCSI CRC works on the raw register: invert in and out for the standard form.
      for (size_t off = 0; off < data.size();) {
        int n = static_cast<int>(std::min<size_t>(data.size() - off, 1 << 30));
        st_->crcValue = ~crc32_iscsi(const_cast<unsigned char*>(p + off), n, ~st_->crcValue);
        off += static_cast<size_t>(n);
      }
    }
  }
}

std::string Hasher::finish() {
  if (st_->md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(st_->md, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }
  if (st_->xxh) {
    XXH64_canonical_t c;
    XXH64_canonicalFromHash(&c, XXH64_digest(st_->xxh));  // big-endian, like the CRCs
    return std::string(reinterpret_cast<const char*>(c.digest), sizeof c.digest);
  }
  uint32_t v = st_->crcValue;
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
  return out;
}

}  // namespace ais
