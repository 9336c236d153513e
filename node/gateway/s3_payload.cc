#include "node/gateway/s3_payload.h"

#include <algorithm>

#include "common/ascii.h"

namespace ais::gateway {

namespace {

bool isHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

constexpr size_t kMaxLine = 4096;

}  // namespace

PayloadReader::PayloadReader(Exchange& ex, const S3Auth& auth) : ex_(ex), auth_(auth) {
  const std::string& ph = auth.payloadHash;
  std::string_view enc = ex.header(http::field::content_encoding);
  // The payload hash says whether the body is chunk-framed, as S3 decides it; aws-chunked in
  // Content-Encoding alone is framing only with the decoded length beside it (a plain body
  // sent with "Content-Encoding: gzip, aws-chunked" and its own SHA-256 is not framed).
  bool framedByEncoding = enc.find("aws-chunked") != std::string_view::npos &&
                          !ex.header("x-amz-decoded-content-length").empty() && !isHex64(ph);
  if (ph.rfind("STREAMING-", 0) == 0 || framedByEncoding) {
    chunked_ = true;
    signedChunks_ = ph == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
                    ph == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    if (ph.rfind("STREAMING-", 0) == 0 && ph != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" &&
        ph != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" &&
        ph != "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
      fail(s3Error("NotImplemented", "payload " + ph));
    }
    prevSig_ = auth.seedSignature;
    std::string_view dl = ex.header("x-amz-decoded-content-length");
    if (!dl.empty()) {
      try {
        declared_ = std::stoull(std::string(dl));
      } catch (...) {
        fail(s3Error("InvalidArgument", "bad x-amz-decoded-content-length"));
      }
    }
  } else {
    declared_ = ex.contentLength();
    if (isHex64(ph) && auth.verified) {
      sha256_ = std::make_unique<Hasher>("sha256");
      expectSha256_ = ph;
    }
  }
  std::string_view cmd5 = ex.header("content-md5");
  if (ex.headers().count("content-md5") != 0) {  // (present but empty is invalid too)
    expectMd5_ = base64Decode(cmd5);
    if (expectMd5_.size() != 16) fail(s3Error("InvalidDigest"));
  }
  // A checksum either as a header now or announced as a trailer (x-amz-trailer).
  std::string trailer = asciiLower(ex.header("x-amz-trailer"));
  for (std::string_view alg : kChecksumAlgorithms) {
    std::string h = "x-amz-checksum-" + std::string(alg);
    std::string_view v = ex.header(h);
    if (!v.empty() || trailer == h) {
      checksumAlg_ = alg;
      checksumHeader_ = h;
      expectChecksum_ = v;
      checksum_ = std::make_unique<Hasher>(alg);
    }
  }
  if (!trailer.empty() && checksumHeader_.empty()) {
    fail(s3Error("InvalidRequest", "unsupported trailer " + trailer));
  }
  // A checksum in an algorithm not listed above cannot be checked: refused, never accepted
  // unchecked. (x-amz-checksum-type describes the others; it carries no value to check.)
  for (const auto& f : ex.headers()) {
    std::string name = asciiLower(toStd(f.name_string()));
    if (name.rfind("x-amz-checksum-", 0) != 0 || name == "x-amz-checksum-type") continue;
    std::string alg = name.substr(15);
    if (!knownChecksum(alg)) {
      fail(s3Error("NotImplemented", "checksum algorithm " + alg + " is not supported"));
    }
  }
  // A full-object checksum of a single PUT is what there is; a composite one is for multipart.
  std::string type = asciiLower(ex.header("x-amz-checksum-type"));
  if (!type.empty() && type != "full_object") {
    fail(s3Error("InvalidRequest", "x-amz-checksum-type " + type + " on a single upload"));
  }
}

bool PayloadReader::fill() {
  if (rawEof_) return false;
  if (rawPos_ > 0 && rawPos_ == raw_.size()) {
    raw_.clear();
    rawPos_ = 0;
  }
  size_t old = raw_.size();
  raw_.resize(old + (64 << 10));
  auto n = ex_.readBody(raw_.data() + old, 64 << 10);
  if (!n.ok()) {
    raw_.resize(old);
    rawEof_ = true;
    fail(s3Error("IncompleteBody", n.status().message()));
    return false;
  }
  raw_.resize(old + *n);
  if (*n == 0) {
    rawEof_ = true;
    return false;
  }
  return true;
}

size_t PayloadReader::readRaw(char* buf, size_t n) {
  if (rawPos_ < raw_.size()) {
    size_t k = std::min(n, raw_.size() - rawPos_);
    std::copy_n(raw_.data() + rawPos_, k, buf);
    rawPos_ += k;
    return k;
  }
  if (chunked_) {
    if (!fill()) return 0;
    return readRaw(buf, n);
  }
  auto r = ex_.readBody(buf, n);
  if (!r.ok()) {
    fail(s3Error("IncompleteBody", r.status().message()));
    return 0;
  }
  return *r;
}

std::optional<std::string> PayloadReader::line() {
  while (true) {
    size_t eol = raw_.find("\r\n", rawPos_);
    if (eol != std::string::npos) {
      std::string l = raw_.substr(rawPos_, eol - rawPos_);
      rawPos_ = eol + 2;
      return l;
    }
    if (raw_.size() - rawPos_ > kMaxLine) {
      fail(s3Error("InvalidRequest", "aws-chunked framing line too long"));
      return std::nullopt;
    }
    if (rawPos_ > 0) {
      raw_.erase(0, rawPos_);
      rawPos_ = 0;
    }
    if (!fill()) {
      fail(s3Error("IncompleteBody", "aws-chunked body ends early"));
      return std::nullopt;
    }
  }
}

size_t PayloadReader::readChunked(char* buf, size_t n) {
  while (!done_) {
    if (inChunk_ && chunkLeft_ > 0) {
      size_t k = readRaw(buf, std::min<uint64_t>(n, chunkLeft_));
      if (k == 0) {
        fail(s3Error("IncompleteBody", "aws-chunked chunk truncated"));
        return 0;
      }
      chunkLeft_ -= k;
      if (chunkHash_) chunkHash_->update(std::string_view(buf, k));
      return k;
    }
    if (inChunk_) {  // end of a data chunk: CRLF, then its signature
      auto crlf = line();
      if (!crlf) return 0;
      if (!crlf->empty()) {
        fail(s3Error("IncompleteBody", "aws-chunked chunk longer than declared"));
        return 0;
      }
      inChunk_ = false;
      continue;
    }
    auto hdr = line();
    if (!hdr) return 0;
    size_t semi = hdr->find(';');
    std::string sizeHex = hdr->substr(0, semi);
    uint64_t size = 0;
    try {
      size_t pos = 0;
      size = std::stoull(sizeHex, &pos, 16);
      if (pos != sizeHex.size()) throw std::invalid_argument(sizeHex);
    } catch (...) {
      fail(s3Error("InvalidRequest", "bad aws-chunked chunk size"));
      return 0;
    }
    std::string sig;
    if (semi != std::string::npos) {
      std::string ext = hdr->substr(semi + 1);
      if (ext.rfind("chunk-signature=", 0) == 0) sig = ext.substr(16);
    }
    if (signedChunks_ && auth_.verified) {
      if (sig.empty()) {
        fail(s3Error("SignatureDoesNotMatch", "chunk without signature"));
        return 0;
      }
    }
    if (size == 0) {
      if (signedChunks_ && auth_.verified &&
          !constantTimeEquals(chunkSignature(auth_, prevSig_, ""), sig)) {
        fail(s3Error("SignatureDoesNotMatch", "last chunk signature"));
        return 0;
      }
      if (!sig.empty()) prevSig_ = sig;
      // Trailers until an empty line.
      std::string trailers;
      std::string trailerSig;
      while (true) {
        auto t = line();
        if (!t) return 0;
        if (t->empty()) break;
        size_t colon = t->find(':');
        if (colon == std::string::npos) {
          fail(s3Error("InvalidRequest", "bad trailer"));
          return 0;
        }
        std::string name = asciiLower(t->substr(0, colon));
        std::string value = t->substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "x-amz-trailer-signature") {
          trailerSig = value;
          continue;
        }
        trailers += name + ":" + value + "\n";
        if (name == checksumHeader_) expectChecksum_ = value;
      }
      if (auth_.payloadHash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" && auth_.verified &&
          !constantTimeEquals(trailerSignature(auth_, prevSig_, trailers), trailerSig)) {
        fail(s3Error("SignatureDoesNotMatch", "trailer signature"));
        return 0;
      }
      done_ = true;
      return 0;
    }
    if (signedChunks_ && auth_.verified) {
      // Hashed while streaming; read() compares when the chunk's data is complete.
      chunkSig_ = sig;
      chunkHash_ = std::make_unique<Hasher>("sha256");
    }
    inChunk_ = true;
    chunkLeft_ = size;
  }
  return 0;
}

size_t PayloadReader::read(char* buf, size_t n) {
  if (error_ || done_) return 0;
  size_t k = 0;
  if (!chunked_) {
    k = readRaw(buf, n);
    if (k == 0) done_ = true;
  } else {
    k = readChunked(buf, n);
    // A data chunk just ended: its signature must match before anything else is accepted.
    if (!error_ && inChunk_ && chunkLeft_ == 0 && chunkHash_) {
      std::string h = toHex(chunkHash_->finish());
      chunkHash_.reset();
      static const std::string kEmptyHash = toHex(sha256(""));
      std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + auth_.amzDate + "\n" + auth_.scope + "\n" +
                        prevSig_ + "\n" + kEmptyHash + "\n" + h;
      std::string expect = toHex(hmacSha256(auth_.signingKey, sts));
      if (!constantTimeEquals(expect, chunkSig_)) {
        fail(s3Error("SignatureDoesNotMatch", "chunk signature"));
        return 0;
      }
      prevSig_ = chunkSig_;
    }
  }
  if (error_) return 0;
  std::string_view data(buf, k);
  md5_.update(data);
  if (sha256_) sha256_->update(data);
  if (checksum_) checksum_->update(data);
  total_ += k;
  return k;
}

bool PayloadReader::finish() {
  if (error_) return false;
  md5Hex_ = toHex(md5_.finish());
  if (declared_ && *declared_ != total_) {
    fail(s3Error("IncompleteBody"));
    return false;
  }
  if (sha256_ && toHex(sha256_->finish()) != expectSha256_) {
    fail(s3Error("XAmzContentSHA256Mismatch"));
    return false;
  }
  if (!expectMd5_.empty() && toHex(expectMd5_) != md5Hex_) {
    fail(s3Error("BadDigest"));
    return false;
  }
  if (checksum_) {
    std::string got = base64Encode(checksum_->finish());
    if (expectChecksum_.empty()) {
      fail(s3Error("InvalidRequest", "missing " + checksumHeader_));
      return false;
    }
    if (got != expectChecksum_) {
      fail(s3Error("BadDigest", "the " + checksumHeader_ + " you specified did not match"));
      return false;
    }
    verifiedChecksum_ = std::move(got);
  }
  return true;
}

}  // namespace ais::gateway
