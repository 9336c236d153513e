#include "node/store/block_sums.h"

#include <xxh_x86dispatch.h>

#include <algorithm>

namespace ais::store {

namespace {
constexpr uint32_t kXxh3Flag = 0x80000000u;  // in the encoded block size
}  // namespace

uint64_t blockSum(BlockHash h, const void* data, size_t len) {
  return h == BlockHash::kXxh3 ? XXH3_64bits_dispatch(data, len) : XXH64(data, len, 0);
}

BlockHasher::BlockHasher(uint32_t blockSize)
    : blockSize_(blockSize),
      whole_(XXH64_createState(), &XXH64_freeState),
      block_(XXH3_createState(), &XXH3_freeState) {
  XXH64_reset(whole_.get(), 0);
  XXH3_64bits_reset(block_.get());
}

void BlockHasher::update(const void* data, size_t len) {
  XXH64_update(whole_.get(), data, len);
  size_ += len;
  auto p = static_cast<const char*>(data);
  while (len > 0) {
    size_t n = std::min<uint64_t>(len, blockSize_ - inBlock_);
    XXH3_64bits_update_dispatch(block_.get(), p, n);
    inBlock_ += n;
    p += n;
    len -= n;
    if (inBlock_ == blockSize_) {
      sums_.push_back(XXH3_64bits_digest(block_.get()));
      XXH3_64bits_reset(block_.get());
      inBlock_ = 0;
    }
  }
}

uint64_t BlockHasher::wholeChecksum() const { return XXH64_digest(whole_.get()); }

BlockSums BlockHasher::blocks() const {
  uint64_t count = blockCount(size_, blockSize_);
  if (count <= 1) {  // the one block's sum is the whole checksum (readBlocks relies on it)
    BlockSums one{blockSize_, {}, BlockHash::kXxh64};
    if (count == 1) one.sums.push_back(wholeChecksum());
    return one;
  }
  BlockSums b{blockSize_, sums_, BlockHash::kXxh3};
  if (inBlock_ > 0) b.sums.push_back(XXH3_64bits_digest(block_.get()));
  return b;
}

std::string encodeBlockSums(const BlockSums& b) {
  std::string out;
  out.reserve(4 + 8 * b.sums.size());
  uint32_t head = b.blockSize | (b.hash == BlockHash::kXxh3 ? kXxh3Flag : 0);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((head >> (8 * i)) & 0xFF));
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
  if (b.blockSize & kXxh3Flag) {
    b.hash = BlockHash::kXxh3;
    b.blockSize &= ~kXxh3Flag;
  }
  if (b.blockSize == 0) return Status(Code::kInternal, "bad block checksums: block size 0");
  for (size_t off = 4; off < bytes.size(); off += 8) {
    uint64_t s = 0;
    for (int i = 0; i < 8; ++i) s |= byte(off + i) << (8 * i);
    b.sums.push_back(s);
  }
  return b;
}

}  // namespace ais::store
