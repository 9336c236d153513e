#include "node/archive/shard_blocks.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace ais::archive {

std::string rawBlocksKey(const std::string& shardIdentity) {
  return shardIdentity + std::string("\0raw", 4);
}

BlockSpan blockSpan(uint64_t off, uint64_t len, uint64_t size) {
  uint64_t start = off / kShardBlock * kShardBlock;
  uint64_t end = std::min(size, (off + len + kShardBlock - 1) / kShardBlock * kShardBlock);
  return {start, end > start ? end - start : 0};
}

std::optional<std::string> readCachedBlocks(SegmentCache& cache, const std::string& key,
                                            uint64_t off, uint64_t len) {
  std::string out(static_cast<size_t>(len), '\0');
  for (size_t done = 0; done < out.size();) {
    uint64_t at = off + done;
    SegmentCache::Bytes block = cache.find(key, static_cast<size_t>(at / kShardBlock));
    uint64_t in = at % kShardBlock;
    if (!block || in >= block->size()) return std::nullopt;
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, block->size() - in));
    std::memcpy(out.data() + done, block->data() + in, n);
    done += n;
  }
  return out;
}

void cacheBlocks(SegmentCache& cache, const std::string& key, uint64_t start,
                 std::string_view bytes) {
  for (size_t at = 0; at < bytes.size(); at += kShardBlock) {
    auto block = std::make_shared<const std::string>(bytes.substr(at, kShardBlock));
    cache.insert(key, static_cast<size_t>((start + at) / kShardBlock), std::move(block));
  }
}

ReadAt cachingReadAt(SegmentCache& cache, std::string key, ReadAt inner, uint64_t size) {
  return [&cache, key = std::move(key), inner = std::move(inner), size](
             char* buf, size_t len, uint64_t off) -> Result<size_t> {
    if (off >= size) return size_t{0};
    len = static_cast<size_t>(std::min<uint64_t>(len, size - off));
    for (size_t done = 0; done < len;) {
      uint64_t at = off + done;
      size_t b = static_cast<size_t>(at / kShardBlock);
      SegmentCache::Bytes block = cache.find(key, b);
      if (!block) {
        uint64_t start = uint64_t{b} * kShardBlock;
        std::string bytes(static_cast<size_t>(std::min(kShardBlock, size - start)), '\0');
        AIS_RETURN_IF_ERROR(readExactly(inner, bytes.data(), bytes.size(), start, "shard block"));
        block = std::make_shared<const std::string>(std::move(bytes));
        cache.insert(key, b, block);
      }
      uint64_t in = at - uint64_t{b} * kShardBlock;
      size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, block->size() - in));
      std::memcpy(buf + done, block->data() + in, n);
      done += n;
    }
    return len;
  };
}

}  // namespace ais::archive
