#include "node/target/archive_service.h"

#include <xxhash.h>

#include <cstring>

#include "common/log.h"

namespace ais::node {
namespace {

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string where(const ObjectRef& ref) { return "ais://" + ref.bucket + "/" + ref.name; }

}  // namespace

std::string archiveFormatOf(const std::string& name) {
  if (endsWith(name, ".tar")) return "tar";
  if (endsWith(name, ".tgz") || endsWith(name, ".tar.gz")) return "tgz";
  if (endsWith(name, ".tar.lz4")) return "tar.lz4";
  if (endsWith(name, ".zip")) return "zip";
  return "";
}

Result<std::shared_ptr<const archive::TarIndex>> ArchiveService::build(
    const archive::TarIndex::ReadAt& readAt, uint64_t size) {
  auto ix = archive::TarIndex::build(readAt, size);
  if (!ix.ok()) return ix.status();
  return std::make_shared<const archive::TarIndex>(std::move(*ix));
}

const ArchiveService::Indexed* ArchiveService::cached(const ObjectRef& ref, const store::Lom& lom) {
  auto it = byKey_.find({ref.bucket, ref.name});
  if (it == byKey_.end()) return nullptr;
  const Indexed& ix = it->second->second;
  if (ix.lom.version != lom.version || ix.lom.checksum != lom.checksum) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &lru_.front().second;
}

void ArchiveService::forget(const Key& key) {
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return;
  members_ -= it->second->second.index->members().size();
  lru_.erase(it->second);
  byKey_.erase(it);
}

void ArchiveService::remember(const ObjectRef& ref, const Indexed& ix) {
  Key key{ref.bucket, ref.name};
  forget(key);
  lru_.emplace_front(key, ix);
  byKey_[key] = lru_.begin();
  members_ += ix.index->members().size();
  while (lru_.size() > 1 && (lru_.size() > kMaxShards || members_ > kMaxMembers)) {
    members_ -= lru_.back().second.index->members().size();
    byKey_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

kj::Promise<Result<ArchiveService::Indexed>> ArchiveService::index(ObjectRef ref) {
  using Out = Result<Indexed>;
  Status routed = objects_.checkRouted(ref);
  if (!routed.ok()) return Out(routed);
  std::string format = archiveFormatOf(ref.name);
  if (!format.empty() && format != "tar") {
    return Out(Status(Code::kNotImplemented,
                      where(ref) + ": " + format + " shards are not served yet (TAR only)"));
  }
  // From the bytes an EC restore brought back (the local copy missing or damaged, or the owner
  // down: a degraded request); the owner writes the restored copy back.
  auto fromRestore = [this, ref](Status original) -> kj::Promise<Out> {
    if (!objects_.ec().propsOf(ref.bucket)) return Out(original);
    return objects_.ec().restore(ref.bucket, ref.name).then([this, ref](Result<EcRestored> r) {
      if (!r.ok()) return kj::Promise<Out>(Out(r.status()));
      if (!ref.degraded) objects_.ec().writeBack(ref.bucket, *r);
      return ctx_.io->runAny([restored = std::move(*r)]() -> Out {
        const std::string& bytes = *restored.bytes;
        auto readAt = [&bytes](char* buf, size_t len, uint64_t off) -> Result<size_t> {
          size_t n = off >= bytes.size() ? 0 : std::min<uint64_t>(len, bytes.size() - off);
          std::memcpy(buf, bytes.data() + off, n);
          return n;
        };
        auto ix = build(readAt, bytes.size());
        if (!ix.ok()) return ix.status();
        return Indexed{restored.lom, std::move(*ix)};
      });
    });
  };
  kj::Promise<Out> built = nullptr;
  if (ref.degraded) {
    built = fromRestore(Status(Code::kObjectNotFound, where(ref)));
  } else {
    built = objects_.openOnDisk(ref.bucket, ref.name)
                .then([this, ref, fromRestore](
                          Result<ObjectService::ReaderPtr> rd) mutable -> kj::Promise<Out> {
                  if (!rd.ok()) {
                    if (rd.code() == Code::kObjectNotFound || rd.code() == Code::kObjectCorrupted) {
                      return fromRestore(rd.status());
                    }
                    return Out(rd.status());
                  }
                  if (const Indexed* hit = cached(ref, (*rd)->lom())) return Out(*hit);
                  ObjectService::ReaderPtr reader = std::move(*rd);
                  return ctx_.io
                      ->run(ctx_.store->mountpathIndex(ref.bucket, ref.name),
                            [reader]() -> Out {
                              auto readAt = [&reader](char* buf, size_t len,
                                                      uint64_t off) -> Result<size_t> {
                                return reader->read(buf, len, off);
                              };
                              auto ix = build(readAt, reader->lom().size);
                              if (!ix.ok()) return ix.status();
                              return Indexed{reader->lom(), std::move(*ix)};
                            })
                      .then([fromRestore](Out ix) mutable -> kj::Promise<Out> {
                        // A block failed its checksum while indexing: from the slices.
                        if (ix.code() == Code::kObjectCorrupted) return fromRestore(ix.status());
                        return kj::mv(ix);
                      });
                });
  }
  return built.then([this, ref](Out ix) -> Out {
    if (!ix.ok()) {
      if (ix.code() == Code::kBadArchive) {
        return Status(Code::kBadArchive, where(ref) + ": " + ix.status().message());
      }
      return ix;
    }
    remember(ref, *ix);
    return ix;
  });
}

kj::Promise<Result<GetReply>> ArchiveService::getMember(ObjectRef ref, std::string archpath,
                                                        GetRange range,
                                                        kj::Maybe<wire::ByteSink::Client> sink) {
  return getMemberOnce(std::move(ref), std::move(archpath), range, kj::mv(sink), true);
}

kj::Promise<Result<GetReply>> ArchiveService::getMemberOnce(ObjectRef ref, std::string archpath,
                                                            GetRange range,
                                                            kj::Maybe<wire::ByteSink::Client> sink,
                                                            bool retry) {
  using Out = Result<GetReply>;
  // The index known for this name, whatever version it was built from: the read below is pinned
  // to that version and content, so a changed shard answers VersionChanged, never other bytes.
  kj::Promise<Result<Indexed>> indexed = nullptr;
  auto it = byKey_.find({ref.bucket, ref.name});
  if (it != byKey_.end() && !ref.degraded && objects_.checkRouted(ref).ok()) {
    indexed = Result<Indexed>(it->second->second);
  } else {
    indexed = index(ref);
  }
  return indexed.then([this, ref, archpath, range, sink = kj::mv(sink),
                       retry](Result<Indexed> ix) mutable -> kj::Promise<Out> {
    if (!ix.ok()) return Out(ix.status());
    const archive::Member* m = ix->index->find(archpath);
    if (!m) {
      return Out(Status(Code::kMemberNotFound, where(ref) + " has no member '" + archpath + "'"));
    }
    if (m->type != archive::Member::Type::kFile) {
      return Out(Status(Code::kInvalidArgument,
                        where(ref) + ": member '" + m->name + "' is not a regular file"));
    }
    if (range.ifVersion != 0 && range.ifVersion != ix->lom.version) {
      return Out(Status(Code::kVersionChanged, where(ref) + " is another version now"));
    }
    bool whole = range.offset == 0 && range.toEnd;
    if (!whole && range.offset >= m->size) {
      return Out(Status(Code::kRangeNotSatisfiable,
                        "offset " + std::to_string(range.offset) + " is past the end of member '" +
                            m->name + "' (" + std::to_string(m->size) + " bytes)"));
    }
    uint64_t len =
        range.toEnd ? m->size - range.offset : std::min(range.length, m->size - range.offset);
    store::Lom shard = ix->lom;
    shard.size = m->size;
    shard.checksum = 0;  // the shard's whole-object checksums do not describe a member
    shard.checksumValue.clear();
    if (len == 0) return Out(GetReply{shard, std::string(), 0, XXH64(nullptr, 0, 0)});
    GetRange inShard{m->offset + range.offset, len, false, ix->lom.version, range.inlineMax};
    inShard.ifChecksum = ix->lom.checksum;
    kj::Maybe<wire::ByteSink::Client> again;
    KJ_IF_MAYBE (s, sink) {
      again = *s;
    }
    return objects_.get(ref, inShard, kj::mv(sink))
        .then([this, ref, archpath, range, shard, retry,
               again = kj::mv(again)](Out reply) mutable -> kj::Promise<Out> {
          if (reply.code() == Code::kVersionChanged && retry && range.ifVersion == 0) {
            forget({ref.bucket, ref.name});
            return getMemberOnce(ref, archpath, range, kj::mv(again), false);
          }
          if (!reply.ok()) return kj::mv(reply);
          reply->lom = shard;
          return kj::mv(reply);
        });
  });
}

}  // namespace ais::node
