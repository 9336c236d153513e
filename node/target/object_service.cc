#include "node/target/object_service.h"

#include <kj/vector.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "common/log.h"
#include "common/zeros.h"
#include "meta/names.h"
#include "node/store/change_writer.h"
#include "node/target/object_attrs.h"
#include "node/target/peer_calls.h"
#include "node/target/put_stream.h"
#include "proto/wire.h"

namespace ais::node {

// AIS_RETURN_IF_ERROR for functions that return kj::Promise<Result<T>>.
#define AIS_RETURN_PROMISE_IF_ERROR(T, expr)                 \
  do {                                                       \
    Status ais_st_ = (expr);                                 \
    if (!ais_st_.ok()) return Result<T>(std::move(ais_st_)); \
  } while (0)

namespace {

using ReaderPtr = std::shared_ptr<store::ObjectReader>;

// On an I/O worker: ObjectExists when a PUT asked ifAbsent and the object is there (rebalance
// transfers, mtimeNs set, never overwrite a newer copy; they replace an older one).
Status checkAbsent(store::Store& store, bool ifAbsent, const std::string& bucket,
                   const std::string& name, int64_t mtimeNs) {
  if (!ifAbsent) return Status::OK();
  // A version that moves into a versioned bucket is placed among the key's versions at the
  // commit (Store::placeMovedLocked), whatever is there.
  if (mtimeNs > 0 && store.policyOf(bucket).versioning != store::Versioning::kOff) {
    return Status::OK();
  }
  auto cur = store.head(bucket, name);
  if (cur.ok() && !store::supersedes(mtimeNs, *cur)) {
    return Status(Code::kObjectExists, "ais://" + bucket + "/" + name);
  }
  if (mtimeNs > 0 && store.deletedSince(bucket, name, mtimeNs)) {
    return Status(Code::kObjectExists,
                  "ais://" + bucket + "/" + name + " was deleted after this copy was written");
  }
  return Status::OK();
}

// The same for ifVersion (S3 If-Match): VersionChanged before any byte is taken, when the object
// is already another version (the commit checks again, atomically).
Status checkVersion(store::Store& store, const ObjectRef& ref) {
  if (ref.ifVersion == 0) return Status::OK();
  auto cur = store.head(ref.bucket, ref.name);
  if (!cur.ok() && cur.code() != Code::kObjectNotFound) return cur.status();
  if (!cur.ok() || cur->version != ref.ifVersion) {
    return Status(Code::kVersionChanged,
                  fmt::format("ais://{}/{} is not version {} (now {})", ref.bucket, ref.name,
                              ref.ifVersion, cur.ok() ? std::to_string(cur->version) : "none"));
  }
  return Status::OK();
}

// Sends [next, end) of an object held in memory to a sink, chunk by chunk with flow control.
struct MemoryStreamer {
  wire::ByteSink::Client sink;
  std::shared_ptr<const std::string> bytes;
  uint64_t next, end;
  uint32_t chunk;

  kj::Promise<void> run() {
    if (next >= end) return kj::READY_NOW;
    uint64_t n = std::min<uint64_t>(chunk, end - next);
    auto req = sink.writeRequest();
    req.setChunk(kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes->data() + next), n));
    next += n;
    return req.send().then([this] { return run(); });
  }
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
    return cur.read.then([this, req = kj::mv(cur.req), n = cur.n,
                          zeros = cur.zeros](Status st) mutable -> kj::Promise<Status> {
      if (!st.ok()) return st;  // verified before it leaves: a bad block ends the stream
      next_ += n;
      sent_ += n;
      if (next_ < end_) ahead_ = startRead(next_);
      if (*zeros) {  // (a hole of a sparse object, mostly): its length, not its bytes
        auto z = sink_.writeZerosRequest();
        z.setLength(n);
        return z.send().then([this] { return run(); });
      }
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
    std::shared_ptr<bool> zeros;  // the chunk read is all zeros (set by the read)
  };
  static constexpr uint64_t kZeroChunkMin = 64 << 10;  // smaller ones go as bytes
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
    auto zeros = std::make_shared<bool>(false);
    auto read = io_.run(mp_, [rd = reader_, buf, off, hash = hash_, zeros]() mutable -> Status {
      auto r = rd->read(buf.begin(), buf.size(), off);
      if (!r.ok()) return r.status();
      if (*r != buf.size()) {
        return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
      }
      XXH64_update(hash, buf.begin(), buf.size());
      *zeros = buf.size() >= kZeroChunkMin && allZero(buf.begin(), buf.size());
      return Status::OK();
    });
    return Pending{kj::mv(req), n, kj::mv(read), zeros};
  }
};

// Adds one scrub's counts and names (up to kMaxReportedNames each) to `all`.
void addReport(store::ValidateReport& all, store::ValidateReport r) {
  auto append = [](std::vector<std::string>& to, std::vector<std::string>& from) {
    for (auto& s : from) {
      if (to.size() < store::ValidateReport::kMaxReportedNames) to.push_back(std::move(s));
    }
  };
  all.objects += r.objects;
  all.bytes += r.bytes;
  all.corruptCount += r.corruptCount;
  all.missingCount += r.missingCount;
  all.orphanedCount += r.orphanedCount;
  all.errorCount += r.errorCount;
  all.repairedCount += r.repairedCount;
  append(all.corrupt, r.corrupt);
  append(all.missing, r.missing);
  append(all.orphaned, r.orphaned);
  append(all.errors, r.errors);
  append(all.repaired, r.repaired);
}

// Runs on an I/O worker: copies a verified local object into a new local object.
Result<store::Lom> copyLocal(store::Store& store, store::ObjectReader& rd,
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

// Exactly buf.size() bytes of the object at `at`, read and verified (on its I/O worker).
Status readExactly(const ReaderPtr& rd, kj::ArrayPtr<kj::byte> buf, uint64_t at) {
  auto got = rd->read(buf.begin(), buf.size(), at);
  if (!got.ok()) return got.status();
  if (*got != buf.size())
    return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
  return Status::OK();
}

// The object another target stored, from its reply (putObject, a PutStream's commit).
template <typename Reply>
Result<store::Lom> storedLom(Reply&& r) {
  Status st = proto::toStatus(r.getStatus());
  if (!st.ok()) return st;
  return lomFromInfo(proto::fromWire(r.getAttrs()));
}

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
      return c.send().then([](auto&& r) { return storedLom(r); });
    }
    uint64_t n = std::min<uint64_t>(chunk, size - off);
    auto w = kj::heap(stream.writeRequest());
    auto buf = w->initChunk(n);
    return io.run(mp, [rd = rd, buf, at = off]() mutable { return readExactly(rd, buf, at); })
        .then([this, n, w = kj::mv(w)](Status st) mutable -> kj::Promise<Result<store::Lom>> {
          if (!st.ok()) return Result<store::Lom>(st);
          off += n;
          return w->send().then([this] { return run(); });
        });
  }
};

// Up to `limit` entries + common prefixes after startAfter (see ListOptions::delimiter).
Result<ListPage> listPage(store::Store& store, const std::string& bucket, const std::string& prefix,
                          std::string startAfter, const std::string& delimiter, size_t limit,
                          bool markers = false) {
  ListPage out;
  // With a delimiter, a batch is read in small steps that grow while no name rolls up: a rollup
  // ends its batch, and a directory of many subdirectories would otherwise read a full page of
  // LOMs per subdirectory (seconds for 100 subdirectories with a 1,000-name page).
  constexpr size_t kFirstStep = 16;
  size_t step = delimiter.empty() ? limit : kFirstStep;
  while (out.entries.size() + out.prefixes.size() < limit) {
    size_t want = std::min(step, limit - out.entries.size() - out.prefixes.size());
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
        // The prefix's own object sorts first under it: a directory's marker, with its attributes.
        if (markers && lom.name == common) out.entries.push_back(std::move(lom));
        startAfter = common + std::string(meta::kAfterAllNames);
        rolledUp = true;
        break;
      }
      out.entries.push_back(std::move(lom));
    }
    if (!rolledUp && batch->size() < want) break;
    if (!rolledUp) startAfter = out.entries.back().name;
    step = rolledUp ? kFirstStep : std::min(step * 2, limit);
  }
  return out;
}

}  // namespace

Status checkOwnedHere(const NodeContext& ctx, const std::string& bucket, const std::string& name) {
  const meta::Smap& smap = ctx.meta.smap();
  const meta::NodeInfo* owner = meta::ownerTarget(smap, meta::uname(bucket, name));
  if (!owner || owner->id != ctx.cfg.id) {
    return Status(Code::kStaleSmap, "target " + ctx.cfg.id + " does not own ais://" + bucket + "/" +
                                        name + " under Smap v" + std::to_string(smap.version));
  }
  return Status::OK();
}

Status ObjectService::checkBucket(const std::string& bucket) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  if (!ctx_.meta.bmd().find(bucket)) {
    // A target joining the cluster may be asked before the buckets' metadata reached it (the
    // primary publishes the Smap with it first): not "no such bucket" then, but try again.
    if (!ctx_.ready) {
      return Status(Code::kUnavailable, "ais://" + bucket + ": target " + ctx_.cfg.id +
                                            " is joining: bucket metadata not received yet");
    }
    return Status(Code::kBucketNotFound, "ais://" + bucket);
  }
  return Status::OK();
}

Status ObjectService::checkRouted(const ObjectRef& ref) {
  if (meta::isEcBucket(ref.bucket)) {
    // What this target holds of another's object: only its peers ask, about this copy.
    if (!ref.localOnly) return Status(Code::kBadBucketName, "an internal bucket");
    AIS_RETURN_IF_ERROR(checkBucket(std::string(meta::bucketOfEc(ref.bucket))));
    return meta::validateObjectName(ref.name);
  }
  if (meta::isVersionsBucket(ref.bucket)) {
    // Kept versions and delete markers (S3 object versioning): placed with their key.
    AIS_RETURN_IF_ERROR(checkBucket(std::string(meta::bucketOfVersions(ref.bucket))));
    AIS_RETURN_IF_ERROR(meta::validateNameIn(ref.bucket, ref.name));
    if (ref.localOnly) return Status::OK();
    return checkOwnedHere(ctx_, ref.bucket, ref.name);
  }
  AIS_RETURN_IF_ERROR(checkBucket(ref.bucket));
  if (ref.degraded) {
    AIS_RETURN_IF_ERROR(meta::validateObjectName(ref.name));
    if (!ec_.propsOf(ref.bucket)) {
      return Status(
          Code::kInvalidArgument,
          "a degraded read is for buckets with erasure coding; ais://" + ref.bucket + " has none");
    }
    return Status::OK();
  }
  AIS_RETURN_IF_ERROR(meta::validateObjectName(ref.name));
  if (ref.localOnly) return Status::OK();
  return checkOwnedHere(ctx_, ref.bucket, ref.name);
}

store::PutOptions ObjectService::putOptions(const std::string& bucket,
                                            std::map<std::string, std::string> custom) const {
  store::PutOptions opts;
  if (const auto* props = ctx_.meta.bmd().find(bucket)) opts.fsync = props->fsync;
  opts.custom = std::move(custom);
  return opts;
}

uint32_t ObjectService::chunkBytes() const {
  return ctx_.meta.config().chunkBytes ? ctx_.meta.config().chunkBytes : (1u << 20);
}

size_t ObjectService::mountpathOf(const std::string& bucket, const std::string& name) const {
  return ctx_.store->mountpathIndex(bucket, name);
}

kj::Promise<Result<store::Lom>> ObjectService::put(ObjectRef ref, kj::ArrayPtr<const kj::byte> data,
                                                   uint64_t checksum,
                                                   std::map<std::string, std::string> custom) {
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkRouted(ref));
  size_t mp = mountpathOf(ref.bucket, ref.name);
  store::PutOptions opts = putOptions(ref.bucket, std::move(custom));
  opts.ifAbsent = ref.ifAbsent;  // checked again, atomically, at commit
  opts.ifVersion = ref.ifVersion;
  opts.mtimeNs = ref.mtimeNs;
  opts.issuedNs = ref.issuedNs;
  opts.changeWriter = ref.writer;
  return ctx_.io
      ->run(mp,
            [store = ctx_.store.get(), ref, data, checksum,
             opts = std::move(opts)]() mutable -> Result<store::Lom> {
              AIS_RETURN_PROMISE_IF_ERROR(
                  store::Lom, checkAbsent(*store, ref.ifAbsent, ref.bucket, ref.name, ref.mtimeNs));
              AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkVersion(*store, ref));
              auto writer = store->beginPut(ref.bucket, ref.name, std::move(opts));
              if (!writer.ok()) return writer.status();
              AIS_RETURN_PROMISE_IF_ERROR(store::Lom, (*writer)->write(data.begin(), data.size()));
              return (*writer)->commit(checksum);
            })
      .then([this, ref, data](Result<store::Lom> lom) -> kj::Promise<Result<store::Lom>> {
        // (A superseded write is not the object: the newer one is protected already.)
        if (!lom.ok() || lom->superseded || ref.localOnly || !ec_.propsOf(ref.bucket)) {
          return kj::mv(lom);
        }
        forgetTombstone(ref.bucket, ref.name);  // written again
        // The bytes are at hand: cut them, no read back.
        return ec_.protectBytes(ref.bucket, *lom, data)
            .then([this, ref, lom = std::move(lom)](Status st) mutable {
              return afterProtect(ref, std::move(*lom), st);
            });
      })
      .then([this, ref](Result<store::Lom> lom) { return handOffIfAway(ref, std::move(lom)); });
}

kj::Promise<std::vector<Result<store::Lom>>> ObjectService::putBatch(std::vector<BatchItem> items) {
  // Up to this many objects per group commit: a big batch still spreads over the workers.
  constexpr size_t kGroupMax = 128;
  auto out = std::make_shared<std::vector<Result<store::Lom>>>(
      items.size(), Result<store::Lom>(Status(Code::kInternal, "not stored")));
  kj::Vector<kj::Promise<void>> work;
  std::map<std::pair<std::string, size_t>, std::vector<size_t>> groups;
  for (size_t i = 0; i < items.size(); ++i) {
    const ObjectRef& ref = items[i].ref;
    if (Status st = checkRouted(ref); !st.ok()) {
      (*out)[i] = st;
      continue;
    }
    if (ref.localOnly || ref.ifAbsent || ref.ifVersion || ref.degraded || ref.mtimeNs ||
        ec_.propsOf(ref.bucket)) {
      work.add(put(ref, items[i].data, items[i].checksum, std::move(items[i].custom))
                   .then([out, i](Result<store::Lom> r) { (*out)[i] = std::move(r); }));
      continue;
    }
    groups[{ref.bucket, mountpathOf(ref.bucket, ref.name)}].push_back(i);
  }
  for (auto& [where, indexes] : groups) {
    const auto& [bucket, mp] = where;
    for (size_t begin = 0; begin < indexes.size(); begin += kGroupMax) {
      std::vector<size_t> part(indexes.begin() + begin,
                               indexes.begin() + std::min(indexes.size(), begin + kGroupMax));
      std::vector<store::Store::GroupPut> group;
      std::vector<ObjectRef> refs;
      for (size_t i : part) {
        BatchItem& it = items[i];
        refs.push_back(it.ref);
        group.push_back(
            {it.ref.name,
             std::string_view(reinterpret_cast<const char*>(it.data.begin()), it.data.size()),
             it.checksum, putOptions(bucket, std::move(it.custom))});
        group.back().opts.changeWriter = it.ref.writer;
        group.back().opts.issuedNs = it.ref.issuedNs;
      }
      work.add(ctx_.io
                   ->run(mp, [store = ctx_.store.get(), bucket = bucket,
                              group = std::move(
                                  group)]() mutable { return store->putGroup(bucket, group); })
                   .then([this, out, part = std::move(part),
                          refs = std::move(refs)](std::vector<Result<store::Lom>> r) {
                     kj::Vector<kj::Promise<void>> notes;
                     for (size_t k = 0; k < part.size(); ++k) {
                       if (committedAway(refs[k], r[k])) {
                         notes.add(handOff(refs[k].bucket, refs[k].name));
                       }
                       (*out)[part[k]] = std::move(r[k]);
                     }
                     return kj::joinPromises(notes.releaseAsArray());
                   }));
    }
  }
  return kj::joinPromises(work.releaseAsArray()).then([out] { return std::move(*out); });
}

kj::Promise<Result<store::Lom>> ObjectService::protectCommitted(const ObjectRef& ref,
                                                                Result<store::Lom> lom) {
  if (!lom.ok() || lom->superseded || ref.localOnly || !ec_.propsOf(ref.bucket)) {
    return handOffIfAway(ref, kj::mv(lom));
  }
  forgetTombstone(ref.bucket, ref.name);  // written again: its newer pieces are the ones
  return ec_.protect(ref.bucket, ref.name)
      .then([this, ref, lom = std::move(lom)](Status st) mutable {
        return afterProtect(ref, std::move(*lom), st);
      })
      .then([this, ref](Result<store::Lom> lom) { return handOffIfAway(ref, std::move(lom)); });
}

kj::Promise<Result<store::Lom>> ObjectService::afterProtect(const ObjectRef& ref, store::Lom lom,
                                                            Status protectStatus) {
  auto answer = [lom = std::move(lom), protectStatus]() mutable -> Result<store::Lom> {
    if (!protectStatus.ok()) return protectStatus;
    return std::move(lom);
  };
  if (!ref.degraded) return answer();
  ec_.forgetRestored(ref.bucket, ref.name);  // (a degraded read's kept copy is the old version)
  return handOff(ref.bucket, ref.name).then(kj::mv(answer));  // stored, protected or not
}

bool ObjectService::committedAway(const ObjectRef& ref, const Result<store::Lom>& lom) const {
  // (Degraded writes are handed off already; EC pieces and a target's own copies stay.)
  return lom.ok() && !lom->superseded && !ref.localOnly && !ref.degraded &&
         !meta::isEcBucket(ref.bucket) && !checkOwnedHere(ctx_, ref.bucket, ref.name).ok();
}

kj::Promise<Result<store::Lom>> ObjectService::handOffIfAway(const ObjectRef& ref,
                                                             Result<store::Lom> lom) {
  if (!committedAway(ref, lom)) return kj::mv(lom);
  return handOff(ref.bucket, ref.name).then([this, ref, lom = std::move(lom)]() mutable {
    // (At once, not at the next round: the owner may serve an older copy meanwhile.)
    background_.add(handOverOne(ref.bucket, ref.name).ignoreResult());
    return std::move(lom);
  });
}

kj::Promise<void> ObjectService::handOff(const std::string& bucket, const std::string& name) {
  log::info("ais://{}/{}: stored here, not on its owner; handed over as soon as it answers", bucket,
            name);
  handoffs_.emplace(bucket, name);
  if (handoffs_.size() == 1) handoffLoop_ = handOffRound().eagerlyEvaluate(nullptr);
  return keepNote(kHandoffNote, bucket, name, "");
}

void ObjectService::handedOver(const std::string& bucket, const std::string& name) {
  if (handoffs_.erase({bucket, name}) > 0) dropNote(kHandoffNote, bucket, name);
}

void ObjectService::resumePending() {
  auto handoffs = ctx_.store->notes(kHandoffNote);
  auto deletes = ctx_.store->notes(kDeleteNote);
  if (!handoffs.ok() || !deletes.ok()) {
    log::error("cannot read the pending handovers and deletes: {}",
               (handoffs.ok() ? deletes.status() : handoffs.status()).toString());
    return;
  }
  for (auto& n : *handoffs) handoffs_.emplace(n.bucket, n.name);
  for (auto& n : *deletes) {
    auto stone = decodeTombstone(n.value);
    if (!stone) {
      log::error("ais://{}/{}: dropping an unreadable delete note", n.bucket, n.name);
      (void)ctx_.store->dropNote(kDeleteNote, n.bucket, n.name);
      continue;
    }
    tombstones_[{n.bucket, n.name}] = std::move(*stone);
  }
  if (!handoffs_.empty() || !tombstones_.empty()) {
    log::info("resuming {} handover(s) and {} repeated delete(s) left by the last run",
              handoffs_.size(), tombstones_.size());
  }
  if (!handoffs_.empty()) handoffLoop_ = handOffRound().eagerlyEvaluate(nullptr);
  if (!tombstones_.empty()) tombstoneLoop_ = tombstoneRound().eagerlyEvaluate(nullptr);
}

kj::Promise<void> ObjectService::keepNote(std::string kind, std::string bucket, std::string name,
                                          std::string value) {
  std::string what = kind + " note of ais://" + bucket + "/" + name;
  return noteOp([kind, bucket, name,
                 value](store::Store& st) { return st.putNote(kind, bucket, name, value); },
                std::move(what));
}

void ObjectService::dropNote(std::string kind, std::string bucket, std::string name) {
  std::string what = "drop of the " + kind + " note of ais://" + bucket + "/" + name;
  background_.add(
      noteOp([kind, bucket, name](store::Store& st) { return st.dropNote(kind, bucket, name); },
             std::move(what)));
}

kj::Promise<void> ObjectService::noteOp(std::function<Status(store::Store&)> op, std::string what) {
  auto forked = notesTail_
                    .then([this, op = std::move(op)] {
                      return ctx_.io->runAny([store = ctx_.store.get(), op] { return op(*store); });
                    })
                    .then([what](Status st) {
                      if (!st.ok()) log::error("{} failed: {}", what, st.toString());
                    })
                    .fork();
  notesTail_ = forked.addBranch();
  return forked.addBranch();
}

kj::Promise<void> ObjectService::handOffRound() {
  return ctx_.timer().afterDelay(1 * kj::SECONDS).then([this] {
    kj::Vector<kj::Promise<void>> moves;
    std::vector<std::pair<std::string, std::string>> pending(handoffs_.begin(), handoffs_.end());
    for (auto& [bucket, name] : pending) {
      const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
      if (!owner) continue;
      if (owner->id == ctx_.cfg.id) {  // placement changed: it is this target's own now
        handedOver(bucket, name);
        continue;
      }
      // (Tried whether or not the owner is marked down yet: the sooner it has the newest copy,
      // the shorter it serves an older one.)
      moves.add(handOverOne(bucket, name).ignoreResult());
    }
    return kj::joinPromises(moves.releaseAsArray()).then([this]() -> kj::Promise<void> {
      if (handoffs_.empty()) return kj::READY_NOW;
      return handOffRound();
    });
  });
}

kj::Promise<bool> ObjectService::handOverOne(const std::string& bucket, const std::string& name) {
  return ctx_.timer()
      .timeoutAfter(30 * kj::SECONDS, moveToOwner(bucket, name))
      .catch_([](kj::Exception&& e) { return proto::statusFromException(e); })
      .then([this, bucket, name](Status st) {
        // (kVersionChanged: the copy moved, but a newer one was written here meanwhile: it is
        // the next round's.)
        if (!st.ok() && st.code() != Code::kObjectNotFound) return false;
        handedOver(bucket, name);
        log::info("ais://{}/{}: handed over to its owner", bucket, name);
        return true;
      });
}

kj::Promise<ObjectService::HandOverReport> ObjectService::handOverTo(const std::string& targetId) {
  kj::Vector<kj::Promise<bool>> work;
  std::vector<std::pair<std::string, std::string>> pending(handoffs_.begin(), handoffs_.end());
  for (auto& [bucket, name] : pending) {
    const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
    if (owner && owner->id == targetId) work.add(handOverOne(bucket, name));
  }
  if (const meta::NodeInfo* t = ctx_.meta.smap().find(targetId, meta::Role::kTarget)) {
    for (auto& [key, stone] : tombstones_) {
      if (stone.silent.count(targetId)) {
        work.add(repeatDelete(key, stone.deletedNs, targetId, t->rpcEndpoint));
      }
    }
  }
  return kj::joinPromises(work.releaseAsArray()).then([](kj::Array<bool>&& done) {
    HandOverReport r;
    for (bool d : done) ++(d ? r.done : r.left);
    return r;
  });
}

kj::Promise<kj::Array<std::optional<ObjectService::HandOverReport>>> ObjectService::askHandOver(
    std::vector<const meta::NodeInfo*> peers, kj::Duration deadline) {
  return askEach(
      ctx_, std::move(peers), std::optional<HandOverReport>(),
      [id = ctx_.cfg.id](wire::Node::Client node, std::string) {
        auto req = node.handOverRequest();
        req.setTargetId(id);
        return req.send().then([](auto&& r) -> std::optional<HandOverReport> {
          if (!proto::toStatus(r.getStatus()).ok()) return std::nullopt;
          return HandOverReport{r.getDone(), r.getLeft()};
        });
      },
      deadline, SilentPeers::kWholeDeadline);
}

kj::Promise<void> ObjectService::catchUp() {
  // (Watched from the start, peers or not: targets that join later may take this one's writes.)
  stallWatch_ = watchStalls(std::chrono::steady_clock::now()).eagerlyEvaluate(nullptr);
  auto peers = otherTargets();
  if (peers.empty()) return kj::READY_NOW;
  beginCatchingUp();
  std::vector<std::string> ids;
  for (const meta::NodeInfo* p : peers) ids.push_back(p->id);
  // (A peer that is down answers at once: refused. One that takes longer leaves the rest to
  // recatchRound: this target's start waits 10 s at most.)
  return askHandOver(std::move(peers), 10 * kj::SECONDS)
      .then([this, ids = std::move(ids)](kj::Array<std::optional<HandOverReport>>&& answers) {
        uint64_t done = 0, left = 0, silent = 0;
        for (size_t i = 0; i < answers.size(); ++i) {
          const auto& a = answers[i];
          if (a) {
            done += a->done;
            left += a->left;
          } else {
            ++silent;
          }
          if (!a || a->left > 0) uncaught_.insert(ids[i]);
        }
        if (done + left > 0 || silent > 0) {
          log::info(
              "caught up with the peers: {} object(s) written or deleted here while away "
              "handed over, {} still to come, {} peer(s) did not answer",
              done, left, silent);
        }
        if (uncaught_.empty()) {
          catchingUp_ = false;
          return;
        }
        log::info("reads of EC objects check the slices until {} peer(s) have handed over",
                  uncaught_.size());
        recatchLoop_ = recatchRound(2 * kj::SECONDS).eagerlyEvaluate(nullptr);
      });
}

kj::Promise<void> ObjectService::watchStalls(std::chrono::steady_clock::time_point last) {
  static constexpr auto kTick = std::chrono::milliseconds(500);
  static constexpr auto kStall = std::chrono::seconds(3);
  return ctx_.timer().afterDelay(kTick.count() * kj::MILLISECONDS).then([this, last] {
    auto now = std::chrono::steady_clock::now();
    auto peers = otherTargets();
    if (now - last > kTick + kStall && !peers.empty()) {
      // Stopped, paused or starved for seconds: clients may have gone to other targets with
      // writes of this target's objects meanwhile (degraded PUTs and deletes), as after a
      // restart. Reads compare with the slices again until every peer has handed over.
      log::warn("this target's loop stood still for {} ms: catching up with the peers again",
                std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count());
      bool running = !uncaught_.empty();
      for (const meta::NodeInfo* t : peers) uncaught_.insert(t->id);
      beginCatchingUp();
      if (!running) recatchLoop_ = recatchRound(0 * kj::SECONDS).eagerlyEvaluate(nullptr);
    }
    return watchStalls(now);
  });
}

kj::Promise<void> ObjectService::recatchRound(kj::Duration delay) {
  return ctx_.timer().afterDelay(delay).then([this]() -> kj::Promise<void> {
    std::vector<const meta::NodeInfo*> ask;
    std::vector<std::string> ids;
    for (auto it = uncaught_.begin(); it != uncaught_.end();) {
      const meta::NodeInfo* t = ctx_.meta.smap().find(*it, meta::Role::kTarget);
      if (!t) {  // removed from the cluster: what it held is gone with it or moved by rebalance
        it = uncaught_.erase(it);
        continue;
      }
      ask.push_back(t);
      ids.push_back(*it++);
    }
    return askHandOver(std::move(ask), 5 * kj::SECONDS)
        .then([this, ids = std::move(ids)](
                  kj::Array<std::optional<HandOverReport>>&& answers) -> kj::Promise<void> {
          for (size_t i = 0; i < answers.size(); ++i) {
            if (answers[i] && answers[i]->left == 0) uncaught_.erase(ids[i]);
          }
          if (!uncaught_.empty()) return recatchRound(2 * kj::SECONDS);
          catchingUp_ = false;
          log::info("caught up with every peer: reads serve the local copy again");
          return kj::READY_NOW;
        });
  });
}

kj::Promise<Result<kj::Own<wire::PutStream::Server>>> ObjectService::beginPut(
    ObjectRef ref, std::map<std::string, std::string> custom) {
  using Out = Result<kj::Own<wire::PutStream::Server>>;
  // A client's streamed PUT (fabric or the node's own gateway; not the targets' own, localOnly)
  // counts in the metrics when it commits or fails to start; from the open to the commit.
  auto start = Metrics::Clock::now();
  Status st = checkRouted(ref);
  if (!st.ok()) {
    if (!ref.localOnly) ctx_.metrics.record(MetricOp::kPut, ref.bucket, 0, start, st);
    return Out(st);
  }
  size_t mp = mountpathOf(ref.bucket, ref.name);
  return ctx_.io
      ->run(mp,
            [store = ctx_.store.get(), ref,
             opts = putOptions(ref.bucket, std::move(custom))]() mutable
            -> Result<std::unique_ptr<store::ObjectWriter>> {
              AIS_RETURN_IF_ERROR(
                  checkAbsent(*store, ref.ifAbsent, ref.bucket, ref.name, ref.mtimeNs));
              AIS_RETURN_IF_ERROR(checkVersion(*store, ref));
              opts.ifAbsent = ref.ifAbsent;  // checked again, atomically, at commit
              opts.ifVersion = ref.ifVersion;
              opts.mtimeNs = ref.mtimeNs;
              opts.issuedNs = ref.issuedNs;
              opts.changeWriter = ref.writer;
              return store->beginPut(ref.bucket, ref.name, std::move(opts));
            })
      .then([this, mp, ref, start](Result<std::unique_ptr<store::ObjectWriter>> writer) -> Out {
        if (!writer.ok()) {
          if (!ref.localOnly)
            ctx_.metrics.record(MetricOp::kPut, ref.bucket, 0, start, writer.status());
          return writer.status();
        }
        auto after = [this, ref, start](Result<store::Lom> lom) {
          if (!ref.localOnly) {
            ctx_.metrics.record(MetricOp::kPut, ref.bucket, lom.ok() ? lom->size : 0, start,
                                lom.status());
          }
          return protectCommitted(ref, std::move(lom));  // (and hands a degraded PUT off)
        };
        return kj::Own<wire::PutStream::Server>(
            kj::heap<PutStreamImpl>(std::move(*writer), ctx_.cfg.id, *ctx_.io, mp, after));
      });
}

kj::Promise<Result<ObjectService::ReaderPtr>> ObjectService::openOnDisk(const std::string& bucket,
                                                                        const std::string& name) {
  return ctx_.io->run(mountpathOf(bucket, name),
                      [store = ctx_.store.get(), bucket, name]() -> Result<ReaderPtr> {
                        auto rd = store->openObject(bucket, name);
                        if (!rd.ok()) return rd.status();
                        return ReaderPtr(std::move(*rd));
                      });
}

kj::Promise<Result<GetReply>> ObjectService::get(ObjectRef ref, GetRange range,
                                                 kj::Maybe<wire::ByteSink::Client> sink) {
  AIS_RETURN_PROMISE_IF_ERROR(GetReply, checkRouted(ref));
  if (ref.degraded) {
    takeOwnerSilent(ref);
    return restoreAndServe(ref, range, kj::mv(sink),
                           Status(Code::kObjectNotFound, "ais://" + ref.bucket + "/" + ref.name));
  }
  if (catchingUp()) {
    return staleHere(ref).then([this, ref, range, sink = kj::mv(sink)](
                                   bool newer) mutable -> kj::Promise<Result<GetReply>> {
      if (!newer) return getHere(ref, range, kj::mv(sink));
      return restoreAndServe(ref, range, kj::mv(sink),
                             Status(Code::kObjectNotFound, "ais://" + ref.bucket + "/" + ref.name));
    });
  }
  return getHere(ref, range, kj::mv(sink));
}

kj::Promise<bool> ObjectService::staleHere(const ObjectRef& ref) {
  if (!catchingUp() || ref.localOnly || !ec_.propsOf(ref.bucket)) return false;
  std::string key = ref.bucket + '\0' + ref.name;  // (names hold no NUL)
  if (confirmedNewest_.count(key)) return false;
  return newerInSlices(ref).then([this, key = std::move(key)](Staleness s) {
    if (s == Staleness::kNewestHere) {
      if (confirmedNewest_.size() >= kConfirmedMax) confirmedNewest_.clear();
      confirmedNewest_.insert(key);
    }
    return s == Staleness::kNewerInSlices;
  });
}

void ObjectService::beginCatchingUp() {
  catchingUp_ = true;
  confirmedNewest_.clear();
}

kj::Promise<ObjectService::Staleness> ObjectService::newerInSlices(const ObjectRef& ref) {
  return ctx_.headLocal(ref.bucket, ref.name).then([this, ref](Result<store::Lom> mine) {
    return ec_.restoreMeta(ref.bucket, ref.name)
        .then([mine = std::move(mine)](Result<store::Lom> newest) {
          // (No slices at all, or none reached: the local copy answers, as it would without
          // the check.)
          if (!newest.ok()) return Staleness::kUnknown;
          if (!mine.ok() || newest->mtimeNs > mine->mtimeNs) return Staleness::kNewerInSlices;
          return Staleness::kNewestHere;
        });
  });
}

kj::Promise<Result<GetReply>> ObjectService::getHere(ObjectRef ref, GetRange range,
                                                     kj::Maybe<wire::ByteSink::Client> sink) {
  // A hot object is opened and its inline bytes read right here, from memory; otherwise one
  // worker call does both: a small GET costs one hop to a worker and back.
  auto cached = openForGet(*ctx_.store, ref, range, /*cachedOnly=*/true);
  kj::Promise<Result<Opened>> opening =
      cached.ok() ? kj::Promise<Result<Opened>>(std::move(cached))
                  : ctx_.io->run(mountpathOf(ref.bucket, ref.name),
                                 [store = ctx_.store.get(), ref, range]() -> Result<Opened> {
                                   return openForGet(*store, ref, range, /*cachedOnly=*/false);
                                 });
  return opening.then([this, ref, range, sink = kj::mv(sink)](
                          Result<Opened> opened) mutable -> kj::Promise<Result<GetReply>> {
    bool ec = !ref.localOnly && ec_.propsOf(ref.bucket);
    if (!opened.ok()) {
      if (opened.code() == Code::kObjectNotFound && !ref.localOnly) {
        return findElsewhere(ref.bucket, ref.name)
            .then([this, ec, ref, range,
                   sink = kj::mv(sink)](Status st) mutable -> kj::Promise<Result<GetReply>> {
              // (Not what a delete left behind on a target that missed it.)
              if (ec && st.code() == Code::kObjectNotFound && !tombstoned(ref.bucket, ref.name)) {
                return restoreAndServe(ref, range, kj::mv(sink), st);
              }
              return Result<GetReply>(st);
            });
      }
      if (ec && opened.code() == Code::kObjectCorrupted) {
        return restoreAndServe(ref, range, kj::mv(sink), opened.status());
      }
      return Result<GetReply>(opened.status());
    }
    kj::Maybe<wire::ByteSink::Client> again;  // the sink, for a restored answer
    KJ_IF_MAYBE (s, sink) {
      again = *s;
    }
    auto streamed = std::make_shared<uint64_t>(0);
    return sendBytes(ref, range, kj::mv(sink), std::move(*opened), streamed)
        .then([this, ec, ref, range, streamed, again = kj::mv(again)](
                  Result<GetReply> reply) mutable -> kj::Promise<Result<GetReply>> {
          if (!ec || reply.code() != Code::kObjectCorrupted) return kj::mv(reply);
          // Nothing went out yet: answer from the slices.
          if (*streamed == 0) {
            return restoreAndServe(ref, range, kj::mv(again), reply.status());
          }
          // A stream under way cannot take other bytes: the copy is restored before the
          // answer, which tells the reader to read again (kUnavailable: clients retry).
          std::string what = "ais://" + ref.bucket + "/" + ref.name;
          return ec_.restore(ref.bucket, ref.name)
              .then([this, bucket = ref.bucket, what, reply = kj::mv(reply)](
                        Result<EcRestored> r) mutable -> kj::Promise<Result<GetReply>> {
                if (!r.ok()) return kj::mv(reply);
                return ec_.writeBackNow(bucket, std::move(*r)).then([this, what]() {
                  return Result<GetReply>(
                      Status(Code::kUnavailable, what + " was damaged on target " + ctx_.cfg.id +
                                                     " and has been restored from its EC slices "
                                                     "during the read: read it again"));
                });
              });
        });
  });
}

kj::Promise<Result<GetReply>> ObjectService::restoreAndServe(const ObjectRef& ref,
                                                             const GetRange& range,
                                                             kj::Maybe<wire::ByteSink::Client> sink,
                                                             Status original) {
  auto restoring =
      ref.degraded ? ec_.restoreDegraded(ref.bucket, ref.name) : ec_.restore(ref.bucket, ref.name);
  return restoring.then([this, ref, range, sink = kj::mv(sink), original](
                            Result<EcRestored> restored) mutable -> kj::Promise<Result<GetReply>> {
    if (!restored.ok()) {
      if (restored.code() == Code::kObjectNotFound) return Result<GetReply>(original);
      return Result<GetReply>(restored.status());
    }
    if (!ref.degraded) ec_.writeBack(ref.bucket, *restored);  // (not this target's object)
    return sendMemory(ref, range, kj::mv(sink), std::move(*restored));
  });
}

kj::Promise<Result<GetReply>> ObjectService::sendMemory(const ObjectRef& ref, const GetRange& range,
                                                        kj::Maybe<wire::ByteSink::Client> sink,
                                                        EcRestored restored) {
  auto length = rangeLength(ref, range, restored.lom);
  if (!length.ok()) return Result<GetReply>(length.status());
  uint64_t offset = range.offset;
  const char* at = restored.bytes->data() + offset;
  uint64_t digest = XXH64(at, *length, 0);
  if (*length <= range.inlineMax) {
    GetReply reply{restored.lom, std::string(at, *length), *length, digest};
    return Result<GetReply>(std::move(reply));
  }
  KJ_IF_MAYBE (s, sink) {
    auto streamer = kj::heap<MemoryStreamer>(
        MemoryStreamer{kj::mv(*s), restored.bytes, offset, offset + *length, chunkBytes()});
    auto& st = *streamer;
    return st.run()
        .then([reply = GetReply{restored.lom, std::nullopt, *length, digest}]() mutable {
          return Result<GetReply>(std::move(reply));
        })
        .attach(kj::mv(streamer));
  }
  return Result<GetReply>(
      Status(Code::kInvalidArgument, "a reply of " + std::to_string(*length) +
                                         " bytes is over the inline limit and no sink was given"));
}

Result<uint64_t> ObjectService::rangeLength(const ObjectRef& ref, const GetRange& range,
                                            const store::Lom& lom) const {
  std::string what = "ais://" + ref.bucket + "/" + ref.name;
  uint64_t offset = range.offset;
  if (range.ifVersion != 0 && lom.version != range.ifVersion) {
    return Status(Code::kVersionChanged, what + " is version " + std::to_string(lom.version) +
                                             ", not " + std::to_string(range.ifVersion));
  }
  if (range.ifChecksum != 0 && lom.checksum != range.ifChecksum) {
    return Status(Code::kVersionChanged, what + " changed (other content, same version)");
  }
  // (After the version checks: a range of another version is no error of the range.)
  bool whole = offset == 0 && range.toEnd;
  if (!whole && offset >= lom.size) {
    return Status(Code::kRangeNotSatisfiable, "offset " + std::to_string(offset) +
                                                  " is past the end of " + what + " (" +
                                                  std::to_string(lom.size) + " bytes)");
  }
  return range.toEnd ? lom.size - offset : std::min(range.length, lom.size - offset);
}

Result<ObjectService::Opened> ObjectService::openForGet(store::Store& store, const ObjectRef& ref,
                                                        const GetRange& range, bool cachedOnly) {
  auto rd =
      cachedOnly ? store.openCached(ref.bucket, ref.name) : store.openObject(ref.bucket, ref.name);
  if (!rd.ok()) return rd.status();
  Opened o{ReaderPtr(std::move(*rd)), std::nullopt};
  uint64_t size = o.reader->lom().size;
  uint64_t offset = range.offset;
  if (offset >= size && !(offset == 0 && range.toEnd)) return o;  // answered later
  uint64_t len = range.toEnd ? size - offset : std::min(range.length, size - offset);
  if (len > range.inlineMax) return o;  // streamed: chunks go straight to the sink
  Inline in;
  in.bytes.resize(len);
  auto r = cachedOnly ? o.reader->readCached(in.bytes.data(), len, offset)
                      : o.reader->read(in.bytes.data(), len, offset);
  if (cachedOnly && (!r.ok() || *r != len)) return Status(Code::kWouldBlock, "not in memory");
  if (!r.ok() || *r != len) {
    in.bytes.clear();  // never hand out bad bytes
    in.error = r.ok() ? Status(Code::kObjectCorrupted, "object file shorter than its metadata")
                      : r.status();
  } else {
    in.digest = XXH64(in.bytes.data(), len, 0);
  }
  o.inlined = std::move(in);
  return o;
}

kj::Promise<Result<GetReply>> ObjectService::sendBytes(const ObjectRef& ref, const GetRange& range,
                                                       kj::Maybe<wire::ByteSink::Client> sink,
                                                       Opened opened,
                                                       std::shared_ptr<uint64_t> streamed) {
  ReaderPtr reader = opened.reader;
  const store::Lom& lom = reader->lom();
  std::string what = "ais://" + ref.bucket + "/" + ref.name;
  uint64_t offset = range.offset;
  auto len = rangeLength(ref, range, lom);
  if (!len.ok()) return Result<GetReply>(len.status());
  uint64_t length = *len;
  bool checkWhole =
      offset == 0 && range.toEnd;  // lom.checksum is the XXH64 whatever the bucket's checksum type
  auto corrupt = [this, what](uint64_t got, uint64_t want) {
    log::error("{}: checksum {:016x} does not match the stored {:016x}", what, got, want);
    return Status(Code::kObjectCorrupted, what + " is corrupt on target " + ctx_.cfg.id);
  };

  if (opened.inlined) {
    Inline& in = *opened.inlined;
    if (in.error.ok() && checkWhole && in.digest != lom.checksum) {
      in.error = corrupt(in.digest, lom.checksum);
    }
    if (!in.error.ok()) return Result<GetReply>(in.error);
    GetReply reply{lom, std::move(in.bytes), 0, in.digest};
    reply.sentBytes = reply.inlined->size();
    return Result<GetReply>(std::move(reply));
  }

  KJ_IF_MAYBE (s, sink) {
    auto streamer = kj::heap<GetStreamer>(reader, kj::mv(*s), offset, length, chunkBytes(),
                                          *ctx_.io, mountpathOf(ref.bucket, ref.name));
    auto& st = *streamer;
    return st.run()
        .then([&st, checkWhole, corrupt, streamed](Status status) -> Result<GetReply> {
          if (streamed) *streamed = st.sent();
          if (status.ok() && checkWhole && st.digest() != st.lom().checksum) {
            status = corrupt(st.digest(), st.lom().checksum);
          }
          if (!status.ok()) return status;
          return GetReply{st.lom(), std::nullopt, st.sent(), st.digest()};
        })
        .attach(kj::mv(streamer));
  }
  return Result<GetReply>(
      Status(Code::kInvalidArgument, "a reply of " + std::to_string(length) +
                                         " bytes is over the inline limit and no sink was given"));
}

kj::Promise<Result<store::Lom>> ObjectService::head(ObjectRef ref) {
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkRouted(ref));
  if (ref.degraded) {
    takeOwnerSilent(ref);
    return ec_.restoreMeta(ref.bucket, ref.name);
  }
  if (catchingUp()) {
    return staleHere(ref).then([this, ref](bool newer) -> kj::Promise<Result<store::Lom>> {
      if (newer) return ec_.restoreMeta(ref.bucket, ref.name);
      return headHere(ref);
    });
  }
  return headHere(ref);
}

kj::Promise<Result<store::Lom>> ObjectService::headHere(const ObjectRef& ref) {
  // (A LOM in memory answers without the hop to an I/O worker: a degraded read asks every
  // target holding pieces of the object for theirs.)
  return ctx_.headLocal(ref.bucket, ref.name)
      .then([this, ref](Result<store::Lom> lom) -> kj::Promise<Result<store::Lom>> {
        if (!lom.ok() && lom.code() == Code::kObjectNotFound && !ref.localOnly) {
          return findElsewhere(ref.bucket, ref.name)
              .then([this, ref](Status st) -> kj::Promise<Result<store::Lom>> {
                // Lost here but protected: its slices or replicas still describe it.
                if (st.code() == Code::kObjectNotFound && ec_.propsOf(ref.bucket) &&
                    !tombstoned(ref.bucket, ref.name)) {
                  return ec_.restoreMeta(ref.bucket, ref.name);
                }
                return Result<store::Lom>(st);
              });
        }
        return kj::mv(lom);
      });
}

kj::Promise<Status> ObjectService::remove(ObjectRef ref) {
  AIS_RETURN_IF_ERROR(checkRouted(ref));
  // When the client issued it (as a write's time is: the earlier of the two clocks), so that
  // its order among the name's writes is the same however each of them travelled.
  int64_t deletedNs = unixNowNs();
  if (ref.issuedNs > 0) deletedNs = std::min(deletedNs, ref.issuedNs);
  return ctx_.io
      ->run(mountpathOf(ref.bucket, ref.name),
            [store = ctx_.store.get(), ref, deletedNs] {
              store::ChangeWriterScope writer(ref.writer);
              // A late delete (ref.mtimeNs): only what was written before it.
              auto older = [&](const std::string& b) {
                if (ref.mtimeNs == 0) return true;
                auto cur = store->head(b, ref.name);
                return cur.ok() && cur->mtimeNs < ref.mtimeNs;
              };
              // A move of a copy written before this delete (in flight from a target the
              // delete has not reached yet) must not bring the name back: the store notes it.
              // (Not for EC pieces: the owner places them again when it re-encodes.)
              int64_t clientDeleteNs = meta::isEcBucket(ref.bucket) ? 0
                                       : ref.mtimeNs != 0           ? ref.mtimeNs
                                                                    : deletedNs;
              Status st = older(ref.bucket)
                              ? store->remove(ref.bucket, ref.name, ref.ifVersion, clientDeleteNs)
                              : Status(Code::kObjectNotFound, ref.name);
              // (A conditional delete that found another version keeps everything.)
              if (meta::isEcBucket(ref.bucket) || st.code() == Code::kVersionChanged) return st;
              // What this target holds for the object's EC goes with it (kept even if EC was
              // turned off since).
              std::string ecb = meta::ecBucket(ref.bucket);
              Status held =
                  older(ecb) ? store->remove(ecb, ref.name) : Status(Code::kObjectNotFound, "");
              return st.code() == Code::kObjectNotFound && held.ok() ? held : st;
            })
      .then([this, ref, deletedNs](Status st) -> kj::Promise<Status> {
        if (ref.localOnly || (!st.ok() && st.code() != Code::kObjectNotFound)) return st;
        // A degraded delete (the owner down) takes this target's copy of a degraded PUT: it is
        // no longer to be handed over.
        if (ref.degraded) {
          handedOver(ref.bucket, ref.name);
          ec_.forgetRestored(ref.bucket, ref.name);
        }
        // Misplaced copies (a rebalance not finished) must go too, or a later GET would find
        // them; so must the EC pieces.
        return removeElsewhere(ref.bucket, ref.name)
            .then([this, ref, st, deletedNs](RemovedElsewhere r) -> kj::Promise<Status> {
              Status out = r.removed ? Status::OK() : st;
              if (r.silent.empty() || !ec_.propsOf(ref.bucket)) return out;
              return remember(ref.bucket, ref.name, deletedNs, std::move(r.silent)).then([out] {
                return out;
              });
            });
      });
}

kj::Promise<Result<store::Store::Removed>> ObjectService::removeObject(ObjectRef ref,
                                                                       std::string versionId) {
  using Removed = store::Store::Removed;
  const meta::BucketProps* props = ctx_.meta.bmd().find(ref.bucket);
  bool versioned = !versionId.empty() || (props && !props->objectVersioning.empty() &&
                                          !ref.localOnly && !ref.degraded && ref.mtimeNs == 0);
  if (!versioned) {
    return remove(std::move(ref)).then([](Status st) -> Result<Removed> {
      if (!st.ok()) return st;
      return Removed{};
    });
  }
  AIS_RETURN_PROMISE_IF_ERROR(Removed, checkRouted(ref));
  return ctx_.io->run(mountpathOf(ref.bucket, ref.name),
                      [store = ctx_.store.get(), ref, versionId]() {
                        store::ChangeWriterScope writer(ref.writer);
                        if (!versionId.empty()) {
                          return store->removeVersion(ref.bucket, ref.name, versionId);
                        }
                        return store->removeVersioned(ref.bucket, ref.name, ref.ifVersion);
                      });
}

kj::Promise<void> ObjectService::remember(const std::string& bucket, const std::string& name,
                                          int64_t deletedNs, std::set<std::string> silent) {
  log::info("ais://{}/{}: deleted while {} target(s) were silent; the delete is repeated there",
            bucket, name, silent.size());
  Tombstone stone{deletedNs, std::move(silent)};
  std::string note = encodeTombstone(stone);
  tombstones_[{bucket, name}] = std::move(stone);
  if (tombstones_.size() == 1) tombstoneLoop_ = tombstoneRound().eagerlyEvaluate(nullptr);
  return keepNote(kDeleteNote, bucket, name, std::move(note));
}

bool ObjectService::tombstoned(const std::string& bucket, const std::string& name) const {
  return tombstones_.count({bucket, name}) > 0;
}

bool ObjectService::tombstonedAt(const std::string& bucket, const std::string& name,
                                 const std::string& targetId) const {
  auto it = tombstones_.find({bucket, name});
  return it != tombstones_.end() && it->second.silent.count(targetId) > 0;
}

std::string ObjectService::encodeTombstone(const Tombstone& stone) {
  std::string out = std::to_string(stone.deletedNs);
  for (const std::string& id : stone.silent) out += "\n" + id;
  return out;
}

std::optional<ObjectService::Tombstone> ObjectService::decodeTombstone(std::string_view value) {
  Tombstone stone{0, {}};
  size_t nl = value.find('\n');
  std::string_view ns = value.substr(0, nl);
  auto [end, ec] = std::from_chars(ns.data(), ns.data() + ns.size(), stone.deletedNs);
  if (ec != std::errc() || end != ns.data() + ns.size() || nl == std::string_view::npos) {
    return std::nullopt;
  }
  for (size_t at = nl + 1; at <= value.size();) {
    size_t next = std::min(value.find('\n', at), value.size());
    if (next > at) stone.silent.emplace(value.substr(at, next - at));
    at = next + 1;
  }
  if (stone.silent.empty()) return std::nullopt;
  return stone;
}

void ObjectService::forgetTombstone(const std::string& bucket, const std::string& name) {
  if (tombstones_.erase({bucket, name}) > 0) dropNote(kDeleteNote, bucket, name);
}

kj::Promise<void> ObjectService::tombstoneRound() {
  return ctx_.timer().afterDelay(2 * kj::SECONDS).then([this] {
    kj::Vector<kj::Promise<void>> sends;
    for (auto& [key, stone] : tombstones_) {
      for (const std::string& id : stone.silent) {
        const meta::NodeInfo* t = ctx_.meta.smap().find(id, meta::Role::kTarget);
        if (!t) {  // left the cluster: nothing to repeat
          sends.add(kj::evalLater([this, key = key, id] { dropSilent(key, id); }));
          continue;
        }
        sends.add(repeatDelete(key, stone.deletedNs, id, t->rpcEndpoint).ignoreResult());
      }
    }
    return kj::joinPromises(sends.releaseAsArray()).then([this]() -> kj::Promise<void> {
      if (tombstones_.empty()) return kj::READY_NOW;
      return tombstoneRound();
    });
  });
}

kj::Promise<bool> ObjectService::repeatDelete(const std::pair<std::string, std::string>& key,
                                              int64_t deletedNs, const std::string& id,
                                              const std::string& ep) {
  return callPeer(ctx_, ep, 5 * kj::SECONDS,
                  [key, deletedNs](wire::Node::Client node) {
                    auto req = node.deleteObjectRequest();
                    setLocalRef(req.initRef(), key.first, key.second);
                    req.getRef().setMtimeNs(deletedNs);
                    return req.send().then([](auto&&) {});
                  })
      .then(
          [this, key, id] {
            dropSilent(key, id);
            return true;
          },
          [](kj::Exception&&) { return false; });
}

void ObjectService::dropSilent(const std::pair<std::string, std::string>& key,
                               const std::string& id) {
  auto it = tombstones_.find(key);
  if (it == tombstones_.end() || it->second.silent.erase(id) == 0) return;
  if (it->second.silent.empty()) {
    tombstones_.erase(it);
    dropNote(kDeleteNote, key.first, key.second);
  } else {
    background_.add(keepNote(kDeleteNote, key.first, key.second, encodeTombstone(it->second)));
  }
}

kj::Promise<Result<store::Lom>> ObjectService::sendObject(ReaderPtr reader, std::string bucket,
                                                          std::string name,
                                                          std::map<std::string, std::string> custom,
                                                          bool ifAbsent, bool keepMtime,
                                                          uint64_t ifVersion,
                                                          uint64_t changeWriter) {
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
  if (!owner) return Result<store::Lom>(Status(Code::kNoTargets));
  if (owner->id == ctx_.cfg.id) {
    return ctx_.io
        ->run(mountpathOf(bucket, name),
              [store = ctx_.store.get(), reader, bucket, name, ifAbsent, keepMtime, ifVersion,
               changeWriter,
               opts = putOptions(bucket, std::move(custom))]() mutable -> Result<store::Lom> {
                if (keepMtime) opts.mtimeNs = reader->lom().mtimeNs;
                AIS_RETURN_IF_ERROR(checkAbsent(*store, ifAbsent, bucket, name, opts.mtimeNs));
                ObjectRef dst{bucket, name};
                dst.ifVersion = ifVersion;
                AIS_RETURN_IF_ERROR(checkVersion(*store, dst));
                opts.ifAbsent = ifAbsent;
                opts.ifVersion = ifVersion;
                opts.changeWriter = changeWriter;
                return copyLocal(*store, *reader, bucket, name, std::move(opts));
              })
        .then([this, bucket, name](Result<store::Lom> lom) {
          return protectCommitted(ObjectRef{bucket, name}, std::move(lom));
        });
  }
  std::string ep = owner->rpcEndpoint;
  uint32_t chunk = std::max<uint32_t>(64 << 10, ctx_.meta.config().chunkBytes);
  // The source's mountpath: the reader reads from there.
  size_t mp = reader->mountpathIndex();
  auto fillRef = [&](wire::ObjectRef::Builder ref) {
    ref.setBucket(bucket);
    ref.setName(name);
    ref.setSmapVersion(ctx_.meta.smap().version);
    ref.setIfAbsent(ifAbsent);
    ref.setIfVersion(ifVersion);
    ref.setWriter(changeWriter);
    if (keepMtime) ref.setMtimeNs(reader->lom().mtimeNs);
  };
  kj::Promise<Result<store::Lom>> sent = nullptr;
  if (reader->lom().size <= chunk) {
    // One chunk or less: one putObject with the bytes (read and verified here), not a stream's
    // three round trips (open, write, commit) to the other target.
    auto req = kj::heap(ctx_.pool.get(ep).putObjectRequest());
    fillRef(req->initRef());
    if (!custom.empty()) proto::toWire(custom, req->initCustom(custom.size()));
    req->setChecksum(reader->lom().checksum);
    auto buf = req->initData(reader->lom().size);
    sent = ctx_.io->run(mp, [rd = reader, buf]() mutable { return readExactly(rd, buf, 0); })
               .then([req = kj::mv(req)](Status st) mutable -> kj::Promise<Result<store::Lom>> {
                 if (!st.ok()) return Result<store::Lom>(st);
                 return req->send().then([](auto&& r) { return storedLom(r); });
               });
  } else {
    auto req = ctx_.pool.get(ep).beginPutRequest();
    fillRef(req.initRef());
    if (!custom.empty()) proto::toWire(custom, req.initCustom(custom.size()));
    sent = req.send().then(
        [this, reader, chunk,
         mp](capnp::Response<wire::Node::BeginPutResults>&& r) -> kj::Promise<Result<store::Lom>> {
          Status st = proto::toStatus(r.getStatus());
          if (!st.ok()) return Result<store::Lom>(st);
          auto pump = kj::heap<ObjectPump>(ObjectPump{reader, r.getStream(), chunk, *ctx_.io, mp});
          auto& p = *pump;
          return p.run().attach(kj::mv(pump));
        });
  }
  return sent.catch_([this, ep](kj::Exception&& e) -> Result<store::Lom> {
    ctx_.pool.drop(ep);
    return proto::statusFromException(e);
  });
}

kj::Promise<Result<store::Lom>> ObjectService::rename(ObjectRef ref, std::string to,
                                                      std::map<std::string, std::string> custom) {
  using Out = Result<store::Lom>;
  ref.localOnly = false;
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkRouted(ref));
  return renameHere(ref, to, custom).then([this, ref, to, custom](Out renamed) mutable {
    return orFetched<store::Lom>(ref, kj::mv(renamed), [this, ref, to, custom]() mutable {
      return renameHere(ref, to, custom);
    });
  });
}

kj::Promise<Status> ObjectService::fetchHeld(const ObjectRef& ref) {
  return findElsewhere(ref.bucket, ref.name).then([this, ref](Status where) -> kj::Promise<Status> {
    if (where.code() != Code::kObjectMoved) return Status(Code::kObjectNotFound, ref.name);
    if (where.message() == ctx_.cfg.id) return Status::OK();  // (it landed meanwhile)
    const meta::NodeInfo* holder = ctx_.meta.smap().find(where.message(), meta::Role::kTarget);
    std::string what = "ais://" + ref.bucket + "/" + ref.name;
    if (!holder) return Status(Code::kStaleSmap, "unknown holder of " + what);
    return callPeer(
               ctx_, holder->rpcEndpoint, 30 * kj::SECONDS,
               [bucket = ref.bucket, name = ref.name](wire::Node::Client node) {
                 auto req = node.moveToOwnerRequest();
                 setLocalRef(req.initRef(), bucket, name);
                 return req.send().then([](auto&& r) { return proto::toStatus(r.getStatus()); });
               })
        .catch_([](kj::Exception&& e) { return proto::statusFromException(e); })
        .then([this, what, holderId = holder->id](Status moved) {
          // (Not there any more: moved here or deleted meanwhile; the operation says which.)
          if (moved.ok() || moved.code() == Code::kObjectNotFound) return Status::OK();
          return Status(Code::kUnavailable,
                        what + " is on its way to " + ctx_.cfg.id + " (its owner) from " +
                            holderId + ", which could not move it now: " + moved.toString());
        });
  });
}

kj::Promise<Result<store::Lom>> ObjectService::renameHere(
    ObjectRef ref, std::string to, std::map<std::string, std::string> custom) {
  using Out = Result<store::Lom>;
  if (const auto* props = ctx_.meta.bmd().find(ref.bucket);
      props && !props->objectVersioning.empty()) {
    return Out(Status(Code::kNotImplemented,
                      "rename in ais://" + ref.bucket +
                          ", a bucket with S3 object versioning (the versions kept of either name "
                          "would not follow); copy, then delete"));
  }
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, meta::validateObjectName(to));
  store::Store* store = ctx_.store.get();
  std::string bucket = ref.bucket, from = ref.name;
  const uint64_t writer = ref.writer;
  size_t mp = mountpathOf(bucket, from);
  // The metadata changes, made where the object lands, in the step that moves it.
  auto touch = [store, bucket, custom, writer](const std::string& name) -> Out {
    store::ChangeWriterScope scope(writer);
    if (custom.empty()) return store->head(bucket, name);
    return store->setCustom(bucket, name, custom, true, nullptr);
  };
  if (from == to) return ctx_.io->run(mp, [touch, from] { return touch(from); });
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, to));
  if (!owner) return Out(Status(Code::kNoTargets));
  if (owner->id == ctx_.cfg.id) {
    return ctx_.io
        ->run(mp,
              [store, bucket, from, to, writer, touch]() -> Out {
                {
                  store::ChangeWriterScope scope(writer);
                  AIS_RETURN_IF_ERROR(store->rename(bucket, from, to));
                }
                return touch(to);
              })
        .then([this, bucket, from, to](Out moved) -> kj::Promise<Out> {
          if (!moved.ok() || !ec_.propsOf(bucket)) return kj::mv(moved);
          return ec_.protect(bucket, to)
              .then([this, bucket, from, moved = std::move(moved)](Status st) mutable {
                return ec_.dropSlices(bucket, from)
                    .then([st, moved = std::move(moved)]() mutable -> Out {
                      if (!st.ok()) return st;
                      return std::move(moved);
                    });
              });
        })
        .then([this, ref, to](Out moved) {  // (the new name given to another target meanwhile)
          ObjectRef renamed = ref;
          renamed.name = to;
          return handOffIfAway(renamed, std::move(moved));
        });
  }
  return openOnDisk(bucket, from)
      .then([this, bucket, from, to, writer,
             custom = std::move(custom)](Result<ReaderPtr> reader) mutable -> kj::Promise<Out> {
        if (!reader.ok()) return Out(reader.status());
        auto merged = (*reader)->lom().custom;
        for (auto& [k, v] : custom) {
          if (v.empty()) {
            merged.erase(k);
          } else {
            merged[k] = v;
          }
        }
        // A rename is not a modification: the object keeps its mtime.
        return sendObject(*reader, bucket, to, std::move(merged), false, true, 0, writer)
            .then([this, bucket, from, writer](Out moved) -> kj::Promise<Out> {
              if (!moved.ok()) return kj::mv(moved);
              // Remove the source only once the destination committed (and protected).
              return ctx_.io
                  ->run(mountpathOf(bucket, from),
                        [store = ctx_.store.get(), bucket, from, writer] {
                          store::ChangeWriterScope scope(writer);
                          return store->remove(bucket, from);
                        })
                  .then([this, bucket, from,
                         moved = std::move(moved)](Status st) mutable -> kj::Promise<Out> {
                    if (!st.ok()) return Out(st);
                    if (!ec_.propsOf(bucket)) return std::move(moved);
                    return ec_.dropSlices(bucket, from)
                        .then([moved = std::move(moved)]() mutable -> Out {
                          return std::move(moved);
                        });
                  });
            });
      });
}

kj::Promise<Result<ListPage>> ObjectService::list(ListQuery q) {
  // The EC pieces held here list as the objects they are pieces of (a listing that misses a
  // target completes itself from them).
  bool held = meta::isEcBucket(q.bucket);
  Status st =
      checkBucket(held                               ? std::string(meta::bucketOfEc(q.bucket))
                  : meta::isVersionsBucket(q.bucket) ? std::string(meta::bucketOfVersions(q.bucket))
                                                     : q.bucket);
  if (!st.ok()) return Result<ListPage>(st);
  q.limit = q.limit == 0 ? 1000 : std::min<size_t>(q.limit, 100000);
  return ctx_.io->runAny([store = ctx_.store.get(), q, held]() -> Result<ListPage> {
    auto page = listPage(*store, q.bucket, q.prefix, q.startAfter, q.delimiter, q.limit, q.markers);
    if (!page.ok() || !held) return page;
    for (auto& entry : page->entries) {
      if (auto obj = EcService::objectOf(entry)) entry = std::move(*obj);
    }
    return page;
  });
}

kj::Promise<Result<store::Lom>> ObjectService::setCustom(
    ObjectRef ref, std::map<std::string, std::string> incoming, bool merge,
    std::optional<store::CustomCounters> counters) {
  ref.localOnly = false;
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkRouted(ref));
  return setCustomHere(ref, incoming, merge, counters)
      .then([this, ref, incoming, merge, counters](Result<store::Lom> lom) mutable {
        return orFetched<store::Lom>(ref, kj::mv(lom),
                                     [this, ref, incoming, merge, counters]() mutable {
                                       return setCustomHere(ref, incoming, merge, counters);
                                     });
      });
}

kj::Promise<Result<store::Lom>> ObjectService::setCustomHere(
    const ObjectRef& ref, std::map<std::string, std::string> incoming, bool merge,
    std::optional<store::CustomCounters> counters) {
  return ctx_.io
      ->run(mountpathOf(ref.bucket, ref.name),
            [store = ctx_.store.get(), ref, incoming = std::move(incoming), merge,
             counters = std::move(counters)]() mutable -> Result<store::Lom> {
              store::ChangeWriterScope writer(ref.writer);
              return store->setCustom(ref.bucket, ref.name, std::move(incoming), merge,
                                      counters ? &*counters : nullptr);
            })
      .then([this, ref](Result<store::Lom> lom) {
        // The slices carry the object's metadata too.
        return protectCommitted(ref, std::move(lom));
      });
}

kj::Promise<Result<store::Lom>> ObjectService::copy(
    ObjectRef ref, std::string dstBucket, std::string dstName,
    std::optional<std::map<std::string, std::string>> replaced, bool dstIfAbsent,
    uint64_t dstIfVersion) {
  ref.localOnly = false;
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkRouted(ref));
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, checkBucket(dstBucket));
  AIS_RETURN_PROMISE_IF_ERROR(store::Lom, meta::validateObjectName(dstName));
  // (The source fetched first if it has not reached this target, its owner, yet.)
  return openOnDisk(ref.bucket, ref.name)
      .then([this, ref](Result<ReaderPtr> reader) {
        return orFetched<ReaderPtr>(ref, kj::mv(reader),
                                    [this, ref] { return openOnDisk(ref.bucket, ref.name); });
      })
      .then([this, ref, dstBucket, dstName, replaced = std::move(replaced), dstIfAbsent,
             dstIfVersion](Result<ReaderPtr> reader) mutable -> kj::Promise<Result<store::Lom>> {
        if (!reader.ok()) return Result<store::Lom>(reader.status());
        auto custom = replaced ? std::move(*replaced) : (*reader)->lom().custom;
        // A copy is another file: aisfs's inode number (docs/aisfs.md) stays with the source.
        if (dstBucket != ref.bucket || dstName != ref.name) custom.erase("posix.ino");
        return sendObject(*reader, dstBucket, dstName, std::move(custom), dstIfAbsent, false,
                          dstIfVersion);
      });
}

kj::Promise<Result<bool>> ObjectService::bucketEmpty(std::string bucket) {
  // Kept versions and delete markers count: S3 deletes no bucket that still has them.
  return ctx_.io->runAny([store = ctx_.store.get(), bucket]() -> Result<bool> {
    auto empty = store->bucketEmpty(bucket);
    if (!empty.ok() || !*empty) return empty;
    return store->bucketEmpty(meta::versionsBucket(bucket));
  });
}

kj::Promise<Result<store::ValidateReport>> ObjectService::validate(
    std::string bucket, std::shared_ptr<store::ScrubCounters> counters) {
  AIS_RETURN_PROMISE_IF_ERROR(store::ValidateReport, checkBucket(bucket));
  const meta::BucketProps* props = ctx_.meta.bmd().find(bucket);
  bool versioned = props && !props->objectVersioning.empty();
  kj::Vector<kj::Promise<Result<store::ValidateReport>>> parts;
  for (size_t i = 0; i < ctx_.io->mountpaths(); ++i) {
    parts.add(ctx_.io->run(
        i,
        [store = ctx_.store.get(), i, bucket, counters,
         versioned]() -> Result<store::ValidateReport> {
          auto r = store->validate(i, bucket, counters.get());
          if (!r.ok() || !versioned) return r;
          // The versions kept (S3 object versioning) are checked the same way.
          auto kept = store->validate(i, meta::versionsBucket(bucket), counters.get());
          if (!kept.ok()) return kept.status();
          for (auto* names : {&kept->corrupt, &kept->missing, &kept->errors, &kept->repaired}) {
            for (auto& n : *names) {
              auto [key, id] = meta::splitVersionName(n);
              if (key.size() < n.size())
                n = std::string(key) + " (version " + std::string(id) + ")";
            }
          }
          addReport(*r, std::move(*kept));
          return r;
        }));
  }
  return kj::joinPromises(parts.releaseAsArray())
      .then(
          [](kj::Array<Result<store::ValidateReport>>&& reports) -> Result<store::ValidateReport> {
            store::ValidateReport all;
            for (auto& r : reports) {
              if (!r.ok()) return r.status();
              addReport(all, std::move(*r));
            }
            return all;
          })
      .then([this, bucket](
                Result<store::ValidateReport> r) -> kj::Promise<Result<store::ValidateReport>> {
        if (!r.ok() || !ec_.propsOf(bucket)) return kj::mv(r);
        // Damaged here beyond what mirrors could mend: restored from the EC slices.
        auto report = std::make_shared<store::ValidateReport>(std::move(*r));
        std::vector<std::string> damaged = report->corrupt;
        damaged.insert(damaged.end(), report->missing.begin(), report->missing.end());
        return restoreDamaged(bucket, report, std::move(damaged), 0)
            .then([this, bucket, report] { return scrubHeld(bucket, report); })
            .then([report]() -> Result<store::ValidateReport> { return std::move(*report); });
      });
}

kj::Promise<void> ObjectService::scrubHeld(std::string bucket,
                                           std::shared_ptr<store::ValidateReport> report) {
  std::string ecb = meta::ecBucket(bucket);
  kj::Vector<kj::Promise<Result<store::ValidateReport>>> parts;
  for (size_t i = 0; i < ctx_.io->mountpaths(); ++i) {
    parts.add(ctx_.io->run(
        i, [store = ctx_.store.get(), i, ecb] { return store->validate(i, ecb, nullptr); }));
  }
  return kj::joinPromises(parts.releaseAsArray())
      .then([this, bucket, ecb, report](kj::Array<Result<store::ValidateReport>>&& held) {
        kj::Vector<kj::Promise<void>> fixes;
        for (auto& r : held) {
          if (!r.ok()) continue;
          std::vector<std::string> bad = r->corrupt;
          bad.insert(bad.end(), r->missing.begin(), r->missing.end());
          for (const auto& name : bad) {
            // The damaged piece goes; its owner places the object's pieces again (a metadata
            // merge of nothing re-protects it, same version).
            fixes.add(ctx_.io
                          ->run(mountpathOf(ecb, name), [store = ctx_.store.get(), ecb,
                                                         name] { (void)store->remove(ecb, name); })
                          .then([this, bucket, name] { return reprotect(bucket, name); })
                          .then([report, name](Status st) {
                            std::string what = name + " (EC piece held here)";
                            if (st.ok()) {
                              report->repaired.push_back(what);
                              ++report->repairedCount;
                            } else {
                              report->errors.push_back(what + ": " + st.toString());
                              ++report->errorCount;
                            }
                          }));
          }
        }
        return kj::joinPromises(fixes.releaseAsArray());
      });
}

kj::Promise<Status> ObjectService::reprotect(const std::string& bucket, const std::string& name) {
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
  if (!owner) return Status(Code::kNoTargets);
  if (owner->id == ctx_.cfg.id) return ec_.protect(bucket, name);
  return callPeer(ctx_, owner->rpcEndpoint, 60 * kj::SECONDS,
                  [bucket, name](wire::Node::Client node) {
                    auto req = node.setCustomRequest();
                    req.initRef().setBucket(bucket);
                    req.getRef().setName(name);
                    req.setMerge(true);
                    return req.send().then([](auto&& r) { return proto::toStatus(r.getStatus()); });
                  })
      .catch_([](kj::Exception&& e) { return proto::statusFromException(e); });
}

kj::Promise<void> ObjectService::restoreDamaged(std::string bucket,
                                                std::shared_ptr<store::ValidateReport> report,
                                                std::vector<std::string> names, size_t next) {
  if (next >= names.size()) return kj::READY_NOW;
  std::string name = names[next];
  return ec_.restore(bucket, name)
      .then([this, bucket, report, name](Result<EcRestored> r) -> kj::Promise<void> {
        if (!r.ok()) {
          log::warn("scrub: ais://{}/{} cannot be restored: {}", bucket, name,
                    r.status().toString());
          return kj::READY_NOW;
        }
        return ec_.writeBackNow(bucket, std::move(*r)).then([report, name] {
          auto drop = [&name](std::vector<std::string>& v, uint64_t& count) {
            auto it = std::find(v.begin(), v.end(), name);
            if (it == v.end()) return false;
            v.erase(it);
            --count;
            return true;
          };
          if (drop(report->corrupt, report->corruptCount) ||
              drop(report->missing, report->missingCount)) {
            report->repaired.push_back(name);
            ++report->repairedCount;
          }
        });
      })
      .then([this, bucket, report, names = std::move(names), next]() mutable {
        return restoreDamaged(std::move(bucket), report, std::move(names), next + 1);
      });
}

std::vector<const meta::NodeInfo*> ObjectService::otherTargets() const {
  std::vector<const meta::NodeInfo*> out;
  // (Targets in maintenance too: they keep their objects and serve them when asked.)
  for (const meta::NodeInfo* t : ctx_.meta.smap().allTargets()) {
    if (t->id != ctx_.cfg.id) out.push_back(t);
  }
  return out;
}

kj::Promise<Status> ObjectService::findElsewhere(const std::string& bucket,
                                                 const std::string& name) {
  Status notFound(Code::kObjectNotFound, "ais://" + bucket + "/" + name);
  auto asks = askEach(ctx_, otherTargets(), std::string(),
                      [bucket, name](wire::Node::Client node, std::string id) {
                        auto req = node.headObjectRequest();
                        setLocalRef(req.initRef(), bucket, name);
                        return req.send().then([id](auto&& r) -> std::string {
                          return proto::toStatus(r.getStatus()).ok() ? id : std::string();
                        });
                      });
  return asks.then([this, bucket, name,
                    notFound](kj::Array<std::string>&& holders) -> kj::Promise<Status> {
    for (auto& h : holders) {
      // (A copy on a target that missed the object's delete is not the object.)
      if (!h.empty() && !tombstonedAt(bucket, name, h)) return Status(Code::kObjectMoved, h);
    }
    // The move may have landed here while we were asking: then this target is the holder.
    return ctx_.io
        ->run(mountpathOf(bucket, name),
              [store = ctx_.store.get(), bucket, name] { return store->head(bucket, name).ok(); })
        .then([this, notFound](bool here) {
          return here ? Status(Code::kObjectMoved, ctx_.cfg.id) : notFound;
        });
  });
}

void ObjectService::takeOwnerSilent(const ObjectRef& ref) {
  const meta::NodeInfo* owner =
      meta::ownerTarget(ctx_.meta.smap(), meta::uname(ref.bucket, ref.name));
  if (!owner || owner->id == ctx_.cfg.id || owner->down()) return;
  ctx_.silentPeers[owner->rpcEndpoint] = std::chrono::steady_clock::now() + kSilentPeerFor;
}

kj::Promise<ObjectService::RemovedElsewhere> ObjectService::removeElsewhere(
    const std::string& bucket, const std::string& name) {
  auto targets = otherTargets();
  // 1: removed there, 0: nothing there, -1: no answer.
  auto dels = askEach(ctx_, targets, -1, [bucket, name](wire::Node::Client node, std::string) {
    auto req = node.deleteObjectRequest();
    setLocalRef(req.initRef(), bucket, name);
    return req.send().then([](auto&& r) { return proto::toStatus(r.getStatus()).ok() ? 1 : 0; });
  });
  return dels.then([targets](kj::Array<int>&& answers) {
    RemovedElsewhere out;
    for (size_t i = 0; i < answers.size(); ++i) {
      out.removed |= answers[i] == 1;
      if (answers[i] < 0) out.silent.insert(targets[i]->id);
    }
    return out;
  });
}

kj::Promise<Status> ObjectService::moveHeld(ObjectRef ref) {
  if (Status st = meta::validateNameIn(ref.bucket, ref.name); !st.ok()) return st;
  const meta::NodeInfo* owner =
      meta::ownerTarget(ctx_.meta.smap(), meta::uname(ref.bucket, ref.name));
  if (!owner) return Status(Code::kNoTargets);
  if (owner->id == ctx_.cfg.id) {
    return Status(Code::kStaleSmap, "ais://" + ref.bucket + "/" + ref.name + " is owned by " +
                                        ctx_.cfg.id + " in Smap v" +
                                        std::to_string(ctx_.meta.smap().version));
  }
  return moveToOwner(ref.bucket, ref.name).then([this, ref](Status st) {
    if (st.ok()) handedOver(ref.bucket, ref.name);  // (if a handover of it was pending)
    return st;
  });
}

kj::Promise<Status> ObjectService::moveToOwner(const std::string& bucket, const std::string& name) {
  return openOnDisk(bucket, name)
      .then([this, bucket, name](Result<ReaderPtr> reader) -> kj::Promise<Status> {
        if (!reader.ok()) return reader.status();
        store::Lom seen = (*reader)->lom();
        auto custom = seen.custom;
        return sendObject(*reader, bucket, name, std::move(custom), true, true)
            .then([this, bucket, name,
                   seen = std::move(seen)](Result<store::Lom> sent) mutable -> kj::Promise<Status> {
              // Delivered, or the owner already has a newer copy: either way this one is redundant.
              if (!sent.ok() && sent.code() != Code::kObjectExists) return sent.status();
              // Written here again meanwhile (a degraded PUT, a write committed away): that copy
              // stays, and the answer says so (kVersionChanged), so that its handover goes on.
              return ctx_.io->run(
                  mountpathOf(bucket, name),
                  [store = ctx_.store.get(), bucket, name, seen = std::move(seen)]() -> Status {
                    Status st = store->removeIfSame(bucket, name, seen);
                    return st.code() == Code::kObjectNotFound ? Status::OK() : st;
                  });
            });
      });
}

kj::Promise<Result<std::vector<store::Lom>>> ObjectService::listLocal(const std::string& bucket,
                                                                      const std::string& after,
                                                                      size_t limit) {
  return ctx_.io->runAny([store = ctx_.store.get(), bucket, after, limit] {
    return store->list(bucket, "", after, limit);
  });
}

void ObjectService::onBmdChange(const meta::BMD& before, const meta::BMD& after) {
  ec_.onBmdChange(before, after);
  for (const auto& [bucketName, props] : before.buckets) {
    if (after.buckets.count(bucketName)) continue;
    for (const std::string& name :
         {bucketName, meta::ecBucket(bucketName), meta::versionsBucket(bucketName)}) {
      detachBucketData(name);
    }
  }
}

void ObjectService::detachBucketData(const std::string& name) {
  // Detaching is quick (the tree is renamed aside and the bucket's LOMs dropped), so a bucket
  // created again under the same name right after starts empty; deleting the detached files
  // can take long and runs on an I/O worker, never inside the metasync answer.
  auto detached = ctx_.store->detachBucket(name);
  if (!detached.ok()) {
    log::error("removing the data of destroyed bucket ais://{}: {}", name,
               detached.status().toString());
    return;
  }
  if (detached->empty() && (meta::isEcBucket(name) || meta::isVersionsBucket(name))) return;
  background_.add(ctx_.io->runAny([store = ctx_.store.get(), name, trash = std::move(*detached)] {
    Status st = store->removeTrash(trash);
    if (st.ok()) {
      log::info("removed the data of destroyed bucket ais://{}", name);
    } else {
      log::error("removing the data of destroyed bucket ais://{}: {}", name, st.toString());
    }
  }));
}

void ObjectService::taskFailed(kj::Exception&& e) {
  log::error("target background task: {}", e.getDescription().cStr());
}

}  // namespace ais::node
