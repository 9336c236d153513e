#include "common/digest.h"

#include <isa-l/crc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

#include <algorithm>
#include <initializer_list>

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

namespace {

// SHA-256 for the request path (SigV4 hashes a canonical request and computes an HMAC per
// request): the algorithm fetched once and a context per thread reused. OpenSSL 3's one-shot
// HMAC() and a new context per digest look the algorithm up and allocate on every call: 3-4x
// the hashing itself for the few hundred bytes of a request.
class Sha256 {
 public:
  static constexpr size_t kBlock = 64, kSize = 32;
  Sha256() : ctx_(EVP_MD_CTX_new()) {}
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // The digest of the concatenated parts.
  void digest(std::initializer_list<std::string_view> parts, unsigned char out[kSize]) {
    EVP_DigestInit_ex2(ctx_, md(), nullptr);
    for (std::string_view p : parts) EVP_DigestUpdate(ctx_, p.data(), p.size());
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
  }

  static Sha256& ofThread() {
    thread_local Sha256 h;
    return h;
  }

 private:
  static const EVP_MD* md() {
    static EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
  }
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string sha256(std::string_view data) {
  unsigned char out[Sha256::kSize];
  Sha256::ofThread().digest({data}, out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  // RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), a key longer than a block hashed first.
  Sha256& h = Sha256::ofThread();
  unsigned char k[Sha256::kBlock] = {};
  if (key.size() > Sha256::kBlock) {
    h.digest({key}, k);
  } else {
    std::copy(key.begin(), key.end(), k);
  }
  char ipad[Sha256::kBlock], opad[Sha256::kBlock];
  for (size_t i = 0; i < Sha256::kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  unsigned char inner[Sha256::kSize], out[Sha256::kSize];
  h.digest({std::string_view(ipad, sizeof ipad), data}, inner);
  h.digest({std::string_view(opad, sizeof opad),
            std::string_view(reinterpret_cast<char*>(inner), sizeof inner)},
           out);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

namespace {

std::string hmacWith(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string hmacSha1(std::string_view key, std::string_view data) {
  return hmacWith(EVP_sha1(), key, data);
}

namespace {

// Reflected polynomial of CRC-64/NVME (init and xorout all ones).
constexpr uint64_t kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ull;

// CRC-64/NVME: the ISA-L in Debian 12 has no function for it. Slicing by 8: eight tables, eight
// bytes per step.
class Crc64Nvme {
 public:
  static const Crc64Nvme& get() {
    static const Crc64Nvme tables;
    return tables;
  }
  // `crc` and the result in the finalized form (0 for no bytes).
  uint64_t update(uint64_t crc, const unsigned char* p, size_t n) const {
    crc = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w = 0;
      for (int i = 7; i >= 0; --i) w = (w << 8) | p[i];  // little-endian load
      crc ^= w;
      crc = t_[7][crc & 0xFF] ^ t_[6][(crc >> 8) & 0xFF] ^ t_[5][(crc >> 16) & 0xFF] ^
            t_[4][(crc >> 24) & 0xFF] ^ t_[3][(crc >> 32) & 0xFF] ^ t_[2][(crc >> 40) & 0xFF] ^
            t_[1][(crc >> 48) & 0xFF] ^ t_[0][crc >> 56];
    }
    for (; n > 0; ++p, --n) crc = t_[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return ~crc;
  }

 private:
  Crc64Nvme() {
    for (uint64_t b = 0; b < 256; ++b) {
      uint64_t c = b;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc64NvmePoly : c >> 1;
      t_[0][b] = c;
    }
    for (int j = 1; j < 8; ++j) {
      for (int b = 0; b < 256; ++b) t_[j][b] = t_[0][t_[j - 1][b] & 0xFF] ^ (t_[j - 1][b] >> 8);
    }
  }
  uint64_t t_[8][256];
};

}  // namespace

namespace {

// Arithmetic modulo a CRC's polynomial in the reflected bit order (bit W-1 is x^0), as zlib's
// crc32_combine does it: crc(A||B) = crc(A) * x^(8*|B|) + crc(B).
struct CrcField {
  int width;
  uint64_t poly;  // reflected

  uint64_t top() const { return uint64_t{1} << (width - 1); }  // x^0
  uint64_t mul(uint64_t a, uint64_t b) const {
    uint64_t m = top(), p = 0;
    for (;;) {
      if (a & m) {
        p ^= b;
        if ((a & (m - 1)) == 0) break;
      }
      m >>= 1;
      b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }
    return p;
  }
  // x^(8n)
  uint64_t shiftBytes(uint64_t n) const {
    uint64_t sq = top() >> 1;                      // x^1
    uint64_t p = top();                            // x^0
    for (int k = 0; k < 3; ++k) sq = mul(sq, sq);  // x^8
    for (; n; n >>= 1, sq = mul(sq, sq)) {
      if (n & 1) p = mul(sq, p);
    }
    return p;
  }
};

}  // namespace

std::optional<std::string> combineCrc(std::string_view algorithm, std::string_view crcA,
                                      std::string_view crcB, uint64_t lengthB) {
  std::optional<CrcField> f;
  if (algorithm == "crc32") f = CrcField{32, 0xEDB88320u};
  if (algorithm == "crc32c") f = CrcField{32, 0x82F63B78u};
  if (algorithm == "crc64nvme") f = CrcField{64, kCrc64NvmePoly};
  size_t bytes = f ? static_cast<size_t>(f->width / 8) : 0;
  if (!f || crcA.size() != bytes || crcB.size() != bytes) return std::nullopt;
  auto load = [&](std::string_view s) {
    uint64_t v = 0;
    for (unsigned char c : s) v = (v << 8) | c;
    return v;
  };
  uint64_t v = f->mul(f->shiftBytes(lengthB), load(crcA)) ^ load(crcB);
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xFF);
  return out;
}

struct Hasher::State {
  enum class Crc { kNone, kCrc32, kCrc32c, kCrc64Nvme };
  EVP_MD_CTX* md = nullptr;
  XXH64_state_t* xxh = nullptr;
  Crc crc = Crc::kNone;
  uint64_t crcValue = 0;  // the CRC of what was hashed so far (standard, finalized form)
};

Hasher::Hasher(std::string_view algorithm) : st_(std::make_unique<State>()) {
  const EVP_MD* md = nullptr;
  if (algorithm == "md5") md = EVP_md5();
  if (algorithm == "sha256") md = EVP_sha256();
  if (algorithm == "sha1") md = EVP_sha1();
  if (algorithm == "crc32") st_->crc = State::Crc::kCrc32;
  if (algorithm == "crc32c") st_->crc = State::Crc::kCrc32c;
  if (algorithm == "crc64nvme") st_->crc = State::Crc::kCrc64Nvme;
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
      st_->crcValue = crc32_gzip_refl(static_cast<uint32_t>(st_->crcValue), p,
                                      data.size());  // finalizes itself
    } else if (st_->crc == State::Crc::kCrc64Nvme) {
      st_->crcValue = Crc64Nvme::get().update(st_->crcValue, p, data.size());
    } else {
      // ISA-L's iSCSI CRC works on the raw register: invert in and out for the standard form.
      uint32_t v = static_cast<uint32_t>(st_->crcValue);
      for (size_t off = 0; off < data.size();) {
        int n = static_cast<int>(std::min<size_t>(data.size() - off, 1 << 30));
        v = ~crc32_iscsi(const_cast<unsigned char*>(p + off), n, ~v);
        off += static_cast<size_t>(n);
      }
      st_->crcValue = v;
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
  uint64_t v = st_->crcValue;
  int bytes = st_->crc == State::Crc::kCrc64Nvme ? 8 : 4;
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = 0; i < bytes; ++i) {
    out[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xFF);
  }
  return out;
}

}  // namespace ais
