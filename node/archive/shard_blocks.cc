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

namespace {

// Copies [off, off + len) into buf from the blocks kept under key. A block not kept is read
// whole through `inner` (a shard of `size` bytes) and kept; without inner, false instead.
Result<bool> copyBlocks(SegmentCache& cache, const std::string& key, const ReadAt* inner,
                        uint64_t size, char* buf, uint64_t off, size_t len) {
  for (size_t done = 0; done < len;) {
    uint64_t at = off + done;
    size_t b = static_cast<size_t>(at / kShardBlock);
    SegmentCache::Bytes block = cache.find(key, b);
    if (!block) {
      if (!inner) return false;
      uint64_t start = uint64_t{b} * kShardBlock;
      std::string bytes(static_cast<size_t>(std::min(kShardBlock, size - start)), '\0');
      AIS_RETURN_IF_ERROR(readExactly(*inner, bytes.data(), bytes.size(), start, "shard block"));
      block = std::make_shared<const std::string>(std::move(bytes));
      cache.insert(key, b, block);
    }
    uint64_t in = at % kShardBlock;
    if (in >= block->size()) return false;  // past the shard's last block
    size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, block->size() - in));
    std::memcpy(buf + done, block->data() + in, n);
    done += n;
  }
  return true;
}

}  // namespace

std::optional<std::string> readCachedBlocks(SegmentCache& cache, const std::string& key,
                                            uint64_t off, uint64_t len) {
  std::string out(static_cast<size_t>(len), '\0');
  auto copied = copyBlocks(cache, key, nullptr, 0, out.data(), off, out.size());
  if (!copied.ok() || !*copied) return std::nullopt;
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
    auto copied = copyBlocks(cache, key, &inner, size, buf, off, len);
    if (!copied.ok()) return copied.status();
    if (!*copied) return Status(Code::kInternal, "a kept shard block is shorter than the shard");
    return len;
  };
}

}  // namespace ais::archive
