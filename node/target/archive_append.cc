#include "node/target/archive_append.h"

#include <xxhash.h>

#include <algorithm>
#include <vector>

#include "node/archive/tar_index.h"

namespace ais::node {
namespace {

constexpr size_t kCopyChunk = 1 << 20;
constexpr size_t kEndBlocks = 2 * 512;  // a TAR archive ends with two zero blocks

std::string where(const std::string& bucket, const std::string& name) {
  return "ais://" + bucket + "/" + name;
}

}  // namespace

Result<AppendStart> startAppend(store::Store& store, const std::string& bucket,
                                const std::string& name, const store::Lom& shard,
                                const archive::ReadAt& readAt, archive::Format format,
                                store::PutOptions opts) {
  if (format != archive::Format::kTar) {
    return Status(Code::kInvalidArgument,
                  where(bucket, name) + " is a " + std::string(archive::formatName(format)) +
                      " shard: members are appended to TAR shards only (a compressed shard is "
                      "rewritten whole: ais archive put without --append)");
  }
  auto index = archive::TarIndex::build(readAt, shard.size);
  if (!index.ok()) {
    return Status(index.code(), where(bucket, name) + ": " + index.status().message());
  }
  // The shard's metadata stays, but for what described its old bytes (an S3 ETag, the multipart
  // upload that made it: see gateway/s3_api.h).
  opts.custom = shard.custom;
  opts.custom.erase("etag");
  opts.custom.erase("s3-upload-id");
  opts.ifVersion = shard.version;
  auto writer = store.beginPut(bucket, name, std::move(opts));
  if (!writer.ok()) return writer.status();
  std::vector<char> buf(kCopyChunk);
  for (uint64_t off = 0, end = index->end(); off < end;) {
    auto n = readAt(buf.data(), std::min<uint64_t>(buf.size(), end - off), off);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
    AIS_RETURN_IF_ERROR((*writer)->write(buf.data(), *n));
    off += *n;
  }
  return AppendStart{std::move(*writer), index->end()};
}

Result<store::Lom> finishAppend(store::ObjectWriter& writer, uint64_t regionStart,
                                uint64_t senderChecksum) {
  uint64_t sent = writer.bytesWritten() - regionStart;
  if (sent == 0) return Status(Code::kInvalidArgument, "nothing to append");
  archive::ReadAt region = [&writer, regionStart](char* buf, size_t len,
                                                  uint64_t off) -> Result<size_t> {
    return writer.readBack(buf, len, regionStart + off);
  };
  // What arrived is what was sent.
  XXH64_state_t* hash = XXH64_createState();
  XXH64_reset(hash, 0);
  std::vector<char> buf(kCopyChunk);
  Status read;
  for (uint64_t off = 0; off < sent && read.ok();) {
    auto n = region(buf.data(), std::min<uint64_t>(buf.size(), sent - off), off);
    if (!n.ok() || *n == 0) {
      read = n.ok() ? Status(Code::kInternal, "appended bytes shorter than written") : n.status();
      break;
    }
    XXH64_update(hash, buf.data(), *n);
    off += *n;
  }
  uint64_t digest = XXH64_digest(hash);
  XXH64_freeState(hash);
  AIS_RETURN_IF_ERROR(read);
  if (digest != senderChecksum) {
    return Status(Code::kChecksumMismatch,
                  "appended bytes do not hash to the sender's checksum: nothing appended");
  }
  auto index = archive::TarIndex::build(region, sent);
  if (!index.ok()) {
    return Status(Code::kBadArchive, "what was sent to append is not a TAR archive (" +
                                         index.status().message() + "): nothing appended");
  }
  if (index->members().empty()) {
    return Status(Code::kInvalidArgument, "the TAR archive sent to append has no members");
  }
  if (index->end() == sent) {
    static const std::string zeros(kEndBlocks, '\0');
    AIS_RETURN_IF_ERROR(writer.write(zeros.data(), zeros.size()));
  }
  return writer.commit();
}

}  // namespace ais::node
