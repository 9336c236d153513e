// ArchiveService: archive shards as first-class objects on their owner target. A TAR shard's
// index (archive/tar_index.h: where each member lies) is built on first use from the verified
// bytes of the shard and kept in memory per object version (a changed object gets a new index);
// a member read is then a ranged GET of the shard (ObjectService::get: block-verified, restored
// from EC when damaged), pinned to the indexed version. Loop-thread only.
#pragma once

#include <kj/async.h>

#include <list>
#include <map>
#include <memory>
#include <string>

#include "node/archive/tar_index.h"
#include "node/target/object_service.h"

namespace ais::node {

class ArchiveService {
 public:
  ArchiveService(NodeContext& ctx, ObjectService& objects) : ctx_(ctx), objects_(objects) {}

  struct Indexed {
    store::Lom lom;  // the shard's, as indexed
    std::shared_ptr<const archive::TarIndex> index;
  };
  // The shard's index: kBadArchive if it is not a TAR we can read (the reason), kNotImplemented
  // for the compressed formats not served yet.
  kj::Promise<Result<Indexed>> index(ObjectRef ref);
  // Bytes of one member (range within it); reply.lom is the shard's with the member's size.
  kj::Promise<Result<GetReply>> getMember(ObjectRef ref, std::string archpath, GetRange range,
                                          kj::Maybe<wire::ByteSink::Client> sink);

 private:
  kj::Promise<Result<GetReply>> getMemberOnce(ObjectRef ref, std::string archpath, GetRange range,
                                              kj::Maybe<wire::ByteSink::Client> sink, bool retry);
  // The index built from bytes already verified: a reader of the local copy, or a restore.
  static Result<std::shared_ptr<const archive::TarIndex>> build(
      const archive::TarIndex::ReadAt& readAt, uint64_t size);
  void remember(const ObjectRef& ref, const Indexed& ix);
  using Key = std::pair<std::string, std::string>;
  void forget(const Key& key);
  const Indexed* cached(const ObjectRef& ref, const store::Lom& lom);

  NodeContext& ctx_;
  ObjectService& objects_;
  // Most recently used first; bounded by kMaxShards and kMaxMembers in all.
  static constexpr size_t kMaxShards = 4096;
  static constexpr size_t kMaxMembers = 8'000'000;
  std::list<std::pair<Key, Indexed>> lru_;
  std::map<Key, std::list<std::pair<Key, Indexed>>::iterator> byKey_;
  size_t members_ = 0;
};

// The archive format a shard name says (extension); "" if none we know.
std::string archiveFormatOf(const std::string& name);

}  // namespace ais::node
