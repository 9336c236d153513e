// The payload of an S3 write (PutObject, UploadPart): decodes aws-chunked bodies (signed chunks
// verified one by one, unsigned ones, trailing headers) and checks, once the body is complete,
// everything the client asserted about it: x-amz-content-sha256, Content-MD5, the
// x-amz-checksum-* headers or trailers. Computes the MD5 ETag on the way. Callers store what
// read() returns and commit only if finish() found nothing wrong.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "node/gateway/http_server.h"
#include "node/gateway/s3_auth_sigv4.h"
#include "node/gateway/s3_errors.h"

namespace ais::gateway {

// The x-amz-checksum-* algorithms checked on upload, kept with the object and returned to
// GET/HEAD with x-amz-checksum-mode: ENABLED.
inline constexpr std::string_view kChecksumAlgorithms[] = {"crc32", "crc32c", "crc64nvme", "sha1",
                                                           "sha256"};
inline bool knownChecksum(std::string_view alg) {
  for (std::string_view a : kChecksumAlgorithms) {
    if (a == alg) return true;
  }
  return false;
}

class PayloadReader {
 public:
  PayloadReader(Exchange& ex, const S3Auth& auth);
  // Header-level problems (bad Content-MD5, unknown encoding); check before reading.
  const std::optional<S3Error>& error() const { return error_; }
  // Payload size if the client declared it.
  std::optional<uint64_t> declaredLength() const { return declared_; }

  // Up to n decoded payload bytes; 0 at the end. On failure returns 0 and sets error().
  size_t read(char* buf, size_t n);
  // After read() returned 0: verifies digests; sets error() on a mismatch. False on error.
  bool finish();
  std::string md5Hex() const { return md5Hex_; }
  // After finish(): the x-amz-checksum-* the client sent and the body matched, as
  // {algorithm, base64 value}; nullopt if it sent none.
  std::optional<std::pair<std::string, std::string>> verifiedChecksum() const {
    if (verifiedChecksum_.empty()) return std::nullopt;
    return std::make_pair(checksumAlg_, verifiedChecksum_);
  }
  uint64_t bytes() const { return total_; }

 private:
  size_t readRaw(char* buf, size_t n);
  bool fill();                        // more raw bytes into raw_; false at EOF or error
  std::optional<std::string> line();  // one CRLF-terminated line of the chunked framing
  size_t readChunked(char* buf, size_t n);
  void fail(S3Error e) {
    if (!error_) error_ = std::move(e);
  }

  Exchange& ex_;
  const S3Auth& auth_;
  std::optional<S3Error> error_;
  std::optional<uint64_t> declared_;
  bool chunked_ = false;
  bool signedChunks_ = false;
  bool done_ = false;
  uint64_t total_ = 0;

  Hasher md5_{"md5"};
  std::unique_ptr<Hasher> sha256_;  // signed payload hash to check
  std::string expectSha256_;
  std::string expectMd5_;       // raw bytes from Content-MD5
  std::string checksumAlg_;     // one of kChecksumAlgorithms
  std::string checksumHeader_;  // x-amz-checksum-<alg>
  std::string expectChecksum_;  // base64, header or trailer
  std::unique_ptr<Hasher> checksum_;
  std::string verifiedChecksum_;  // base64, once finish() matched it
  std::string md5Hex_;

  // aws-chunked state
  std::string raw_;
  size_t rawPos_ = 0;
  bool rawEof_ = false;
  uint64_t chunkLeft_ = 0;
  std::string chunkSig_;
  std::string prevSig_;
  std::unique_ptr<Hasher> chunkHash_;
  bool inChunk_ = false;
};

}  // namespace ais::gateway
