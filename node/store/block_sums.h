// Per-block checksums: an object's content is hashed in fixed blocks beside the whole-object
// checksum (XXH64, seed 0), so any byte range is verified by reading only the blocks it touches.
// An object of one block needs no list: its block sum is the whole-object checksum (XXH64).
// Objects of several blocks written since block sums had a hash tag use XXH3-64 (seed 0, the
// library's AVX2/AVX-512 dispatch: ~20 us per MiB here against ~75 for XXH64), which every read
// verifies with; older lists are XXH64 and stay readable.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ais::store {

inline constexpr uint32_t kBlockSize = 64 << 10;

enum class BlockHash : uint8_t { kXxh64 = 0, kXxh3 = 1 };
// The sum of one block's bytes under h.
uint64_t blockSum(BlockHash h, const void* data, size_t len);

struct BlockSums {
  uint32_t blockSize = 0;      // 0: none known (an object stored before block checksums)
  std::vector<uint64_t> sums;  // ceil(size / blockSize) entries
  BlockHash hash = BlockHash::kXxh64;

  bool operator==(const BlockSums&) const = default;
};

inline uint64_t blockCount(uint64_t size, uint32_t blockSize) {
  return blockSize == 0 ? 0 : (size + blockSize - 1) / blockSize;
}

// Feeds a byte stream of any chunking; yields the whole checksum and the block sums.
class BlockHasher {
 public:
  explicit BlockHasher(uint32_t blockSize = kBlockSize);
  void update(const void* data, size_t len);
  uint64_t size() const { return size_; }
  uint64_t wholeChecksum() const;
  // The block sums of everything fed so far (the last block may be short).
  BlockSums blocks() const;

 private:
  using State = std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)>;
  using BlockState = std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)>;
  uint32_t blockSize_;
  State whole_;
  BlockState block_;
  uint64_t inBlock_ = 0;  // bytes fed into block_
  uint64_t size_ = 0;
  std::vector<uint64_t> sums_;
};

// Fixed little-endian layout: blockSize (4 bytes; its top bit set for XXH3 sums) then one 8-byte
// sum per block.
std::string encodeBlockSums(const BlockSums& b);
Result<BlockSums> decodeBlockSums(std::string_view bytes);

}  // namespace ais::store
