// ArchiveService: archive shards as first-class objects on their owner target. A shard's index
// (archive/shard_index.h: its members, where each lies, restart points of a compressed TAR) is
// built on first use from the verified bytes of the shard and kept in memory per object version
// and content (a changed object gets a new index). A member that is a range of the shard (TAR,
// stored ZIP) is served from the shard's verified 64 KiB blocks kept in memory
// (archive/shard_blocks.h) while the shard is still that version, else read as a ranged GET of
// the blocks it touches (ObjectService::get: block-verified, restored from EC when damaged),
// pinned to the indexed version, and those blocks kept; a compressed member is decoded from the
// shard's verified bytes on an I/O thread and served from memory; for a compressed TAR through
// decoded segments kept the same way, so neighbouring members decode their segment once. Both
// share one cache (archive/segment_cache.h, 256 MiB), which the index build fills as it passes
// over a shard. Loop-thread only.
#pragma once

#include <kj/async.h>

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "node/archive/shard_index.h"
#include "node/single_flight.h"
#include "node/target/object_service.h"

namespace ais::node {

class ArchiveService final : private kj::TaskSet::ErrorHandler {
 public:
  ArchiveService(NodeContext& ctx, ObjectService& objects)
      : ctx_(ctx), objects_(objects), cleanups_(*this) {}

  struct Indexed {
    store::Lom lom;  // the shard's, as indexed
    std::shared_ptr<const archive::ShardIndex> index;
  };
  // The shard's index. The format is `mime` if given (tar, tgz, tar.gz, tar.lz4, zip or their
  // MIME types), else the name's extension, else what the first bytes say. kBadArchive if it is
  // not an archive of that format we can read (the reason), kInvalidArgument for an unknown mime.
  // Callers that ask while the same shard is being indexed wait for that build.
  kj::Promise<Result<Indexed>> index(ObjectRef ref, std::string mime = "");
  // Bytes of one member (range within it); reply.lom is the shard's with the member's size.
  kj::Promise<Result<GetReply>> getMember(ObjectRef ref, std::string archpath, std::string mime,
                                          GetRange range, kj::Maybe<wire::ByteSink::Client> sink);
  // A stream that takes a TAR archive of members to append to the shard (archive_append.h); its
  // commit writes the shard's new version (then EC-protected like any PUT).
  kj::Promise<Result<kj::Own<wire::PutStream::Server>>> beginAppend(ObjectRef ref,
                                                                    std::string mime);

 private:
  kj::Promise<Result<GetReply>> getMemberOnce(ObjectRef ref, std::string archpath, std::string mime,
                                              GetRange range,
                                              kj::Maybe<wire::ByteSink::Client> sink, bool retry);
  // A compressed member's bytes, decoded from the shard's verified bytes, then served as a
  // range of them.
  kj::Promise<Result<GetReply>> decodeMember(const ObjectRef& ref, const Indexed& ix,
                                             const archive::Member& m, GetRange range,
                                             kj::Maybe<wire::ByteSink::Client> sink);
  // A member that is a range of the shard: from the kept blocks, else read and kept.
  kj::Promise<Result<GetReply>> readRangeMember(const ObjectRef& ref, const Indexed& ix,
                                                uint64_t at, uint64_t len, uint64_t inlineMax,
                                                kj::Maybe<wire::ByteSink::Client> sink);
  // Whether the shard is still the version the index describes (its LOM from memory; false when
  // not known without waiting): what kept blocks and segments may be served for.
  bool stillIndexed(const ObjectRef& ref, const Indexed& ix);
  // A member's bytes from memory; reply.lom is the shard's with the member's size.
  kj::Promise<Result<GetReply>> sendMember(const ObjectRef& ref, const store::Lom& shard,
                                           std::shared_ptr<const std::string> bytes,
                                           uint64_t inlineMax,
                                           kj::Maybe<wire::ByteSink::Client> sink);
  // Runs `fn` on an I/O thread over the shard's verified bytes: the local copy, or what an EC
  // restore brings back (the local copy missing or damaged, or a degraded request; the owner
  // writes the restored copy back). `early` (loop thread) sees the local copy's LOM first and
  // may answer without reading it (an index already built).
  template <class T>
  kj::Promise<Result<T>> overShard(
      const ObjectRef& ref, std::function<std::optional<T>(const store::Lom&)> early,
      std::function<Result<T>(const store::Lom&, const archive::ReadAt&)> fn);
  // overShard's reading of the local copy (fromRestore: when it is missing or damaged).
  template <class T>
  kj::Promise<Result<T>> fromDisk(
      const ObjectRef& ref, std::function<std::optional<T>(const store::Lom&)> early,
      std::function<Result<T>(const store::Lom&, const archive::ReadAt&)> fn,
      std::function<kj::Promise<Result<T>>(Status)> fromRestore);
  kj::Promise<Result<Indexed>> indexOnce(ObjectRef ref, std::string mime);
  void taskFailed(kj::Exception&& e) override;
  void remember(const ObjectRef& ref, const Indexed& ix);
  using Key = std::pair<std::string, std::string>;
  void forget(const Key& key);
  const Indexed* cached(const ObjectRef& ref, const store::Lom& lom,
                        std::optional<archive::Format> format);

  NodeContext& ctx_;
  ObjectService& objects_;
  // Most recently used first; bounded by kMaxShards, kMaxMembers and kMaxBytes in all.
  static constexpr size_t kMaxShards = 4096;
  static constexpr size_t kMaxMembers = 8'000'000;
  static constexpr size_t kMaxBytes = size_t{1} << 30;
  struct Entry {
    Indexed ix;
    size_t bytes = 0;
  };
  std::list<std::pair<Key, Entry>> lru_;
  // Decoded segments of compressed TAR shards and verified blocks of the others (shared with
  // the I/O threads that decode and index).
  static constexpr size_t kDecodedBytes = size_t{256} << 20;
  // Members up to this size are read through the kept blocks; larger ones stream from the shard.
  static constexpr uint64_t kKeptMemberMax = uint64_t{1} << 20;
  std::shared_ptr<archive::SegmentCache> segments_ =
      std::make_shared<archive::SegmentCache>(kDecodedBytes);
  std::map<Key, std::list<std::pair<Key, Entry>>::iterator> byKey_;
  size_t members_ = 0, bytes_ = 0;
  // Index builds under way, by bucket, name, mime and degraded (a first epoch's readers all ask
  // for a shard's index at once: one build serves them).
  kj::TaskSet cleanups_;  // the ends of building_'s runs
  using BuildKey = std::tuple<std::string, std::string, std::string, bool>;
  SingleFlight<BuildKey, Result<Indexed>> building_{cleanups_};
};

}  // namespace ais::node
