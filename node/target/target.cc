#include "node/target/target.h"

#include <kj/vector.h>
#include <xxhash.h>

#include "common/log.h"
#include "meta/names.h"
#include "node/target/object_attrs.h"
#include "proto/wire.h"

namespace ais::node {

using proto::setStatus;

namespace {

using ReaderPtr = std::shared_ptr<store::ObjectReader>;

// On an I/O worker: ObjectExists when a PUT asked ifAbsent and the object is there (rebalance
// transfers never overwrite a newer copy).
Status checkAbsent(store::Store& store, bool ifAbsent, const std::string& bucket,
                   const std::string& name) {
  if (ifAbsent && store.head(bucket, name).ok()) {
    return Status(Code::kObjectExists, "ais://" + bucket + "/" + name);
  }
  return Status::OK();
}

// The writer's end of a streamed PUT. Chunks are written by the object's I/O worker; capnp
// delivers a streaming call (and the commit after it) only once the previous one completed, so
// they reach the file one at a time, in order. Dropped without commit: the work file is discarded.
class PutStreamImpl final : public wire::PutStream::Server {
 public:
  PutStreamImpl(std::unique_ptr<store::ObjectWriter> writer, std::string targetId, IoWorkers& io,
                size_t mountpath)
      : writer_(std::move(writer)), targetId_(std::move(targetId)), io_(io), mp_(mountpath) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    if (!writer_) return kj::READY_NOW;
    auto chunk = context.getParams().getChunk();  // lives until the promise we return resolves
    return io_.run(mp_, [w = writer_, err = &error_, chunk] {
      if (err->ok()) *err = w->write(chunk.begin(), chunk.size());
    });
  }

  kj::Promise<void> commit(CommitContext context) override {
    if (!writer_) {
      setStatus(context.getResults().initStatus(),
                Status(Code::kInvalidArgument, "already committed"));
      return kj::READY_NOW;
    }
    auto writer = std::move(writer_);
    auto params = context.getParams();
    std::optional<std::map<std::string, std::string>> custom;
    if (params.getReplaceCustom()) custom = proto::fromWire(params.getCustom());
    uint64_t checksum = params.getChecksum();
    return io_
        .run(mp_,
             [writer, err = error_, custom = std::move(custom),
              checksum]() mutable -> Result<store::Lom> {
               if (!err.ok()) return err;  // the writer's drop discards the work file
               if (custom) writer->setCustom(std::move(*custom));
               return writer->commit(checksum);
             })
        .then([this, context](Result<store::Lom> lom) mutable {
          auto results = context.getResults();
          if (!lom.ok()) {
            if (lom.code() == Code::kChecksumMismatch) {
              log::warn("PUT refused: {}", lom.status().toString());
            }
            setStatus(results.initStatus(), lom.status());
            return;
          }
          toAttrs(*lom, targetId_, results.initAttrs());
        });
  }

 private:
  std::shared_ptr<store::ObjectWriter> writer_;
  std::string targetId_;
  IoWorkers& io_;
  size_t mp_;
  Status error_;  // written by the workers, one call at a time
};

// Streams [offset, offset+length) of an object to the reader's sink in chunks, hashing as it goes.
// Each chunk is read (and block-verified) by the object's I/O worker into the outgoing message.
class GetStreamer {
 public:
  GetStreamer(ReaderPtr reader, wire::ByteSink::Client sink, uint64_t offset, uint64_t length,
              uint32_t chunk, IoWorkers& io, size_t mountpath)
      : reader_(std::move(reader)),
        sink_(kj::mv(sink)),
        next_(offset),
        end_(offset + length),
        chunk_(chunk),
        io_(io),
        mp_(mountpath),
        hash_(XXH64_createState()) {
    XXH64_reset(hash_, 0);
  }
  ~GetStreamer() {
    ahead_.reset();  // waits for a read in progress, which uses hash_
    XXH64_freeState(hash_);
  }

  // The next chunk is read while the current one is being sent: one read ahead, in order (the
  // running hash sees the chunks in sequence).
  kj::Promise<Status> run() {
    if (next_ >= end_) return Status::OK();
    Pending cur = ahead_.has_value() ? takeAhead() : startRead(next_);
    return cur.read.then(
        [this, req = kj::mv(cur.req), n = cur.n](Status st) mutable -> kj::Promise<Status> {
          if (!st.ok()) return st;  // verified before it leaves: a bad block ends the stream
          next_ += n;
          sent_ += n;
          if (next_ < end_) ahead_ = startRead(next_);
          return req->send().then([this] { return run(); });
        });
  }

  uint64_t digest() const { return XXH64_digest(hash_); }
  uint64_t sent() const { return sent_; }
  const store::Lom& lom() const { return reader_->lom(); }

 private:
  ReaderPtr reader_;
  wire::ByteSink::Client sink_;
  uint64_t next_;
  uint64_t end_;
  uint32_t chunk_;
  IoWorkers& io_;
  size_t mp_;
  uint64_t sent_ = 0;
  XXH64_state_t* hash_;

  struct Pending {
    kj::Own<capnp::StreamingRequest<wire::ByteSink::WriteParams>> req;
    uint64_t n;
    kj::Promise<Status> read;
  };
  std::optional<Pending> ahead_;  // a read in flight uses hash_: reset before it is freed

  Pending takeAhead() {
    Pending p = std::move(*ahead_);
    ahead_.reset();
    return p;
  }
  Pending startRead(uint64_t off) {
    uint64_t n = std::min<uint64_t>(chunk_, end_ - off);
    auto req = kj::heap(sink_.writeRequest());
    auto buf = req->initChunk(n);
    auto read = io_.run(mp_, [rd = reader_, buf, off, hash = hash_]() mutable -> Status {
      auto r = rd->read(buf.begin(), buf.size(), off);
      if (!r.ok()) return r.status();
      if (*r != buf.size()) {
        return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
      }
      XXH64_update(hash, buf.begin(), buf.size());
      return Status::OK();
    });
    return Pending{kj::mv(req), n, kj::mv(read)};
  }
};

}  // namespace

Status TargetService::checkBucket(const std::string& bucket) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  if (!ctx_.meta.bmd().find(bucket)) return Status(Code::kBucketNotFound, "ais://" + bucket);
  return Status::OK();
}

Status TargetService::checkRouted(const std::string& bucket, const std::string& name,
                                  bool localOnly) {
  AIS_RETURN_IF_ERROR(checkBucket(bucket));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(name));
  if (localOnly) return Status::OK();
  return checkOwnedHere(ctx_, bucket, name);
}

Status checkOwnedHere(const NodeContext& ctx, const std::string& bucket, const std::string& name) {
  const meta::Smap& smap = ctx.meta.smap();
  const meta::NodeInfo* owner = meta::ownerTarget(smap, meta::uname(bucket, name));
  if (!owner || owner->id != ctx.cfg.id) {
    return Status(Code::kStaleSmap, "target " + ctx.cfg.id + " does not own ais://" + bucket + "/" +
                                        name + " under Smap v" + std::to_string(smap.version));
  }
  return Status::OK();
}

store::PutOptions TargetService::putOptions(const std::string& bucket,
                                            std::map<std::string, std::string> custom) const {
  store::PutOptions opts;
  if (const auto* props = ctx_.meta.bmd().find(bucket)) opts.fsync = props->fsync;
  opts.custom = std::move(custom);
  return opts;
}

uint32_t TargetService::chunkBytes() const {
  return ctx_.meta.config().chunkBytes ? ctx_.meta.config().chunkBytes : (1u << 20);
}

size_t TargetService::mountpathOf(const std::string& bucket, const std::string& name) const {
  return ctx_.store->mountpathIndex(bucket, name);
}

kj::Promise<void> TargetService::putObject(PutObjectContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  Status st = checkRouted(bucket, name, p.getRef().getLocalOnly());
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  auto data = p.getData();  // read by the worker; the call's params outlive the promise
  return ctx_.io
      ->run(mountpathOf(bucket, name),
            [store = ctx_.store.get(), bucket, name, ifAbsent = p.getRef().getIfAbsent(), data,
             checksum = p.getChecksum(),
             opts = putOptions(bucket,
                               proto::fromWire(p.getCustom()))]() mutable -> Result<store::Lom> {
              AIS_RETURN_IF_ERROR(checkAbsent(*store, ifAbsent, bucket, name));
              auto writer = store->beginPut(bucket, name, std::move(opts));
              if (!writer.ok()) return writer.status();
              AIS_RETURN_IF_ERROR((*writer)->write(data.begin(), data.size()));
              return (*writer)->commit(checksum);
            })
      .then([this, context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) return setStatus(results.initStatus(), lom.status());
        toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
      });
}

kj::Promise<void> TargetService::beginPut(BeginPutContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  Status st = checkRouted(bucket, name, p.getRef().getLocalOnly());
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  size_t mp = mountpathOf(bucket, name);
  return ctx_.io
      ->run(mp,
            [store = ctx_.store.get(), bucket, name, ifAbsent = p.getRef().getIfAbsent(),
             opts = putOptions(bucket, proto::fromWire(p.getCustom()))]() mutable
            -> Result<std::unique_ptr<store::ObjectWriter>> {
              AIS_RETURN_IF_ERROR(checkAbsent(*store, ifAbsent, bucket, name));
              return store->beginPut(bucket, name, std::move(opts));
            })
      .then([this, context, mp](Result<std::unique_ptr<store::ObjectWriter>> writer) mutable {
        auto results = context.getResults();
        if (!writer.ok()) return setStatus(results.initStatus(), writer.status());
        results.setStream(kj::heap<PutStreamImpl>(std::move(*writer), ctx_.cfg.id, *ctx_.io, mp));
      });
}

kj::Promise<Result<TargetService::ReaderPtr>> TargetService::openOnDisk(const std::string& bucket,
                                                                        const std::string& name) {
  return ctx_.io->run(mountpathOf(bucket, name),
                      [store = ctx_.store.get(), bucket, name]() -> Result<ReaderPtr> {
                        auto rd = store->openObject(bucket, name);
                        if (!rd.ok()) return rd.status();
                        return ReaderPtr(std::move(*rd));
                      });
}

kj::Promise<void> TargetService::getObject(GetObjectContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  bool localOnly = p.getRef().getLocalOnly();
  Status st = checkRouted(bucket, name, localOnly);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  // One worker call opens the object and, when the reply is small enough to go inline, reads
  // (and verifies) its bytes too: a small GET costs one hop to a worker and back.
  return ctx_.io
      ->run(mountpathOf(bucket, name),
            [store = ctx_.store.get(), bucket, name, offset = p.getOffset(), toEnd = p.getToEnd(),
             length = p.getLength(), inlineMax = p.getInlineMax()]() -> Result<Opened> {
              auto rd = store->openObject(bucket, name);
              if (!rd.ok()) return rd.status();
              Opened o{ReaderPtr(std::move(*rd)), std::nullopt};
              uint64_t size = o.reader->lom().size;
              if (offset >= size && !(offset == 0 && toEnd)) return o;  // answered on the loop
              uint64_t len = toEnd ? size - offset : std::min(length, size - offset);
              if (len > inlineMax) return o;  // streamed: chunks go straight into the messages
              Inline in;
              in.bytes.resize(len);
              auto r = o.reader->read(in.bytes.data(), len, offset);
              if (!r.ok() || *r != len) {
                in.bytes.clear();  // never hand out bad bytes
                in.error =
                    r.ok() ? Status(Code::kObjectCorrupted, "object file shorter than its metadata")
                           : r.status();
              } else {
                in.digest = XXH64(in.bytes.data(), len, 0);
              }
              o.inlined = std::move(in);
              return o;
            })
      .then([this, context, bucket, name,
             localOnly](Result<Opened> opened) mutable -> kj::Promise<void> {
        if (!opened.ok()) {
          if (opened.code() == Code::kObjectNotFound && !localOnly) {
            return findElsewhere(bucket, name).then([context](Status st) mutable {
              setStatus(context.getResults().initStatus(), st);
            });
          }
          setStatus(context.getResults().initStatus(), opened.status());
          return kj::READY_NOW;
        }
        return sendObjectBytes(context, bucket, name, std::move(*opened));
      });
}

kj::Promise<void> TargetService::sendObjectBytes(GetObjectContext context,
                                                 const std::string& bucket, const std::string& name,
                                                 Opened opened) {
  auto p = context.getParams();
  ReaderPtr reader = opened.reader;
  const store::Lom& lom = reader->lom();
  uint64_t offset = p.getOffset();
  bool whole = offset == 0 && p.getToEnd();
  if (!whole && offset >= lom.size) {
    setStatus(context.getResults().initStatus(),
              Status(Code::kRangeNotSatisfiable,
                     "offset " + std::to_string(offset) + " is past the end of ais://" + bucket +
                         "/" + name + " (" + std::to_string(lom.size) + " bytes)"));
    return kj::READY_NOW;
  }
  if (p.getIfVersion() != 0 && lom.version != p.getIfVersion()) {
    setStatus(context.getResults().initStatus(),
              Status(Code::kVersionChanged, "ais://" + bucket + "/" + name + " is version " +
                                                std::to_string(lom.version) + ", not " +
                                                std::to_string(p.getIfVersion())));
    return kj::READY_NOW;
  }
  uint64_t length = p.getToEnd() ? lom.size - offset : std::min(p.getLength(), lom.size - offset);
  bool checkWhole = whole && lom.checksumType == "xxhash64";
  std::string what = "ais://" + bucket + "/" + name;
  size_t mp = mountpathOf(bucket, name);

  if (opened.inlined) {
    auto results = context.getResults();
    Inline& in = *opened.inlined;
    if (in.error.ok() && checkWhole && in.digest != lom.checksum) {
      log::error("{}: checksum {:016x} does not match the stored {:016x}", what, in.digest,
                 lom.checksum);
      in.error = Status(Code::kObjectCorrupted, what + " is corrupt on target " + ctx_.cfg.id);
    }
    if (!in.error.ok()) {
      setStatus(results.initStatus(), in.error);
      return kj::READY_NOW;
    }
    results.setData(proto::asBytes(in.bytes));
    results.setSentBytes(in.bytes.size());
    results.setDataChecksum(in.digest);
    toAttrs(lom, ctx_.cfg.id, results.initAttrs());
    return kj::READY_NOW;
  }

  auto streamer =
      kj::heap<GetStreamer>(reader, p.getSink(), offset, length, chunkBytes(), *ctx_.io, mp);
  auto& s = *streamer;
  return s.run()
      .then([this, context, &s, checkWhole, what](Status st) mutable {
        auto results = context.getResults();
        if (st.ok() && checkWhole && s.digest() != s.lom().checksum) {
          log::error("{}: checksum {:016x} does not match the stored {:016x}", what, s.digest(),
                     s.lom().checksum);
          st = Status(Code::kObjectCorrupted, what + " is corrupt on target " + ctx_.cfg.id);
        }
        if (!st.ok()) return setStatus(results.initStatus(), st);
        results.setSentBytes(s.sent());
        results.setDataChecksum(s.digest());
        toAttrs(s.lom(), ctx_.cfg.id, results.initAttrs());
      })
      .attach(kj::mv(streamer));
}

kj::Promise<void> TargetService::headObject(HeadObjectContext context) {
  auto ref = context.getParams().getRef();
  std::string bucket = proto::str(ref.getBucket());
  std::string name = proto::str(ref.getName());
  bool localOnly = ref.getLocalOnly();
  Status st = checkRouted(bucket, name, localOnly);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  return ctx_.io
      ->run(mountpathOf(bucket, name),
            [store = ctx_.store.get(), bucket, name] { return store->head(bucket, name); })
      .then([this, context, bucket, name,
             localOnly](Result<store::Lom> lom) mutable -> kj::Promise<void> {
        if (!lom.ok() && lom.code() == Code::kObjectNotFound && !localOnly) {
          return findElsewhere(bucket, name).then([context](Status st) mutable {
            setStatus(context.getResults().initStatus(), st);
          });
        }
        auto results = context.getResults();
        if (!lom.ok()) {
          setStatus(results.initStatus(), lom.status());
        } else {
          toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
        }
        return kj::READY_NOW;
      });
}

kj::Promise<void> TargetService::deleteObject(DeleteObjectContext context) {
  auto ref = context.getParams().getRef();
  std::string bucket = proto::str(ref.getBucket());
  std::string name = proto::str(ref.getName());
  bool localOnly = ref.getLocalOnly();
  Status st = checkRouted(bucket, name, localOnly);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  return ctx_.io
      ->run(mountpathOf(bucket, name),
            [store = ctx_.store.get(), bucket, name] { return store->remove(bucket, name); })
      .then([this, context, bucket, name, localOnly](Status st) mutable -> kj::Promise<void> {
        if (localOnly || (!st.ok() && st.code() != Code::kObjectNotFound)) {
          setStatus(context.getResults().initStatus(), st);
          return kj::READY_NOW;
        }
        // Misplaced copies (a rebalance not finished) must go too, or a later GET would find
        // them.
        return removeElsewhere(bucket, name).then([context, st](bool removed) mutable {
          setStatus(context.getResults().initStatus(), removed ? Status::OK() : st);
        });
      });
}

namespace {

// Pushes an open object through a PutStream in chunks (each read and verified by the object's
// I/O worker), then commits with the LOM's checksum so the receiver verifies what arrived.
struct ObjectPump {
  ReaderPtr rd;
  wire::PutStream::Client stream;
  uint32_t chunk;
  IoWorkers& io;
  size_t mp;
  uint64_t off = 0;

  kj::Promise<Result<store::Lom>> run() {
    uint64_t size = rd->lom().size;
    if (off >= size) {
      auto c = stream.commitRequest();
      c.setChecksum(rd->lom().checksum);
      return c.send().then([](auto&& r) -> Result<store::Lom> {
        Status st = proto::toStatus(r.getStatus());
        if (!st.ok()) return st;
        return lomFromInfo(proto::fromWire(r.getAttrs()));
      });
    }
    uint64_t n = std::min<uint64_t>(chunk, size - off);
    auto w = kj::heap(stream.writeRequest());
    auto buf = w->initChunk(n);
    return io
        .run(mp,
             [rd = rd, buf, at = off]() mutable -> Status {
               auto g = rd->read(buf.begin(), buf.size(), at);
               if (!g.ok()) return g.status();
               if (*g != buf.size()) {
                 return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
               }
               return Status::OK();
             })
        .then([this, n, w = kj::mv(w)](Status st) mutable -> kj::Promise<Result<store::Lom>> {
          if (!st.ok()) return Result<store::Lom>(st);
          off += n;
          return w->send().then([this] { return run(); });
        });
  }
};

// Up to `limit` entries + common prefixes after startAfter (see ListOptions::delimiter).
Result<TargetService::Page> listPage(store::Store& store, const std::string& bucket,
                                     const std::string& prefix, std::string startAfter,
                                     const std::string& delimiter, size_t limit) {
  TargetService::Page out;
  while (out.entries.size() + out.prefixes.size() < limit) {
    size_t want = limit - out.entries.size() - out.prefixes.size();
    auto batch = store.list(bucket, prefix, startAfter, want);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    bool rolledUp = false;
    for (auto& lom : *batch) {
      size_t pos = delimiter.empty() ? std::string::npos : lom.name.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        // Everything under this common prefix is one item; continue listing past all of it.
        std::string common = lom.name.substr(0, pos + delimiter.size());
        if (out.prefixes.empty() || out.prefixes.back() != common) out.prefixes.push_back(common);
        startAfter = common + std::string(meta::kAfterAllNames);
        rolledUp = true;
        break;
      }
      startAfter = lom.name;
      out.entries.push_back(std::move(lom));
    }
    if (!rolledUp && batch->size() < want) break;
  }
  return out;
}

}  // namespace

// Runs on an I/O worker: copies a verified local object into a new local object.
Result<store::Lom> TargetService::copyLocal(store::Store& store, store::ObjectReader& rd,
                                            const std::string& bucket, const std::string& name,
                                            store::PutOptions opts) {
  auto writer = store.beginPut(bucket, name, std::move(opts));
  if (!writer.ok()) return writer.status();
  std::vector<char> buf(1 << 20);
  uint64_t size = rd.lom().size;
  for (uint64_t off = 0; off < size;) {
    auto n = rd.read(buf.data(), std::min<uint64_t>(buf.size(), size - off), off);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
    AIS_RETURN_IF_ERROR((*writer)->write(buf.data(), *n));
    off += *n;
  }
  return (*writer)->commit(rd.lom().checksum);
}

kj::Promise<Result<store::Lom>> TargetService::sendObject(ReaderPtr reader, std::string bucket,
                                                          std::string name,
                                                          std::map<std::string, std::string> custom,
                                                          bool ifAbsent) {
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
  if (!owner) return Result<store::Lom>(Status(Code::kNoTargets));
  if (owner->id == ctx_.cfg.id) {
    return ctx_.io->run(
        mountpathOf(bucket, name),
        [store = ctx_.store.get(), reader, bucket, name, ifAbsent,
         opts = putOptions(bucket, std::move(custom))]() mutable -> Result<store::Lom> {
          AIS_RETURN_IF_ERROR(checkAbsent(*store, ifAbsent, bucket, name));
          return copyLocal(*store, *reader, bucket, name, std::move(opts));
        });
  }
  std::string ep = owner->rpcEndpoint;
  auto req = ctx_.pool.get(ep).beginPutRequest();
  auto ref = req.initRef();
  ref.setBucket(bucket);
  ref.setName(name);
  ref.setSmapVersion(ctx_.meta.smap().version);
  ref.setIfAbsent(ifAbsent);
  if (!custom.empty()) proto::toWire(custom, req.initCustom(custom.size()));
  uint32_t chunk = std::max<uint32_t>(64 << 10, ctx_.meta.config().chunkBytes);
  // The source's mountpath: the reader reads from there.
  size_t mp = reader->mountpathIndex();
  return req.send()
      .then([this, reader, chunk, mp](capnp::Response<wire::Node::BeginPutResults>&& r)
                -> kj::Promise<Result<store::Lom>> {
        Status st = proto::toStatus(r.getStatus());
        if (!st.ok()) return Result<store::Lom>(st);
        auto pump = kj::heap<ObjectPump>(ObjectPump{reader, r.getStream(), chunk, *ctx_.io, mp});
        auto& p = *pump;
        return p.run().attach(kj::mv(pump));
      })
      .catch_([this, ep](kj::Exception&& e) -> Result<store::Lom> {
        ctx_.pool.drop(ep);
        return proto::statusFromException(e);
      });
}

kj::Promise<void> TargetService::renameObject(RenameObjectContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string from = proto::str(p.getRef().getName());
  std::string to = proto::str(p.getNewName());
  Status st = checkRouted(bucket, from, false);
  if (st.ok()) st = meta::validateObjectName(to);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  store::Store* store = ctx_.store.get();
  size_t mp = mountpathOf(bucket, from);
  auto answer = [context](Status st) mutable { setStatus(context.getResults().initStatus(), st); };
  if (from == to) {
    return ctx_.io->run(mp, [store, bucket, from] { return store->head(bucket, from).status(); })
        .then(kj::mv(answer));
  }
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, to));
  if (!owner) {
    answer(Status(Code::kNoTargets));
    return kj::READY_NOW;
  }
  if (owner->id == ctx_.cfg.id) {
    return ctx_.io->run(mp, [store, bucket, from, to] { return store->rename(bucket, from, to); })
        .then(kj::mv(answer));
  }
  return openOnDisk(bucket, from)
      .then([this, bucket, from, to](Result<ReaderPtr> reader) -> kj::Promise<Status> {
        if (!reader.ok()) return reader.status();
        auto custom = (*reader)->lom().custom;
        return sendObject(*reader, bucket, to, std::move(custom), false)
            .then([this, bucket, from](Result<store::Lom> moved) -> kj::Promise<Status> {
              if (!moved.ok()) return moved.status();
              // Remove the source only once the destination committed.
              return ctx_.io->run(
                  mountpathOf(bucket, from),
                  [store = ctx_.store.get(), bucket, from] { return store->remove(bucket, from); });
            });
      })
      .then(kj::mv(answer));
}

kj::Promise<void> TargetService::listObjects(ListObjectsContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getBucket());
  Status st = checkBucket(bucket);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  size_t limit = p.getLimit() == 0 ? 1000 : std::min<uint32_t>(p.getLimit(), 100000);
  return ctx_.io
      ->runAny([store = ctx_.store.get(), bucket, prefix = proto::str(p.getPrefix()),
                startAfter = proto::str(p.getStartAfter()),
                delimiter = proto::str(p.getDelimiter()),
                limit] { return listPage(*store, bucket, prefix, startAfter, delimiter, limit); })
      .then([this, context](Result<Page> page) mutable {
        auto results = context.getResults();
        if (!page.ok()) return setStatus(results.initStatus(), page.status());
        auto entries = results.initEntries(page->entries.size());
        for (size_t i = 0; i < page->entries.size(); ++i) {
          toAttrs(page->entries[i], ctx_.cfg.id, entries[i]);
        }
        if (!page->prefixes.empty()) {
          auto prefixes = results.initPrefixes(page->prefixes.size());
          for (size_t i = 0; i < page->prefixes.size(); ++i) prefixes.set(i, page->prefixes[i]);
        }
      });
}

kj::Promise<void> TargetService::setCustom(SetCustomContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  Status st = checkRouted(bucket, name, false);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  return ctx_.io
      ->run(mountpathOf(bucket, name),
            [store = ctx_.store.get(), bucket, name, incoming = proto::fromWire(p.getCustom()),
             merge = p.getMerge()]() mutable -> Result<store::Lom> {
              std::map<std::string, std::string> custom;
              if (merge) {
                auto cur = store->head(bucket, name);
                if (!cur.ok()) return cur.status();
                custom = cur->custom;
                for (auto& [k, v] : incoming) {
                  if (v.empty()) {
                    custom.erase(k);
                  } else {
                    custom[k] = v;
                  }
                }
              } else {
                custom = std::move(incoming);
              }
              return store->setCustom(bucket, name, std::move(custom));
            })
      .then([this, context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) return setStatus(results.initStatus(), lom.status());
        toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
      });
}

kj::Promise<void> TargetService::copyObject(CopyObjectContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  std::string dstBucket = proto::str(p.getDstBucket());
  std::string dstName = proto::str(p.getDstName());
  Status st = checkRouted(bucket, name, false);
  if (st.ok()) st = checkBucket(dstBucket);
  if (st.ok()) st = meta::validateObjectName(dstName);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  std::optional<std::map<std::string, std::string>> replaced;
  if (p.getReplaceCustom()) replaced = proto::fromWire(p.getCustom());
  return openOnDisk(bucket, name)
      .then([this, dstBucket, dstName, replaced = std::move(replaced)](
                Result<ReaderPtr> reader) mutable -> kj::Promise<Result<store::Lom>> {
        if (!reader.ok()) return Result<store::Lom>(reader.status());
        auto custom = replaced ? std::move(*replaced) : (*reader)->lom().custom;
        return sendObject(*reader, dstBucket, dstName, std::move(custom), false);
      })
      .then([context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) return setStatus(results.initStatus(), lom.status());
        toAttrs(*lom, "", results.initAttrs());
      });
}

kj::Promise<void> TargetService::bucketEmpty(BucketEmptyContext context) {
  std::string bucket = proto::str(context.getParams().getName());
  return ctx_.io->runAny([store = ctx_.store.get(), bucket] { return store->bucketEmpty(bucket); })
      .then([context](Result<bool> empty) mutable {
        auto results = context.getResults();
        if (!empty.ok()) return setStatus(results.initStatus(), empty.status());
        results.setEmpty(*empty);
      });
}

kj::Promise<void> TargetService::validateBucket(ValidateBucketContext context) {
  std::string bucket = proto::str(context.getParams().getBucket());
  Status st = checkBucket(bucket);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  auto counters = std::make_shared<store::ScrubCounters>();
  // A caller that goes away (the call is canceled) stops the scrub at the next object.
  counters->stopRequested = [] { return IoWorkers::cancelRequested(); };
  kj::Vector<kj::Promise<Result<store::ValidateReport>>> parts;
  for (size_t i = 0; i < ctx_.io->mountpaths(); ++i) {
    parts.add(ctx_.io->run(i, [store = ctx_.store.get(), i, bucket, counters] {
      return store->validate(i, bucket, counters.get());
    }));
  }
  using Reports = kj::Array<Result<store::ValidateReport>>;
  kj::Promise<Reports> reporting = kj::NEVER_DONE;
  if (context.getParams().hasProgress()) {
    reporting =
        reportScrub(context.getParams().getProgress(), counters).then([]() -> kj::Promise<Reports> {
          return kj::NEVER_DONE;
        });
  }
  return kj::joinPromises(parts.releaseAsArray())
      .exclusiveJoin(kj::mv(reporting))
      .then([context](kj::Array<Result<store::ValidateReport>>&& reports) mutable {
        auto results = context.getResults();
        store::ValidateReport all;
        auto append = [](std::vector<std::string>& to, std::vector<std::string>& from) {
          for (auto& s : from) {
            if (to.size() < store::ValidateReport::kMaxReportedNames) to.push_back(std::move(s));
          }
        };
        for (auto& r : reports) {
          if (!r.ok()) return setStatus(results.initStatus(), r.status());
          all.objects += r->objects;
          all.bytes += r->bytes;
          append(all.corrupt, r->corrupt);
          append(all.missing, r->missing);
          append(all.orphaned, r->orphaned);
          append(all.errors, r->errors);
        }
        auto out = results.initReport();
        out.setObjects(all.objects);
        out.setBytes(all.bytes);
        auto list = [](std::vector<std::string>& names, capnp::List<capnp::Text>::Builder b) {
          for (size_t i = 0; i < names.size(); ++i) b.set(i, names[i]);
        };
        list(all.corrupt, out.initCorrupt(all.corrupt.size()));
        list(all.missing, out.initMissing(all.missing.size()));
        list(all.orphaned, out.initOrphaned(all.orphaned.size()));
        list(all.errors, out.initErrors(all.errors.size()));
      });
}

kj::Promise<void> TargetService::reportScrub(wire::ScrubProgress::Client progress,
                                             std::shared_ptr<store::ScrubCounters> counters) {
  return ctx_.timer().afterDelay(1 * kj::SECONDS).then([this, progress, counters]() mutable {
    auto req = progress.updateRequest();
    req.setObjects(counters->objects.load(std::memory_order_relaxed));
    req.setBytes(counters->bytes.load(std::memory_order_relaxed));
    req.setDamaged(counters->damaged.load(std::memory_order_relaxed));
    // A caller that stopped listening does not stop the scrub.
    return req.send()
        .ignoreResult()
        .catch_([](kj::Exception&&) {})
        .then([this, progress, counters]() mutable { return reportScrub(progress, counters); });
  });
}

std::vector<const meta::NodeInfo*> TargetService::otherTargets() const {
  std::vector<const meta::NodeInfo*> out;
  for (const meta::NodeInfo* t : ctx_.meta.smap().activeTargets()) {
    if (t->id != ctx_.cfg.id) out.push_back(t);
  }
  return out;
}

kj::Promise<Status> TargetService::findElsewhere(const std::string& bucket,
                                                 const std::string& name) {
  Status notFound(Code::kObjectNotFound, "ais://" + bucket + "/" + name);
  kj::Vector<kj::Promise<std::string>> asks;
  for (const meta::NodeInfo* t : otherTargets()) {
    std::string ep = t->rpcEndpoint;
    std::string id = t->id;
    auto req = ctx_.pool.get(ep).headObjectRequest();
    auto ref = req.initRef();
    ref.setBucket(bucket);
    ref.setName(name);
    ref.setLocalOnly(true);
    asks.add(ctx_.timer()
                 .timeoutAfter(5 * kj::SECONDS, req.send().then([id](auto&& r) -> std::string {
                   return proto::toStatus(r.getStatus()).ok() ? id : std::string();
                 }))
                 .catch_([this, ep](kj::Exception&&) {
                   ctx_.pool.drop(ep);
                   return std::string();
                 }));
  }
  return kj::joinPromises(asks.releaseAsArray())
      .then(
          [this, bucket, name, notFound](kj::Array<std::string>&& holders) -> kj::Promise<Status> {
            for (auto& h : holders) {
              if (!h.empty()) return Status(Code::kObjectMoved, h);
            }
            // The move may have landed here while we were asking: then this target is the holder.
            return ctx_.io
                ->run(mountpathOf(bucket, name), [store = ctx_.store.get(), bucket,
                                                  name] { return store->head(bucket, name).ok(); })
                .then([this, notFound](bool here) {
                  return here ? Status(Code::kObjectMoved, ctx_.cfg.id) : notFound;
                });
          });
}

kj::Promise<bool> TargetService::removeElsewhere(const std::string& bucket,
                                                 const std::string& name) {
  kj::Vector<kj::Promise<bool>> dels;
  for (const meta::NodeInfo* t : otherTargets()) {
    std::string ep = t->rpcEndpoint;
    auto req = ctx_.pool.get(ep).deleteObjectRequest();
    auto ref = req.initRef();
    ref.setBucket(bucket);
    ref.setName(name);
    ref.setLocalOnly(true);
    dels.add(ctx_.timer()
                 .timeoutAfter(5 * kj::SECONDS, req.send().then([](auto&& r) {
                   return proto::toStatus(r.getStatus()).ok();
                 }))
                 .catch_([this, ep](kj::Exception&&) {
                   ctx_.pool.drop(ep);
                   return false;
                 }));
  }
  return kj::joinPromises(dels.releaseAsArray()).then([](kj::Array<bool>&& removed) {
    for (bool r : removed) {
      if (r) return true;
    }
    return false;
  });
}

kj::Promise<Status> TargetService::moveToOwner(const std::string& bucket, const std::string& name) {
  return openOnDisk(bucket, name)
      .then([this, bucket, name](Result<ReaderPtr> reader) -> kj::Promise<Status> {
        if (!reader.ok()) return reader.status();
        uint64_t version = (*reader)->lom().version;
        auto custom = (*reader)->lom().custom;
        return sendObject(*reader, bucket, name, std::move(custom), true)
            .then([this, bucket, name, version](Result<store::Lom> sent) -> kj::Promise<Status> {
              // Delivered, or the owner already has a newer copy: either way this one is redundant.
              if (!sent.ok() && sent.code() != Code::kObjectExists) return sent.status();
              return ctx_.io->run(mountpathOf(bucket, name),
                                  [store = ctx_.store.get(), bucket, name, version]() -> Status {
                                    auto now = store->head(bucket, name);
                                    // Changed meanwhile: keep it.
                                    if (now.ok() && now->version != version) return Status::OK();
                                    return store->remove(bucket, name);
                                  });
            });
      });
}

kj::Promise<Result<std::vector<store::Lom>>> TargetService::listLocal(const std::string& bucket,
                                                                      const std::string& after,
                                                                      size_t limit) {
  return ctx_.io->runAny([store = ctx_.store.get(), bucket, after, limit] {
    return store->list(bucket, "", after, limit);
  });
}

void TargetService::onBmdChange(const meta::BMD& before, const meta::BMD& after) {
  for (const auto& [name, props] : before.buckets) {
    if (after.buckets.count(name)) continue;
    // Detaching is quick (the tree is renamed aside and the bucket's LOMs dropped), so a bucket
    // created again under the same name right after starts empty; deleting the detached files
    // can take long and runs on an I/O worker, never inside the metasync answer.
    auto detached = ctx_.store->detachBucket(name);
    if (!detached.ok()) {
      log::error("removing the data of destroyed bucket ais://{}: {}", name,
                 detached.status().toString());
      continue;
    }
    background_.add(ctx_.io->runAny([store = ctx_.store.get(), name, trash = std::move(*detached)] {
      Status st = store->removeTrash(trash);
      if (st.ok()) {
        log::info("removed the data of destroyed bucket ais://{}", name);
      } else {
        log::error("removing the data of destroyed bucket ais://{}: {}", name, st.toString());
      }
    }));
  }
}

void TargetService::taskFailed(kj::Exception&& e) {
  log::error("target background task: {}", e.getDescription().cStr());
}

}  // namespace ais::node
