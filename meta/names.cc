#include "meta/names.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace ais::meta {
namespace {

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong encodings, surrogates and out-of-range code points are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

Status validateBucketName(std::string_view name) {
  auto bad = [&](const char* why) {
    return Status(Code::kBadBucketName, "\"" + std::string(name) + "\": " + why);
  };
  if (name.size() < 3 || name.size() > 63) return bad("must be 3 to 63 characters long");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return bad("only lowercase letters, digits, '.' and '-' are allowed");
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back()))
    return bad("must begin and end with a letter or digit");
  if (name.find("..") != std::string_view::npos) return bad("must not contain \"..\"");
  // (Each dot-separated label is a DNS label: it neither begins nor ends with '-'.)
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos) {
    return bad("must not have '-' next to '.'");
  }
  int dots = 0;
  bool digitsAndDots = true;
  for (char c : name) {
    dots += c == '.';
    if (!(c == '.' || (c >= '0' && c <= '9'))) digitsAndDots = false;
  }
  if (digitsAndDots && dots == 3) return bad("must not be formatted as an IP address");
  return Status::OK();
}

Status validateObjectName(std::string_view name) {
  auto bad = [&](const char* why) {
    std::string shown(name.substr(0, 64));
    for (auto& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    }
    if (name.size() > 64) shown += "...";
    return Status(Code::kBadObjectName, "\"" + shown + "\": " + why);
  };
  if (name.empty()) return bad("object name is empty");
  // (A directory's marker, "path/", may take one byte more: the path itself is within the limit.)
  if (name.size() > kMaxObjectNameBytes + (name.ends_with('/') ? 1 : 0)) {
    return bad("longer than 4095 bytes");
  }
  if (name.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  if (!validUtf8(name)) return bad("not valid UTF-8");
  if (name.front() == '/') return bad("must not begin with '/'");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return bad("must not contain a \"..\" component");
    start = end + 1;
  }
  return Status::OK();
}

bool validVersionId(std::string_view id) {
  if (id == kNullVersionId) return true;
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string newVersionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return fmt::format("{:016x}{:016x}", static_cast<uint64_t>(ns), rng());
}

Status validateNameIn(std::string_view bucket, std::string_view name) {
  if (!isVersionsBucket(bucket)) return validateObjectName(name);
  auto [key, id] = splitVersionName(name);
  if (key.size() == name.size() || !validVersionId(id)) {
    return Status(Code::kBadObjectName, "not the name of an object version");
  }
  return validateObjectName(key);
}

Status refuseReservedBucket(std::string_view name) {
  if (!isReservedBucket(name)) return Status::OK();
  return Status(Code::kBadBucketName,
                "ais://" + std::string(name) + " is reserved (the S3 gateway's multipart uploads)");
}

}  // namespace ais::meta
