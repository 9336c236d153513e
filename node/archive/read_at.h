// ReadAt: how archive code reads the bytes of a shard (a file, an object's verified reader, a
// restored buffer) without knowing which. Pure functions of those bytes, so they unit-test on
// buffers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace ais::archive {

// Reads up to len bytes at off into buf; returns how many (fewer only at the end).
using ReadAt = std::function<Result<size_t>(char* buf, size_t len, uint64_t off)>;

// The error of a shard that is not a readable archive: what is wrong and where.
inline Status badArchive(std::string what) { return Status(Code::kBadArchive, std::move(what)); }

// Exactly len bytes at off, or kBadArchive naming `what` if the shard ends first.
Status readExactly(const ReadAt& readAt, char* buf, size_t len, uint64_t off, const char* what);

// Little-endian fields of the binary formats (ZIP, LZ4 frames, gzip trailers).
inline uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
inline uint32_t le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline uint64_t le64(const unsigned char* p) {
  return uint64_t{le32(p)} | uint64_t{le32(p + 4)} << 32;
}

}  // namespace ais::archive
