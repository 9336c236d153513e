#include "node/target/target.h"

#include <kj/vector.h>
#include <xxhash.h>

#include "common/log.h"
#include "meta/names.h"
#include "proto/wire.h"

namespace ais::node {

using proto::setStatus;

namespace {

void toAttrs(const store::Lom& lom, const std::string& targetId, wire::ObjectAttrs::Builder out) {
  out.setName(lom.name);
  out.setSize(lom.size);
  out.setChecksum(lom.checksum);
  out.setChecksumType(lom.checksumType);
  out.setVersion(lom.version);
  out.setAtimeNs(lom.atimeNs);
  out.setMtimeNs(lom.mtimeNs);
  if (!lom.custom.empty()) proto::toWire(lom.custom, out.initCustom(lom.custom.size()));
  out.setTargetId(targetId);
}

// The writer's end of a streamed PUT. Dropped without commit: the work file is discarded.
class PutStreamImpl final : public wire::PutStream::Server {
 public:
  PutStreamImpl(std::unique_ptr<store::ObjectWriter> writer, std::string targetId)
      : writer_(std::move(writer)), targetId_(std::move(targetId)) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    if (!writer_) return kj::READY_NOW;
    auto chunk = context.getParams().getChunk();
    if (error_.ok()) error_ = writer_->write(chunk.begin(), chunk.size());
    return kj::READY_NOW;
  }

  kj::Promise<void> commit(CommitContext context) override {
    auto results = context.getResults();
    if (!writer_) {
      setStatus(results.initStatus(), Status(Code::kInvalidArgument, "already committed"));
      return kj::READY_NOW;
    }
    auto writer = std::move(writer_);
    if (!error_.ok()) {
      setStatus(results.initStatus(), error_);
      return kj::READY_NOW;  // writer dropped: nothing stored
    }
    auto params = context.getParams();
    if (params.getReplaceCustom()) writer->setCustom(proto::fromWire(params.getCustom()));
    auto lom = writer->commit(params.getChecksum());
    if (!lom.ok()) {
      if (lom.code() == Code::kChecksumMismatch) log::warn("PUT refused: {}", lom.status().toString());
      setStatus(results.initStatus(), lom.status());
      return kj::READY_NOW;
    }
    toAttrs(*lom, targetId_, results.initAttrs());
    return kj::READY_NOW;
  }

 private:
  std::unique_ptr<store::ObjectWriter> writer_;
  std::string targetId_;
  Status error_;
};

// Streams [offset, offset+length) of an object to the reader's sink in chunks, hashing as it goes.
class GetStreamer {
 public:
  GetStreamer(std::unique_ptr<store::ObjectReader> reader, wire::ByteSink::Client sink,
              uint64_t offset, uint64_t length, uint32_t chunk)
      : reader_(std::move(reader)), sink_(kj::mv(sink)), next_(offset), end_(offset + length),
        chunk_(chunk), hash_(XXH64_createState()) {
    XXH64_reset(hash_, 0);
  }
  ~GetStreamer() { XXH64_freeState(hash_); }

  kj::Promise<Status> run() {
    if (next_ >= end_) return Status::OK();
    uint64_t n = std::min<uint64_t>(chunk_, end_ - next_);
    auto req = sink_.writeRequest();
    auto buf = req.initChunk(n);
    size_t got = 0;
    while (got < n) {
      auto r = reader_->pread(buf.begin() + got, n - got, next_ + got);
      if (!r.ok()) return r.status();
      if (*r == 0) return Status(Code::kIoError, "object file shorter than its metadata");
      got += *r;
    }
    XXH64_update(hash_, buf.begin(), n);
    next_ += n;
    sent_ += n;
    return req.send().then([this] { return run(); });
  }

  uint64_t digest() const { return XXH64_digest(hash_); }
  uint64_t sent() const { return sent_; }
  const store::Lom& lom() const { return reader_->lom(); }

 private:
  std::unique_ptr<store::ObjectReader> reader_;
  wire::ByteSink::Client sink_;
  uint64_t next_;
  uint64_t end_;
  uint32_t chunk_;
  uint64_t sent_ = 0;
  XXH64_state_t* hash_;
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
    return Status(Code::kStaleSmap, "target " + ctx.cfg.id + " does not own ais://" + bucket +
                                        "/" + name + " under Smap v" +
                                        std::to_string(smap.version));
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

kj::Promise<void> TargetService::putObject(PutObjectContext context) {
  auto p = context.getParams();
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  auto results = context.getResults();
  Status st = checkPut(bucket, name, p.getRef());
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto writer = ctx_.store->beginPut(bucket, name, putOptions(bucket, proto::fromWire(p.getCustom())));
  if (!writer.ok()) {
    setStatus(results.initStatus(), writer.status());
    return kj::READY_NOW;
  }
  auto data = p.getData();
  st = (*writer)->write(data.begin(), data.size());
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto lom = (*writer)->commit(p.getChecksum());
  if (!lom.ok()) {
    setStatus(results.initStatus(), lom.status());
    return kj::READY_NOW;
  }
  toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::beginPut(BeginPutContext context) {
  auto p = context.getParams();
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  auto results = context.getResults();
  Status st = checkPut(bucket, name, p.getRef());
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto writer = ctx_.store->beginPut(bucket, name, putOptions(bucket, proto::fromWire(p.getCustom())));
  if (!writer.ok()) {
    setStatus(results.initStatus(), writer.status());
    return kj::READY_NOW;
  }
  results.setStream(kj::heap<PutStreamImpl>(std::move(*writer), ctx_.cfg.id));
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::getObject(GetObjectContext context) {
  auto p = context.getParams();
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  bool localOnly = p.getRef().getLocalOnly();
  Status st = checkRouted(bucket, name, localOnly);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  auto reader = ctx_.store->openObject(bucket, name);
  if (!reader.ok()) {
    if (reader.code() == Code::kObjectNotFound && !localOnly) {
      return findElsewhere(bucket, name).then([context](Status st) mutable {
        setStatus(context.getResults().initStatus(), st);
      });
    }
    setStatus(context.getResults().initStatus(), reader.status());
    return kj::READY_NOW;
  }
  const store::Lom& lom = (*reader)->lom();
  uint64_t offset = p.getOffset();
  bool whole = offset == 0 && p.getToEnd();
  if (!whole && offset >= lom.size) {
    setStatus(context.getResults().initStatus(),
              Status(Code::kRangeNotSatisfiable, "offset " + std::to_string(offset) +
                                                     " is past the end of ais://" + bucket + "/" +
                                                     name + " (" + std::to_string(lom.size) +
                                                     " bytes)"));
    return kj::READY_NOW;
  }
  uint64_t length = p.getToEnd() ? lom.size - offset : std::min(p.getLength(), lom.size - offset);
  bool checkWhole = whole && lom.checksumType == "xxhash64";
  auto corrupt = [&](uint64_t got) {
    log::error("ais://{}/{}: checksum {:016x} does not match the stored {:016x}", bucket, name,
               got, lom.checksum);
    return Status(Code::kChecksumMismatch,
                  "ais://" + bucket + "/" + name + " is corrupt on target " + ctx_.cfg.id);
  };

  if (length <= p.getInlineMax()) {
    auto results = context.getResults();
    auto data = results.initData(length);
    size_t got = 0;
    while (got < length) {
      auto r = (*reader)->pread(data.begin() + got, length - got, offset + got);
      if (!r.ok() || *r == 0) {
        std::fill(data.begin(), data.end(), 0);
        setStatus(results.initStatus(),
                  r.ok() ? Status(Code::kIoError, "object file shorter than its metadata")
                         : r.status());
        return kj::READY_NOW;
      }
      got += *r;
    }
    uint64_t digest = XXH64(data.begin(), length, 0);
    if (checkWhole && digest != lom.checksum) {
      std::fill(data.begin(), data.end(), 0);  // never hand out bad bytes
      setStatus(results.initStatus(), corrupt(digest));
      return kj::READY_NOW;
    }
    results.setSentBytes(length);
    results.setDataChecksum(digest);
    toAttrs(lom, ctx_.cfg.id, results.initAttrs());
    return kj::READY_NOW;
  }

  auto streamer = kj::heap<GetStreamer>(std::move(*reader), p.getSink(), offset, length,
                                        ctx_.meta.config().chunkBytes ? ctx_.meta.config().chunkBytes
                                                                      : (1u << 20));
  auto& s = *streamer;
  std::string what = "ais://" + bucket + "/" + name;
  return s.run().then([this, context, &s, checkWhole, what](Status st) mutable {
    auto results = context.getResults();
    if (st.ok() && checkWhole && s.digest() != s.lom().checksum) {
      log::error("{}: checksum {:016x} does not match the stored {:016x}", what, s.digest(),
                 s.lom().checksum);
      st = Status(Code::kChecksumMismatch, what + " is corrupt on target " + ctx_.cfg.id);
    }
    if (!st.ok()) {
      setStatus(results.initStatus(), st);
      return;
    }
    results.setSentBytes(s.sent());
    results.setDataChecksum(s.digest());
    toAttrs(s.lom(), ctx_.cfg.id, results.initAttrs());
  }).attach(kj::mv(streamer));
}

kj::Promise<void> TargetService::headObject(HeadObjectContext context) {
  auto ref = context.getParams().getRef();
  std::string bucket = ref.getBucket();
  std::string name = ref.getName();
  bool localOnly = ref.getLocalOnly();
  auto results = context.getResults();
  Status st = checkRouted(bucket, name, localOnly);
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto lom = ctx_.store->head(bucket, name);
  if (!lom.ok() && lom.code() == Code::kObjectNotFound && !localOnly) {
    return findElsewhere(bucket, name).then([context](Status st) mutable {
      setStatus(context.getResults().initStatus(), st);
    });
  }
  if (!lom.ok()) {
    setStatus(results.initStatus(), lom.status());
    return kj::READY_NOW;
  }
  toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::deleteObject(DeleteObjectContext context) {
  auto ref = context.getParams().getRef();
  std::string bucket = ref.getBucket();
  std::string name = ref.getName();
  bool localOnly = ref.getLocalOnly();
  Status st = checkRouted(bucket, name, localOnly);
  if (st.ok()) st = ctx_.store->remove(bucket, name);
  if (localOnly || (!st.ok() && st.code() != Code::kObjectNotFound)) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  // Misplaced copies (a rebalance not finished) must go too, or a later GET would find them.
  return removeElsewhere(bucket, name).then([context, st](bool removed) mutable {
    setStatus(context.getResults().initStatus(), removed ? Status::OK() : st);
  });
}

namespace {

// Pushes an open object through a PutStream in chunks, then commits with the LOM's checksum so
// the receiver verifies what arrived.
struct ObjectPump {
  std::shared_ptr<store::ObjectReader> rd;
  wire::PutStream::Client stream;
  uint32_t chunk;
  uint64_t off = 0;

  kj::Promise<Result<store::Lom>> run() {
    uint64_t size = rd->lom().size;
    if (off >= size) {
      auto c = stream.commitRequest();
      c.setChecksum(rd->lom().checksum);
      return c.send().then([](auto&& r) -> Result<store::Lom> {
        Status st = proto::toStatus(r.getStatus());
        if (!st.ok()) return st;
        auto a = r.getAttrs();
        store::Lom lom;
        lom.name = a.getName();
        lom.size = a.getSize();
        lom.checksum = a.getChecksum();
        lom.checksumType = a.getChecksumType();
        lom.version = a.getVersion();
        lom.atimeNs = a.getAtimeNs();
        lom.mtimeNs = a.getMtimeNs();
        lom.custom = proto::fromWire(a.getCustom());
        return lom;
      });
    }
    uint64_t n = std::min<uint64_t>(chunk, size - off);
    auto w = stream.writeRequest();
    auto buf = w.initChunk(n);
    size_t got = 0;
    while (got < n) {
      auto g = rd->pread(buf.begin() + got, n - got, off + got);
      if (!g.ok()) return Result<store::Lom>(g.status());
      if (*g == 0) return Result<store::Lom>(Status(Code::kIoError, "object file shorter than its metadata"));
      got += *g;
    }
    off += n;
    return w.send().then([this] { return run(); });
  }
};

}  // namespace

Result<store::Lom> TargetService::copyLocal(store::ObjectReader& rd, const std::string& bucket,
                                            const std::string& name,
                                            std::map<std::string, std::string> custom) {
  auto writer = ctx_.store->beginPut(bucket, name, putOptions(bucket, std::move(custom)));
  if (!writer.ok()) return writer.status();
  std::vector<char> buf(1 << 20);
  uint64_t size = rd.lom().size;
  for (uint64_t off = 0; off < size;) {
    auto n = rd.pread(buf.data(), std::min<uint64_t>(buf.size(), size - off), off);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kIoError, "object file shorter than its metadata");
    AIS_RETURN_IF_ERROR((*writer)->write(buf.data(), *n));
    off += *n;
  }
  return (*writer)->commit(rd.lom().checksum);
}

kj::Promise<Result<store::Lom>> TargetService::sendObject(std::unique_ptr<store::ObjectReader> reader,
                                                          std::string bucket, std::string name,
                                                          std::map<std::string, std::string> custom,
                                                          bool ifAbsent) {
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
  if (!owner) return Result<store::Lom>(Status(Code::kNoTargets));
  if (owner->id == ctx_.cfg.id) {
    if (ifAbsent && ctx_.store->head(bucket, name).ok()) {
      return Result<store::Lom>(Status(Code::kObjectExists));
    }
    return copyLocal(*reader, bucket, name, std::move(custom));
  }
  std::string ep = owner->rpcEndpoint;
  auto req = ctx_.pool.get(ep).beginPutRequest();
  auto ref = req.initRef();
  ref.setBucket(bucket);
  ref.setName(name);
  ref.setSmapVersion(ctx_.meta.smap().version);
  ref.setIfAbsent(ifAbsent);
  if (!custom.empty()) proto::toWire(custom, req.initCustom(custom.size()));
  auto rd = std::shared_ptr<store::ObjectReader>(std::move(reader));
  uint32_t chunk = std::max<uint32_t>(64 << 10, ctx_.meta.config().chunkBytes);
  return req.send()
      .then([rd, chunk](capnp::Response<wire::Node::BeginPutResults>&& r)
                -> kj::Promise<Result<store::Lom>> {
        Status st = proto::toStatus(r.getStatus());
        if (!st.ok()) return Result<store::Lom>(st);
        auto pump = kj::heap<ObjectPump>(ObjectPump{rd, r.getStream(), chunk});
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
  std::string bucket = p.getRef().getBucket();
  std::string from = p.getRef().getName();
  std::string to = p.getNewName();
  Status st = checkRouted(bucket, from, false);
  if (st.ok()) st = meta::validateObjectName(to);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  if (from == to) {
    auto head = ctx_.store->head(bucket, from);
    setStatus(context.getResults().initStatus(), head.status());
    return kj::READY_NOW;
  }
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, to));
  if (owner && owner->id == ctx_.cfg.id) {
    setStatus(context.getResults().initStatus(), ctx_.store->rename(bucket, from, to));
    return kj::READY_NOW;
  }
  if (!owner) {
    setStatus(context.getResults().initStatus(), Status(Code::kNoTargets));
    return kj::READY_NOW;
  }
  auto reader = ctx_.store->openObject(bucket, from);
  if (!reader.ok()) {
    setStatus(context.getResults().initStatus(), reader.status());
    return kj::READY_NOW;
  }
  auto custom = (*reader)->lom().custom;
  return sendObject(std::move(*reader), bucket, to, std::move(custom), false)
      .then([this, context, bucket, from](Result<store::Lom> moved) mutable {
        // Remove the source only once the destination committed.
        Status st = moved.ok() ? ctx_.store->remove(bucket, from) : moved.status();
        setStatus(context.getResults().initStatus(), st);
      });
}

kj::Promise<void> TargetService::listObjects(ListObjectsContext context) {
  auto p = context.getParams();
  std::string bucket = p.getBucket();
  auto results = context.getResults();
  Status st = checkBucket(bucket);
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  size_t limit = p.getLimit() == 0 ? 1000 : std::min<uint32_t>(p.getLimit(), 100000);
  auto page = listPage(bucket, p.getPrefix(), p.getStartAfter(), p.getDelimiter(), limit);
  if (!page.ok()) {
    setStatus(results.initStatus(), page.status());
    return kj::READY_NOW;
  }
  auto entries = results.initEntries(page->entries.size());
  for (size_t i = 0; i < page->entries.size(); ++i) {
    toAttrs(page->entries[i], ctx_.cfg.id, entries[i]);
  }
  if (!page->prefixes.empty()) {
    auto prefixes = results.initPrefixes(page->prefixes.size());
    for (size_t i = 0; i < page->prefixes.size(); ++i) prefixes.set(i, page->prefixes[i]);
  }
  return kj::READY_NOW;
}

Result<TargetService::Page> TargetService::listPage(const std::string& bucket,
                                                    const std::string& prefix,
                                                    std::string startAfter,
                                                    const std::string& delimiter, size_t limit) {
  Page out;
  while (out.entries.size() + out.prefixes.size() < limit) {
    size_t want = limit - out.entries.size() - out.prefixes.size();
    auto batch = ctx_.store->list(bucket, prefix, startAfter, want);
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

kj::Promise<void> TargetService::setCustom(SetCustomContext context) {
  auto p = context.getParams();
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  auto results = context.getResults();
  Status st = checkRouted(bucket, name, false);
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto incoming = proto::fromWire(p.getCustom());
  std::map<std::string, std::string> custom;
  if (p.getMerge()) {
    auto cur = ctx_.store->head(bucket, name);
    if (!cur.ok()) {
      setStatus(results.initStatus(), cur.status());
      return kj::READY_NOW;
    }
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
  auto lom = ctx_.store->setCustom(bucket, name, std::move(custom));
  if (!lom.ok()) {
    setStatus(results.initStatus(), lom.status());
    return kj::READY_NOW;
  }
  toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::copyObject(CopyObjectContext context) {
  auto p = context.getParams();
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  std::string dstBucket = p.getDstBucket();
  std::string dstName = p.getDstName();
  Status st = checkRouted(bucket, name, false);
  if (st.ok()) st = checkBucket(dstBucket);
  if (st.ok()) st = meta::validateObjectName(dstName);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  auto reader = ctx_.store->openObject(bucket, name);
  if (!reader.ok()) {
    setStatus(context.getResults().initStatus(), reader.status());
    return kj::READY_NOW;
  }
  auto custom = p.getReplaceCustom() ? proto::fromWire(p.getCustom()) : (*reader)->lom().custom;
  return sendObject(std::move(*reader), dstBucket, dstName, std::move(custom), false)
      .then([this, context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) {
          setStatus(results.initStatus(), lom.status());
          return;
        }
        toAttrs(*lom, "", results.initAttrs());
      });
}

kj::Promise<void> TargetService::bucketEmpty(BucketEmptyContext context) {
  auto results = context.getResults();
  std::string bucket = context.getParams().getName();
  auto empty = ctx_.store->bucketEmpty(bucket);
  if (!empty.ok()) {
    setStatus(results.initStatus(), empty.status());
    return kj::READY_NOW;
  }
  results.setEmpty(*empty);
  return kj::READY_NOW;
}

Status TargetService::checkPut(const std::string& bucket, const std::string& name,
                               wire::ObjectRef::Reader ref) {
  AIS_RETURN_IF_ERROR(checkRouted(bucket, name, ref.getLocalOnly()));
  if (ref.getIfAbsent() && ctx_.store->head(bucket, name).ok()) {
    return Status(Code::kObjectExists, "ais://" + bucket + "/" + name);
  }
  return Status::OK();
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
      .then([this, bucket, name, notFound](kj::Array<std::string>&& holders) -> Status {
        for (auto& h : holders) {
          if (!h.empty()) return Status(Code::kObjectMoved, h);
        }
        // The move may have landed here while we were asking: then this target is the holder.
        if (ctx_.store->head(bucket, name).ok()) return Status(Code::kObjectMoved, ctx_.cfg.id);
        return notFound;
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
  auto reader = ctx_.store->openObject(bucket, name);
  if (!reader.ok()) return reader.status();
  uint64_t version = (*reader)->lom().version;
  auto custom = (*reader)->lom().custom;
  return sendObject(std::move(*reader), bucket, name, std::move(custom), true)
      .then([this, bucket, name, version](Result<store::Lom> sent) -> Status {
        // Delivered, or the owner already has a newer copy: either way this one is redundant.
        if (!sent.ok() && sent.code() != Code::kObjectExists) return sent.status();
        auto now = ctx_.store->head(bucket, name);
        if (now.ok() && now->version != version) return Status::OK();  // changed meanwhile: keep
        return ctx_.store->remove(bucket, name);
      });
}

void TargetService::onBmdChange(const meta::BMD& before, const meta::BMD& after) {
  for (const auto& [name, props] : before.buckets) {
    if (after.buckets.count(name)) continue;
    Status st = ctx_.store->destroyBucket(name);
    if (st.ok()) {
      log::info("removed the data of destroyed bucket ais://{}", name);
    } else {
      log::error("removing the data of destroyed bucket ais://{}: {}", name, st.toString());
    }
  }
}

}  // namespace ais::node
