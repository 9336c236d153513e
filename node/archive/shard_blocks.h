// Shard blocks: verified bytes of an uncompressed shard (TAR, and ZIP's stored members) kept in
// the SegmentCache as aligned 64 KiB blocks. A 16 KiB sample read from disk costs the whole
// 64 KiB block(s) it touches (the unit of the block checksums), and random sample reads come back
// to the same block about four times an epoch: with the block kept, it is read and verified once,
// and the other members in it are served from memory. Entries are keyed by the shard's identity
// (name, version, checksum), so a changed shard never hits; callers also check that the shard is
// still that version before serving a hit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "node/archive/read_at.h"
#include "node/archive/segment_cache.h"

namespace ais::archive {

inline constexpr uint64_t kShardBlock = 64 << 10;

// The key of a shard's raw blocks, from the shard's identity (compressed shards' decoded segments
// use the identity itself).
std::string rawBlocksKey(const std::string& shardIdentity);

// The whole blocks that [off, off + len) touches in a shard of `size` bytes.
struct BlockSpan {
  uint64_t start = 0;
  uint64_t length = 0;
};
BlockSpan blockSpan(uint64_t off, uint64_t len, uint64_t size);

// [off, off + len) from the cached blocks; nullopt if one of them is not there.
std::optional<std::string> readCachedBlocks(SegmentCache& cache, const std::string& key,
                                            uint64_t off, uint64_t len);

// Keeps the blocks of `bytes`, read at the block-aligned `start` (a final short block is the
// shard's last one).
void cacheBlocks(SegmentCache& cache, const std::string& key, uint64_t start,
                 std::string_view bytes);

// Reads whole blocks through `inner` (verified reads), keeping them: an index build passes over
// the shard once, and what it read is what the member reads that follow need.
ReadAt cachingReadAt(SegmentCache& cache, std::string key, ReadAt inner, uint64_t size);

}  // namespace ais::archive
