#include "node/target/archive_service.h"

#include <xxhash.h>

#include <cstring>

#include "common/log.h"
#include "node/archive/shard_blocks.h"
#include "node/target/archive_append.h"
#include "node/target/put_stream.h"

namespace ais::node {
namespace {

std::string where(const ObjectRef& ref) { return "ais://" + ref.bucket + "/" + ref.name; }

// What cached bytes of a shard are keyed by: its name, version and content.
std::string shardIdentity(const ObjectRef& ref, const store::Lom& lom) {
  return where(ref) + '\0' + std::to_string(lom.version) + '\0' + std::to_string(lom.checksum);
}

// A ReadAt over bytes in memory (a restored shard).
archive::ReadAt memoryReadAt(const std::string& bytes) {
  return [&bytes](char* buf, size_t len, uint64_t off) -> Result<size_t> {
    size_t n = off >= bytes.size() ? 0 : std::min<uint64_t>(len, bytes.size() - off);
    std::memcpy(buf, bytes.data() + off, n);
    return n;
  };
}

// The format asked for (mime), or by the name; nullopt: sniff the bytes.
Result<std::optional<archive::Format>> formatFor(const ObjectRef& ref, const std::string& mime) {
  if (!mime.empty()) {
    auto f = archive::parseFormat(mime);
    if (!f) {
      return Status(Code::kInvalidArgument,
                    "unknown archive format '" + mime + "' (tar, tgz, tar.gz, tar.lz4 or zip)");
    }
    return std::optional<archive::Format>(*f);
  }
  return archive::formatOfName(ref.name);
}

}  // namespace

const ArchiveService::Indexed* ArchiveService::cached(const ObjectRef& ref, const store::Lom& lom,
                                                      std::optional<archive::Format> format) {
  auto it = byKey_.find({ref.bucket, ref.name});
  if (it == byKey_.end()) return nullptr;
  const Indexed& ix = it->second->second.ix;
  if (ix.lom.version != lom.version || ix.lom.checksum != lom.checksum) return nullptr;
  if (format && ix.index->format() != *format) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &lru_.front().second.ix;
}

void ArchiveService::forget(const Key& key) {
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return;
  members_ -= it->second->second.ix.index->members().size();
  bytes_ -= it->second->second.bytes;
  lru_.erase(it->second);
  byKey_.erase(it);
}

void ArchiveService::remember(const ObjectRef& ref, const Indexed& ix) {
  Key key{ref.bucket, ref.name};
  forget(key);
  size_t bytes = ix.index->memoryBytes();
  lru_.emplace_front(key, Entry{ix, bytes});
  byKey_[key] = lru_.begin();
  members_ += ix.index->members().size();
  bytes_ += bytes;
  while (lru_.size() > 1 &&
         (lru_.size() > kMaxShards || members_ > kMaxMembers || bytes_ > kMaxBytes)) {
    members_ -= lru_.back().second.ix.index->members().size();
    bytes_ -= lru_.back().second.bytes;
    byKey_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

template <class T>
kj::Promise<Result<T>> ArchiveService::overShard(
    const ObjectRef& ref, std::function<std::optional<T>(const store::Lom&)> early,
    std::function<Result<T>(const store::Lom&, const archive::ReadAt&)> fn) {
  using Out = Result<T>;
  auto fromRestore = [this, ref, early, fn](Status original) -> kj::Promise<Out> {
    if (!objects_.ec().propsOf(ref.bucket)) return Out(original);
    kj::Promise<Result<EcRestored>> restoring =
        ref.degraded ? objects_.ec().restoreDegraded(ref.bucket, ref.name, /*keepAtOnce=*/true)
                     : objects_.ec().restore(ref.bucket, ref.name).then([this, ref](auto r) {
                         if (r.ok()) objects_.ec().writeBack(ref.bucket, *r);
                         return r;
                       });
    return restoring.then([this, early, fn](Result<EcRestored> r) {
      if (!r.ok()) return kj::Promise<Out>(Out(r.status()));
      if (early) {
        if (auto answer = early(r->lom)) return kj::Promise<Out>(Out(std::move(*answer)));
      }
      return ctx_.io->runAny([restored = std::move(*r), fn]() -> Out {
        return fn(restored.lom, memoryReadAt(*restored.bytes));
      });
    });
  };
  if (ref.degraded) return fromRestore(Status(Code::kObjectNotFound, where(ref)));
  // A shard missing here may not have reached this target, its owner, yet: fetched first, then
  // read (ObjectService::fetchHeld); held nowhere, restored from EC if it can be.
  std::function<kj::Promise<Out>(Status)> fetchOrRestore =
      [this, ref, early, fn, fromRestore](Status original) -> kj::Promise<Out> {
    if (original.code() != Code::kObjectNotFound || ref.localOnly) return fromRestore(original);
    return objects_.fetchHeld(ref).then(
        [this, ref, early, fn, fromRestore, original](Status st) -> kj::Promise<Out> {
          if (st.ok()) return fromDisk<T>(ref, early, fn, fromRestore);
          if (st.code() == Code::kObjectNotFound) return fromRestore(original);
          return Out(st);
        });
  };
  if (objects_.catchingUp()) {
    // (The local copy may be older than what a peer took while this target was away.)
    return objects_.staleHere(ref).then([this, ref, early, fn, fromRestore,
                                         fetchOrRestore](bool stale) mutable -> kj::Promise<Out> {
      if (stale) return fromRestore(Status(Code::kObjectNotFound, where(ref)));
      return fromDisk<T>(ref, kj::mv(early), kj::mv(fn), kj::mv(fetchOrRestore));
    });
  }
  return fromDisk<T>(ref, kj::mv(early), kj::mv(fn), kj::mv(fetchOrRestore));
}

template <class T>
kj::Promise<Result<T>> ArchiveService::fromDisk(
    const ObjectRef& ref, std::function<std::optional<T>(const store::Lom&)> early,
    std::function<Result<T>(const store::Lom&, const archive::ReadAt&)> fn,
    std::function<kj::Promise<Result<T>>(Status)> fromRestore) {
  using Out = Result<T>;
  return objects_.openOnDisk(ref.bucket, ref.name)
      .then([this, ref, early, fn,
             fromRestore](Result<ObjectService::ReaderPtr> rd) mutable -> kj::Promise<Out> {
        if (!rd.ok()) {
          if (rd.code() == Code::kObjectNotFound || rd.code() == Code::kObjectCorrupted) {
            return fromRestore(rd.status());
          }
          return Out(rd.status());
        }
        if (early) {
          if (auto answer = early((*rd)->lom())) return Out(std::move(*answer));
        }
        ObjectService::ReaderPtr reader = std::move(*rd);
        return ctx_.io
            ->run(ctx_.store->mountpathIndex(ref.bucket, ref.name),
                  [reader, fn]() -> Out {
                    archive::ReadAt readAt = [&reader](char* buf, size_t len,
                                                       uint64_t off) -> Result<size_t> {
                      return reader->read(buf, len, off);
                    };
                    return fn(reader->lom(), readAt);
                  })
            .then([fromRestore](Out out) mutable -> kj::Promise<Out> {
              // A block failed its checksum while reading: from the slices.
              if (out.code() == Code::kObjectCorrupted) return fromRestore(out.status());
              return kj::mv(out);
            });
      });
}

kj::Promise<Result<ArchiveService::Indexed>> ArchiveService::index(ObjectRef ref,
                                                                   std::string mime) {
  BuildKey key{ref.bucket, ref.name, mime, ref.degraded};
  return building_.run(key, [&] { return indexOnce(std::move(ref), std::move(mime)); });
}

void ArchiveService::taskFailed(kj::Exception&& e) {
  log::error("archive index cleanup: {}", e.getDescription().cStr());
}

kj::Promise<Result<ArchiveService::Indexed>> ArchiveService::indexOnce(ObjectRef ref,
                                                                       std::string mime) {
  using Out = Result<Indexed>;
  Status routed = objects_.checkRouted(ref);
  if (!routed.ok()) return Out(routed);
  auto format = formatFor(ref, mime);
  if (!format.ok()) return Out(format.status());
  std::optional<archive::Format> want = *format;
  auto early = [this, ref, want](const store::Lom& lom) -> std::optional<Indexed> {
    if (const Indexed* hit = cached(ref, lom, want)) return *hit;
    return std::nullopt;
  };
  auto build = [want, ref, cache = segments_](const store::Lom& lom,
                                              const archive::ReadAt& readAt) -> Out {
    auto f = want ? Result<archive::Format>(*want) : archive::sniffFormat(readAt, lom.size);
    if (!f.ok()) return f.status();
    auto ix =
        archive::ShardIndex::build(*f, readAt, lom.size, {}, cache.get(), shardIdentity(ref, lom));
    if (!ix.ok()) {
      if (ix.code() != Code::kBadArchive) return ix.status();
      return Status(Code::kBadArchive,
                    std::string(archive::formatName(*f)) + ": " + ix.status().message());
    }
    return Indexed{lom, std::make_shared<const archive::ShardIndex>(std::move(*ix))};
  };
  return overShard<Indexed>(ref, early, build).then([this, ref](Out ix) -> Out {
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

kj::Promise<Result<kj::Own<wire::PutStream::Server>>> ArchiveService::beginAppend(
    ObjectRef ref, std::string mime) {
  using Out = Result<kj::Own<wire::PutStream::Server>>;
  using Started = std::shared_ptr<AppendStart>;
  if (ref.degraded) {
    return Out(
        Status(Code::kUnavailable, where(ref) + ": appending to a shard needs its owner up"));
  }
  ref.localOnly = false;
  Status routed = objects_.checkRouted(ref);
  if (!routed.ok()) return Out(routed);
  auto format = formatFor(ref, mime);
  if (!format.ok()) return Out(format.status());
  auto start = [store = ctx_.store.get(), ref, want = *format,
                opts = objects_.putOptions(ref.bucket, {})](
                   const store::Lom& lom, const archive::ReadAt& readAt) -> Result<Started> {
    auto f = want ? Result<archive::Format>(*want) : archive::sniffFormat(readAt, lom.size);
    if (!f.ok()) return f.status();
    auto started = startAppend(*store, ref.bucket, ref.name, lom, readAt, *f, opts);
    if (!started.ok()) return started.status();
    return std::make_shared<AppendStart>(std::move(*started));
  };
  return overShard<Started>(ref, nullptr, start).then([this, ref](Result<Started> started) -> Out {
    if (!started.ok()) return started.status();
    uint64_t regionStart = (*started)->regionStart;
    auto finish = [regionStart](store::ObjectWriter& w, uint64_t checksum) {
      return finishAppend(w, regionStart, checksum);
    };
    auto after = [this, ref](Result<store::Lom> lom) {
      if (lom.ok()) forget({ref.bucket, ref.name});
      return objects_.protectCommitted(ref, std::move(lom));
    };
    return kj::Own<wire::PutStream::Server>(
        kj::heap<PutStreamImpl>(std::move((*started)->writer), ctx_.cfg.id, *ctx_.io,
                                ctx_.store->mountpathIndex(ref.bucket, ref.name), after, finish));
  });
}

kj::Promise<Result<GetReply>> ArchiveService::getMember(ObjectRef ref, std::string archpath,
                                                        std::string mime, GetRange range,
                                                        kj::Maybe<wire::ByteSink::Client> sink) {
  return getMemberOnce(std::move(ref), std::move(archpath), std::move(mime), range, kj::mv(sink),
                       true);
}

kj::Promise<Result<GetReply>> ArchiveService::getMemberOnce(ObjectRef ref, std::string archpath,
                                                            std::string mime, GetRange range,
                                                            kj::Maybe<wire::ByteSink::Client> sink,
                                                            bool retry) {
  using Out = Result<GetReply>;
  // The index known for this name, whatever version it was built from: the read below is pinned
  // to that version and content, so a changed shard answers VersionChanged, never other bytes.
  kj::Promise<Result<Indexed>> indexed = nullptr;
  auto it = byKey_.find({ref.bucket, ref.name});
  auto format = formatFor(ref, mime);
  if (!format.ok()) return Out(format.status());
  if (it != byKey_.end() && !ref.degraded && objects_.checkRouted(ref).ok() &&
      (!*format || it->second->second.ix.index->format() == **format)) {
    indexed = Result<Indexed>(it->second->second.ix);
  } else {
    // (A retry after VersionChanged builds afresh: a build under way may be of the old version.)
    indexed = retry ? index(ref, mime) : indexOnce(ref, mime);
  }
  return indexed.then([this, ref, archpath, mime, range, sink = kj::mv(sink),
                       retry](Result<Indexed> ix) mutable -> kj::Promise<Out> {
    if (!ix.ok()) return Out(ix.status());
    const archive::Member* m = ix->index->find(archpath);
    if (m && m->type == archive::Member::Type::kHardlink) {
      // A hard link reads as the member it links to, as tar extracts it.
      const archive::Member* target = ix->index->find(m->linkTarget);
      if (target && target->type == archive::Member::Type::kFile) m = target;
    }
    if (!m) {
      return Out(Status(Code::kMemberNotFound, where(ref) + " has no member '" + archpath + "'"));
    }
    if (m->type != archive::Member::Type::kFile) {
      return Out(Status(Code::kInvalidArgument,
                        where(ref) + ": member '" + m->name + "' is not a regular file"));
    }
    if ((range.ifVersion != 0 && range.ifVersion != ix->lom.version) ||
        (range.ifChecksum != 0 && range.ifChecksum != ix->lom.checksum)) {
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
    shard.holeBytes = 0;  // (the shard's holes are not the member's)
    shard.checksum = 0;   // the shard's whole-object checksums do not describe a member
    shard.checksumValue.clear();
    if (len == 0) return Out(GetReply{shard, std::string(), 0, XXH64(nullptr, 0, 0)});
    kj::Maybe<wire::ByteSink::Client> again;
    KJ_IF_MAYBE (s, sink) {
      again = *s;
    }
    kj::Promise<Out> reply = nullptr;
    if (ix->index->isRange(*m) && !ref.degraded && len <= kKeptMemberMax) {
      reply =
          readRangeMember(ref, *ix, m->offset + range.offset, len, range.inlineMax, kj::mv(sink));
    } else if (ix->index->isRange(*m) && !ref.degraded) {
      GetRange inShard{m->offset + range.offset, len, false, ix->lom.version, range.inlineMax};
      inShard.ifChecksum = ix->lom.checksum;
      reply = objects_.get(ref, inShard, kj::mv(sink));
    } else {
      GetRange inMember = range;
      inMember.length = len;
      inMember.toEnd = false;
      reply = decodeMember(ref, *ix, *m, inMember, kj::mv(sink));
    }
    return reply.then([this, ref, archpath, mime, range, shard, retry,
                       again = kj::mv(again)](Out reply) mutable -> kj::Promise<Out> {
      if (reply.code() == Code::kVersionChanged && retry && range.ifVersion == 0) {
        forget({ref.bucket, ref.name});
        return getMemberOnce(ref, archpath, mime, range, kj::mv(again), false);
      }
      if (!reply.ok()) return kj::mv(reply);
      reply->lom = shard;
      return kj::mv(reply);
    });
  });
}

kj::Promise<Result<GetReply>> ArchiveService::readRangeMember(
    const ObjectRef& ref, const Indexed& ix, uint64_t at, uint64_t len, uint64_t inlineMax,
    kj::Maybe<wire::ByteSink::Client> sink) {
  using Out = Result<GetReply>;
  std::string key = archive::rawBlocksKey(shardIdentity(ref, ix.lom));
  if (stillIndexed(ref, ix)) {
    if (auto bytes = archive::readCachedBlocks(*segments_, key, at, len)) {
      return sendMember(ref, ix.lom, std::make_shared<const std::string>(std::move(*bytes)),
                        inlineMax, kj::mv(sink));
    }
  }
  archive::BlockSpan span = archive::blockSpan(at, len, ix.lom.size);
  GetRange blocks{span.start, span.length, false, ix.lom.version, span.length};
  blocks.ifChecksum = ix.lom.checksum;
  return objects_.get(ref, blocks, nullptr)
      .then([this, ref, lom = ix.lom, key, span, at, len, inlineMax,
             sink = kj::mv(sink)](Out read) mutable -> kj::Promise<Out> {
        if (!read.ok()) return kj::mv(read);
        if (!read->inlined || read->inlined->size() != span.length) {
          return Out(Status(Code::kInternal, "shard blocks came back short"));
        }
        archive::cacheBlocks(*segments_, key, span.start, *read->inlined);
        return sendMember(ref, lom,
                          std::make_shared<const std::string>(
                              read->inlined->substr(static_cast<size_t>(at - span.start), len)),
                          inlineMax, kj::mv(sink));
      });
}

bool ArchiveService::stillIndexed(const ObjectRef& ref, const Indexed& ix) {
  if (ref.degraded) return false;
  auto now = ctx_.store->headCached(ref.bucket, ref.name);
  return now.ok() && now->version == ix.lom.version && now->checksum == ix.lom.checksum;
}

kj::Promise<Result<GetReply>> ArchiveService::sendMember(const ObjectRef& ref,
                                                         const store::Lom& shard,
                                                         std::shared_ptr<const std::string> bytes,
                                                         uint64_t inlineMax,
                                                         kj::Maybe<wire::ByteSink::Client> sink) {
  EcRestored member{shard, std::move(bytes)};
  member.lom.size = member.bytes->size();
  member.lom.holeBytes = 0;
  return objects_.sendMemory(ref, GetRange{0, 0, true, 0, inlineMax}, kj::mv(sink),
                             std::move(member));
}

kj::Promise<Result<GetReply>> ArchiveService::decodeMember(const ObjectRef& ref, const Indexed& ix,
                                                           const archive::Member& m, GetRange range,
                                                           kj::Maybe<wire::ByteSink::Client> sink) {
  using Bytes = std::shared_ptr<const std::string>;
  // Its segments kept, and the shard still that version: from memory, right here.
  if (stillIndexed(ref, ix)) {
    if (auto bytes = ix.index->readCached(m, range.offset, range.length, *segments_,
                                          shardIdentity(ref, ix.lom))) {
      return sendMember(ref, ix.lom, std::make_shared<const std::string>(std::move(*bytes)),
                        range.inlineMax, kj::mv(sink));
    }
  }
  auto decode = [index = ix.index, pinned = ix.lom, member = m, range, ref, cache = segments_](
                    const store::Lom& lom, const archive::ReadAt& readAt) -> Result<Bytes> {
    if (lom.version != pinned.version || lom.checksum != pinned.checksum) {
      return Status(Code::kVersionChanged, where(ref) + " changed since it was indexed");
    }
    auto bytes = index->read(readAt, member, range.offset, range.length, cache.get(),
                             shardIdentity(ref, lom));
    if (!bytes.ok()) {
      if (bytes.code() != Code::kBadArchive) return bytes.status();
      return Status(Code::kBadArchive, where(ref) + ": " + bytes.status().message());
    }
    return std::make_shared<const std::string>(std::move(*bytes));
  };
  return overShard<Bytes>(ref, nullptr, decode)
      .then([this, ref, lom = ix.lom, inlineMax = range.inlineMax,
             sink = kj::mv(sink)](Result<Bytes> bytes) mutable -> kj::Promise<Result<GetReply>> {
        if (!bytes.ok()) return Result<GetReply>(bytes.status());
        return sendMember(ref, lom, std::move(*bytes), inlineMax, kj::mv(sink));
      });
}

}  // namespace ais::node
