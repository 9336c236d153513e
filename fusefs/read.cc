// The read path: a small object is fetched whole once per open; a larger one by ranged GETs of
// readChunk bytes, with up to readAhead bytes fetched in parallel ahead of a sequential reader.
// A random reader gets exactly the range it asked for. Failed GETs (after the client's bounded
// retries) are EIO; a chunk shorter than expected is a short read, never made-up bytes.
#include <algorithm>

#include "fusefs/fs.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

std::shared_ptr<const std::string> bytesOf(std::shared_ptr<const Result<std::string>> r) {
  return std::shared_ptr<const std::string>(r, &r->value());
}

}  // namespace

Chunk Fs::startChunk(const std::string& bucket, const std::string& name, uint64_t index,
                     uint64_t objSize) {
  uint64_t offset = index * options_.readChunk;
  uint64_t length = std::min(options_.readChunk, objSize - offset);
  auto promise = std::make_shared<std::promise<std::shared_ptr<const Result<std::string>>>>();
  Chunk chunk = promise->get_future().share();
  readPool_.submit([this, promise, bucket, name, offset, length] {
    auto r = client_.get(bucket, name, ByteRange{offset, length});
    promise->set_value(std::make_shared<const Result<std::string>>(std::move(r)));
  });
  return chunk;
}

ErrOr<ReadReply> Fs::doRead(FileHandle& fh, size_t size, off_t offset) {
  Inode& inode = *fh.inode;
  uint64_t off = static_cast<uint64_t>(offset);
  uint64_t objSize;
  std::string bucket, name;
  {
    std::lock_guard l(inode.mu);
    if (inode.ws) {
      auto buf = std::make_shared<std::string>(size, '\0');
      auto n = readDirtyLocked(inode, buf->data(), size, off);
      if (!n.ok()) return Errno{n.err()};
      return ReadReply{buf, 0, *n};
    }
    objSize = inode.info.size;
    bucket = inode.bucket();
    name = inode.name();
  }
  if (off >= objSize || size == 0) return ReadReply{};
  size_t n = static_cast<size_t>(std::min<uint64_t>(size, objSize - off));

  if (objSize <= options_.wholeObjectMax) {
    std::lock_guard l(fh.mu);
    if (!fh.whole || fh.whole->size() != objSize) {
      auto got = client_.get(bucket, name);
      if (!got.ok()) return errnoOf(got.status());
      fh.whole = std::make_shared<const std::string>(std::move(*got));
    }
    if (off >= fh.whole->size()) return ReadReply{};
    return ReadReply{fh.whole, off, std::min<size_t>(n, fh.whole->size() - off)};
  }

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
        if (!fh.chunks.count(i)) fh.chunks.emplace(i, startChunk(bucket, name, i, objSize));
      }
      fh.chunks.erase(fh.chunks.begin(), fh.chunks.lower_bound(first == 0 ? 0 : first - 1));
      for (uint64_t i = first; i <= last; ++i) wanted.emplace_back(i, fh.chunks.at(i));
    }
  }
  if (wanted.empty()) {  // random access: just the bytes asked for
    auto got = client_.get(bucket, name, ByteRange{off, n});
    if (!got.ok()) return errnoOf(got.status());
    auto data = std::make_shared<const std::string>(std::move(*got));
    return ReadReply{data, 0, std::min(n, data->size())};
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

}  // namespace ais::fusefs
