// The read path: a small object is fetched whole once per open; a larger one by ranged GETs of
// readChunk bytes, with up to readAhead bytes fetched in parallel ahead of a sequential reader.
// A random reader gets the 64 KiB blocks its range touches, from the block cache (shared by all
// opens, keyed by the object's version) or in one ranged GET of the missing ones, which are then
// cached; the sequential path caches the blocks of its chunks too. Failed GETs (after the
// client's bounded retries) are EIO; a chunk shorter than expected is a short read, never
// made-up bytes. Every GET is pinned to the checksum of the version the mount knows, and bytes
// are cached under that version's tag only: another client's replace meanwhile is ESTALE (then
// learnt), never a read spliced from two versions.
#include <algorithm>
#include <optional>

#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/posix_meta.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

std::shared_ptr<const std::string> bytesOf(std::shared_ptr<const Result<std::string>> r) {
  return std::shared_ptr<const std::string>(r, &r->value());
}

// Every block of the range is there, whole.
bool complete(const BlockRange& r, uint64_t objSize) {
  if (r.blocks.empty()) return false;
  for (size_t k = 0; k < r.blocks.size(); ++k) {
    uint64_t start = (r.first + k) * BlockCache::kBlock;
    if (!r.blocks[k] || r.blocks[k]->size() < std::min(BlockCache::kBlock, objSize - start)) {
      return false;
    }
  }
  return true;
}

// The bytes [off, off+n) out of the range's blocks, up to the first one missing or short.
ReadReply replyFrom(const BlockRange& r, uint64_t objSize, uint64_t off, size_t n) {
  constexpr uint64_t B = BlockCache::kBlock;
  std::shared_ptr<std::string> joined;
  for (size_t k = 0; k < r.blocks.size(); ++k) {
    const auto& block = r.blocks[k];
    if (!block) break;
    uint64_t start = (r.first + k) * B;
    uint64_t lo = std::max(off, start) - start;
    uint64_t hi = std::min<uint64_t>(off + n - start, block->size());
    if (lo >= hi) break;
    if (r.blocks.size() == 1) return ReadReply{block, lo, hi - lo};
    if (!joined) joined = std::make_shared<std::string>();
    joined->append(*block, lo, hi - lo);
    if (block->size() < std::min(B, objSize - start)) break;
  }
  if (!joined) return ReadReply{};
  size_t len = joined->size();
  return ReadReply{std::move(joined), 0, len};
}

// The range [offset, offset+length) of the version (and member) that `pin` names.
ByteRange pinnedRange(const ByteRange& pin, uint64_t offset, std::optional<uint64_t> length) {
  ByteRange range = pin;
  range.offset = offset;
  range.length = length;
  return range;
}

}  // namespace

Chunk Fs::startChunk(const std::string& bucket, const std::string& name, const ByteRange& pin,
                     uint64_t index, uint64_t objSize) {
  uint64_t offset = index * options_.readChunk;
  uint64_t length = std::min(options_.readChunk, objSize - offset);
  auto promise = std::make_shared<std::promise<std::shared_ptr<const Result<std::string>>>>();
  Chunk chunk = promise->get_future().share();
  readPool_.submit([this, promise, bucket, name, range = pinnedRange(pin, offset, length)] {
    auto r = client_.get(bucket, name, range);
    promise->set_value(std::make_shared<const Result<std::string>>(std::move(r)));
  });
  return chunk;
}

ErrOr<ReadReply> Fs::doRead(FileHandle& fh, size_t size, off_t offset) {
  auto r = readOnce(fh, size, offset);
  if (r.ok() || r.err() != ESTALE) return r;
  // The cluster holds another version than the one this mount knows: learn it. A handle that
  // handed out none of the old bytes reads the new version; one that did fails (ESTALE, as an
  // NFS handle whose file was replaced): a reader never gets two versions' bytes spliced.
  Inode& inode = *fh.inode;
  bool served;
  {
    std::lock_guard l(fh.mu);
    served = fh.servedChecksum != 0;
  }
  {
    std::lock_guard l(inode.mu);
    Status st = refreshLocked(inode, true);
    if (!st.ok()) return served && st.code() == Code::kObjectNotFound ? Errno{ESTALE} : errnoOf(st);
  }
  // The kernel asks for the new attributes (size) before its next read. (Only those: dropping
  // its pages here would wait on the pages this very read holds locked.)
  if (session_ != nullptr) fuse_lowlevel_notify_inval_inode(session_, inode.ino, -1, 0);
  if (served) {
    log::warn("aisfs: ais://{}/{} was replaced by another client while open here: ESTALE",
              inode.bucket(), inode.name());
    return Errno{ESTALE};
  }
  return readOnce(fh, size, offset);
}

ErrOr<ReadReply> Fs::readOnce(FileHandle& fh, size_t size, off_t offset) {
  Inode& inode = *fh.inode;
  uint64_t off = static_cast<uint64_t>(offset);
  uint64_t objSize, tag, gen;
  std::string bucket, name;
  ByteRange pin;  // archpath: a shard's member (name is the shard)
  {
    std::lock_guard l(inode.mu);
    if (inode.ws) {
      auto buf = std::make_shared<std::string>(size, '\0');
      auto n = readDirtyLocked(inode, buf->data(), size, off);
      if (!n.ok()) return Errno{n.err()};
      return ReadReply{buf, 0, *n};
    }
    objSize = inode.info.size;
    tag = cacheTag(inode.info);
    gen = inode.followGen;
    bucket = inode.bucket();
    name = inode.name();
    if (inode.kind == Kind::kMember) std::tie(name, pin.archpath) = splitMemberKey(name);
    // (A member's info carries its shard's checksum, which the owner checks a member's read
    // against: a member is pinned to the shard version its tree came from.)
    pin.ifChecksum = inode.info.checksum;
  }
  {
    std::lock_guard l(fh.mu);
    if (fh.servedChecksum != 0 && pin.ifChecksum != 0 && pin.ifChecksum != fh.servedChecksum &&
        gen == fh.servedGen) {
      return Errno{ESTALE};  // another client's version replaced the one handed out here
    }
    if (fh.tag != tag) {  // bytes fetched for another version
      fh.whole.reset();
      fh.chunks.clear();
      fh.tag = tag;
    }
  }
  auto reply = readVersion(fh, pin, bucket, name, tag, objSize, off, size);
  if (reply.ok() && reply->size > 0) {
    std::lock_guard l(fh.mu);
    fh.servedChecksum = pin.ifChecksum;
    fh.servedGen = gen;
  }
  return reply;
}

ErrOr<ReadReply> Fs::readVersion(FileHandle& fh, const ByteRange& pin, const std::string& bucket,
                                 const std::string& name, uint64_t tag, uint64_t objSize,
                                 uint64_t off, size_t size) {
  const std::string& archpath = pin.archpath;
  if (off >= objSize || size == 0) return ReadReply{};
  size_t n = static_cast<size_t>(std::min<uint64_t>(size, objSize - off));

  const std::string object = blockKey(bucket, name, archpath);
  if (objSize <= options_.wholeObjectMax) {
    std::lock_guard l(fh.mu);
    // A one-block object read before (the kernel dropped its pages since) is in the block cache.
    if ((!fh.whole || fh.whole->size() != objSize) && objSize <= BlockCache::kBlock) {
      auto block = blockCache_.get(object, tag, 0);
      if (block && block->size() == objSize) fh.whole = std::move(block);
    }
    if (!fh.whole || fh.whole->size() != objSize) {
      auto data = std::make_shared<std::string>();
      auto got = client_.getRange(bucket, name, pinnedRange(pin, 0, std::nullopt), data.get());
      if (!got.ok()) return errnoOf(got.status());
      if (archpath.empty() && data->size() <= BlockCache::kBlock) {
        cacheBlocks(object, tag, 0, *data);
      }
      fh.whole = std::move(data);
    }
    if (off >= fh.whole->size()) return ReadReply{};
    return ReadReply{fh.whole, off, std::min<size_t>(n, fh.whole->size() - off)};
  }

  // Everything already in memory: no GET, and no read-ahead started for it.
  BlockRange cached = cachedBlocks(object, tag, off, n);
  if (complete(cached, objSize)) return replyFrom(cached, objSize, off, n);

  const uint64_t c = options_.readChunk;
  uint64_t first = off / c;
  uint64_t last = (off + n - 1) / c;
  std::vector<std::pair<uint64_t, Chunk>> wanted;
  {
    std::lock_guard l(fh.mu);
    // The kernel's async read-ahead sends neighbouring reads in parallel and out of order, so
    // "near the previous read" counts as sequential.
    uint64_t distance = off > fh.lastEnd ? off - fh.lastEnd : fh.lastEnd - off;
    bool sequential = distance <= 2 * c || fh.chunks.count(first) != 0;
    fh.lastEnd = off + n;
    if (sequential) {
      uint64_t ahead = options_.readAhead / c;
      for (uint64_t i = first; i <= last + ahead && i * c < objSize; ++i) {
        if (!fh.chunks.count(i)) {
          fh.chunks.emplace(i, startChunk(bucket, name, pin, i, objSize));
        }
      }
      fh.chunks.erase(fh.chunks.begin(), fh.chunks.lower_bound(first == 0 ? 0 : first - 1));
      for (uint64_t i = first; i <= last; ++i) wanted.emplace_back(i, fh.chunks.at(i));
    }
  }
  if (wanted.empty()) {            // random access
    if (!blockCache_.enabled()) {  // just the bytes asked for
      auto got = client_.get(bucket, name, pinnedRange(pin, off, n));
      if (!got.ok()) return errnoOf(got.status());
      auto data = std::make_shared<const std::string>(std::move(*got));
      return ReadReply{data, 0, std::min(n, data->size())};
    }
    return readBlocks(object, tag, bucket, name, pin, objSize, off, n, std::move(cached));
  }
  std::shared_ptr<std::string> joined;
  for (auto& [index, chunk] : wanted) {
    auto result = chunk.get();
    if (!result->ok()) {
      std::lock_guard l(fh.mu);
      fh.chunks.erase(index);  // the next read tries again
      return errnoOf(result->status());
    }
    auto bytes = bytesOf(result);
    uint64_t chunkStart = index * c;
    cacheBlocks(object, tag, chunkStart, *bytes);
    uint64_t from = std::max(off, chunkStart) - chunkStart;
    uint64_t to = std::min<uint64_t>(off + n - chunkStart, bytes->size());
    if (from >= to) break;  // the object shrank: a short read
    if (wanted.size() == 1) return ReadReply{bytes, from, to - from};
    if (!joined) joined = std::make_shared<std::string>();
    joined->append(*bytes, from, to - from);
    if (to < std::min(c, objSize - chunkStart)) break;
  }
  if (!joined) return ReadReply{};
  size_t len = joined->size();
  return ReadReply{std::move(joined), 0, len};
}

void Fs::cacheBlocks(const std::string& object, uint64_t tag, uint64_t start,
                     const std::string& bytes) {
  constexpr uint64_t B = BlockCache::kBlock;
  if (!blockCache_.enabled() || start % B != 0) return;
  for (uint64_t from = 0; from < bytes.size(); from += B) {
    uint64_t block = (start + from) / B;
    if (blockCache_.get(object, tag, block)) continue;
    blockCache_.put(
        object, tag, block,
        std::make_shared<const std::string>(bytes, from, std::min(B, bytes.size() - from)));
  }
}

BlockRange Fs::cachedBlocks(const std::string& object, uint64_t tag, uint64_t off, size_t n) {
  BlockRange r;
  if (!blockCache_.enabled()) return r;
  r.first = off / BlockCache::kBlock;
  uint64_t last = (off + n - 1) / BlockCache::kBlock;
  for (uint64_t b = r.first; b <= last; ++b) r.blocks.push_back(blockCache_.get(object, tag, b));
  return r;
}

ErrOr<ReadReply> Fs::readBlocks(const std::string& object, uint64_t tag, const std::string& bucket,
                                const std::string& name, const ByteRange& pin, uint64_t objSize,
                                uint64_t off, size_t n, BlockRange r) {
  constexpr uint64_t B = BlockCache::kBlock;
  uint64_t missFirst = UINT64_MAX, missLast = 0;
  for (size_t k = 0; k < r.blocks.size(); ++k) {
    if (r.blocks[k]) continue;
    missFirst = std::min(missFirst, r.first + k);
    missLast = r.first + k;
  }
  if (missFirst != UINT64_MAX) {
    // One GET for the blocks from the first missing one to the last (cached ones between are
    // fetched again: one round trip beats several).
    uint64_t from = missFirst * B, to = std::min((missLast + 1) * B, objSize);
    auto got = client_.get(bucket, name, pinnedRange(pin, from, to - from));
    if (!got.ok()) return errnoOf(got.status());
    cacheBlocks(object, tag, from, *got);
    for (uint64_t b = missFirst; b <= missLast; ++b) {
      uint64_t at = (b - missFirst) * B;
      if (at >= got->size()) break;  // the object shrank: a short read from here
      r.blocks[b - r.first] =
          std::make_shared<const std::string>(*got, at, std::min(B, got->size() - at));
    }
  }
  return replyFrom(r, objSize, off, n);
}

}  // namespace ais::fusefs
