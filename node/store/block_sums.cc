#include "node/store/block_sums.h"

#include <algorithm>

namespace ais::store {

BlockHasher::BlockHasher(uint32_t blockSize)
    : blockSize_(blockSize),
      whole_(XXH64_createState(), &XXH64_freeState),
      block_(XXH64_createState(), &XXH64_freeState) {
  XXH64_reset(whole_.get(), 0);
  XXH64_reset(block_.get(), 0);
}

void BlockHasher::update(const void* data, size_t len) {
  XXH64_update(whole_.get(), data, len);
  size_ += len;
  auto p = static_cast<const char*>(data);
  while (len > 0) {
    size_t n = std::min<uint64_t>(len, blockSize_ - inBlock_);
    XXH64_update(block_.get(), p, n);
    inBlock_ += n;
    p += n;
    len -= n;
    if (inBlock_ == blockSize_) {
      sums_.push_back(XXH64_digest(block_.get()));
      XXH64_reset(block_.get(), 0);
      inBlock_ = 0;
    }
  }
}

uint64_t BlockHasher::wholeChecksum() const { return XXH64_digest(whole_.get()); }

BlockSums BlockHasher::blocks() const {
  BlockSums b{blockSize_, sums_};
  if (inBlock_ > 0) b.sums.push_back(XXH64_digest(block_.get()));
  return b;
}

std::string encodeBlockSums(const BlockSums& b) {
  std::string out;
  out.reserve(4 + 8 * b.sums.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((b.blockSize >> (8 * i)) & 0xFF));
  for (uint64_t s : b.sums) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((s >> (8 * i)) & 0xFF));
  }
  return out;
}

Result<BlockSums> decodeBlockSums(std::string_view bytes) {
  if (bytes.size() < 4 || (bytes.size() - 4) % 8 != 0) {
    return Status(Code::kInternal, "bad block checksums: length " + std::to_string(bytes.size()));
  }
  auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])); };
  BlockSums b;
  for (int i = 0; i < 4; ++i) b.blockSize |= static_cast<uint32_t>(byte(i) << (8 * i));
  if (b.blockSize == 0) return Status(Code::kInternal, "bad block checksums: block size 0");
  for (size_t off = 4; off < bytes.size(); off += 8) {
    uint64_t s = 0;
    for (int i = 0; i < 8; ++i) s |= byte(off + i) << (8 * i);
    b.sums.push_back(s);
  }
  return b;
}

}  // namespace ais::store
