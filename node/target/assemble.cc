#include "node/target/assemble.h"

#include <xxhash.h>

#include <atomic>

#include "common/log.h"
#include "common/zeros.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/target/object_attrs.h"
#include "node/target/target.h"
#include "proto/sink_progress.h"
#include "proto/wire.h"

namespace ais::node {

using proto::setStatus;

namespace {

constexpr size_t kLocalChunk = 1 << 20;
constexpr uint32_t kInlineMax = 256 << 10;  // small remote parts come back in the reply

using HashPtr = std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)>;

HashPtr newHash() {
  HashPtr h(XXH64_createState(), &XXH64_freeState);
  XXH64_reset(h.get(), 0);
  return h;
}

// One remote part arriving: chunks go straight into the writer and are hashed so the receiver
// can check them against the sender's checksum of what it sent.
struct PartSinkState {
  explicit PartSinkState(std::shared_ptr<store::ObjectWriter> w) : writer(std::move(w)) {}

  Status consume(const void* data, size_t size) {
    if (!error.ok()) return error;
    if (closed) return error = Status(Code::kInternal, "data after the end of the part");
    if (Status st = writer->write(data, size); !st.ok()) return error = st;
    XXH64_update(hash.get(), data, size);
    bytes += size;
    return Status::OK();
  }
  Status consumeZeros(uint64_t len) {
    if (!error.ok()) return error;
    if (closed) return error = Status(Code::kInternal, "data after the end of the part");
    if (Status st = writer->writeZeros(len); !st.ok()) return error = st;
    xxh64UpdateZeros(hash.get(), len);
    bytes += len;
    return Status::OK();
  }

  std::shared_ptr<store::ObjectWriter> writer;  // shared: a late chunk must not outlive it
  HashPtr hash = newHash();
  uint64_t bytes = 0;
  Status error;
  std::atomic<bool> closed{false};  // set by the loop on failure, read by workers
};

// Chunks are written by the destination's I/O worker. Capnp delivers a streaming call only after
// the previous one finished, so writes happen one at a time in arrival order.
class PartSink final : public wire::ByteSink::Server {
 public:
  PartSink(std::shared_ptr<PartSinkState> state, kj::Own<proto::SinkProgress> progress,
           IoWorkers& io, size_t mountpath)
      : state_(std::move(state)), progress_(kj::mv(progress)), io_(io), mp_(mountpath) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    auto chunk = context.getParams().getChunk();  // lives until the promise we return resolves
    return counted(io_.run(mp_, [state = state_,
                                 chunk] { return state->consume(chunk.begin(), chunk.size()); }),
                   chunk.size());
  }
  kj::Promise<void> writeZeros(WriteZerosContext context) override {
    uint64_t len = context.getParams().getLength();
    return counted(io_.run(mp_, [state = state_, len] { return state->consumeZeros(len); }), len);
  }

 private:
  kj::Promise<void> counted(kj::Promise<Status> done, uint64_t n) {
    return done.then([this, n](Status st) {
      if (st.ok()) {
        progress_->add(n);
      } else {
        progress_->fail();
      }
      KJ_REQUIRE(st.ok(), "assemble sink refused data", st.toString());
    });
  }

  std::shared_ptr<PartSinkState> state_;
  kj::Own<proto::SinkProgress> progress_;
  IoWorkers& io_;
  size_t mp_;
};

}  // namespace

struct Assembler::Job {
  size_t mp = 0;  // the destination's mountpath: its I/O workers write
  std::string partsBucket;
  std::vector<std::string> parts;
  std::shared_ptr<store::ObjectWriter> writer;
  HashPtr localHash = newHash();  // of the local part being copied
};

Status Assembler::checkRequest(wire::Node::AssembleObjectParams::Reader p) const {
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  std::string partsBucket = proto::str(p.getPartsBucket());
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  AIS_RETURN_IF_ERROR(meta::validateBucketName(partsBucket));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(name));
  for (auto part : p.getParts()) {
    AIS_RETURN_IF_ERROR(meta::validateObjectName(std::string_view(part.cStr(), part.size())));
  }
  const meta::BMD& bmd = ctx_.meta.bmd();
  if (!bmd.find(bucket)) return Status(Code::kBucketNotFound, "ais://" + bucket);
  if (!bmd.find(partsBucket)) return Status(Code::kBucketNotFound, "ais://" + partsBucket);
  if (p.getRef().getLocalOnly()) return Status::OK();
  return checkOwnedHere(ctx_, bucket, name);
}

kj::Promise<void> Assembler::assembleObject(AssembleObjectContext context) {
  auto p = context.getParams();
  Status st = checkRequest(p);
  if (!st.ok()) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  }
  std::string bucket = proto::str(p.getRef().getBucket());
  std::string name = proto::str(p.getRef().getName());
  store::PutOptions opts;
  if (const auto* props = ctx_.meta.bmd().find(bucket)) opts.fsync = props->fsync;
  opts.custom = proto::fromWire(p.getCustom());
  opts.ifAbsent = p.getRef().getIfAbsent();  // checked at the commit, under the name lock
  opts.ifVersion = p.getRef().getIfVersion();
  auto job = std::make_shared<Job>();
  job->mp = ctx_.store->mountpathIndex(bucket, name);
  job->partsBucket = proto::str(p.getPartsBucket());
  for (auto part : p.getParts()) job->parts.push_back(proto::str(part));
  return ctx_.io
      ->run(job->mp,
            [store = ctx_.store.get(), bucket, name, opts = std::move(opts)]() mutable {
              return store->beginPut(bucket, name, std::move(opts));
            })
      .then(
          [this, job](Result<std::unique_ptr<store::ObjectWriter>> writer) -> kj::Promise<Status> {
            if (!writer.ok()) return writer.status();
            job->writer = std::move(*writer);
            return appendFrom(job, 0);
          })
      .then([this, job](Status st) -> kj::Promise<Result<store::Lom>> {
        if (!st.ok()) return Result<store::Lom>(st);  // job dropped with the writer: nothing stored
        // The parts were verified one by one against their senders' checksums.
        return ctx_.io->run(job->mp, [job] { return job->writer->commit(); });
      })
      .then([this, bucket, name](Result<store::Lom> lom) {
        return objects_.protectCommitted(ObjectRef{bucket, name}, std::move(lom));
      })
      .then([this, context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) return setStatus(results.initStatus(), lom.status());
        toAttrs(*lom, ctx_.cfg.id, results.initAttrs());
      });
}

kj::Promise<Status> Assembler::appendFrom(std::shared_ptr<Job> job, size_t part) {
  if (part == job->parts.size()) return Status::OK();
  return appendPart(job, part).then([this, job, part](Status st) -> kj::Promise<Status> {
    if (!st.ok()) {
      if (st.code() == Code::kObjectNotFound) {
        return Status(Code::kObjectNotFound,
                      "part ais://" + job->partsBucket + "/" + job->parts[part]);
      }
      return st;
    }
    return appendFrom(job, part + 1);
  });
}

kj::Promise<Status> Assembler::appendPart(std::shared_ptr<Job> job, size_t part) {
  const std::string& name = job->parts[part];
  const meta::NodeInfo* owner =
      meta::ownerTarget(ctx_.meta.smap(), meta::uname(job->partsBucket, name));
  if (!owner) return Status(Code::kNoTargets);
  std::string ep = owner->rpcEndpoint;
  if (owner->id != ctx_.cfg.id) return appendRemote(job, name, ep, false);
  return ctx_.io
      ->run(
          ctx_.store->mountpathIndex(job->partsBucket, name),
          [store = ctx_.store.get(), job, name]() -> Result<std::shared_ptr<store::ObjectReader>> {
            auto rd = store->openObject(job->partsBucket, name);
            if (!rd.ok()) return rd.status();
            return std::shared_ptr<store::ObjectReader>(std::move(*rd));
          })
      .then([this, job, name,
             ep](Result<std::shared_ptr<store::ObjectReader>> rd) -> kj::Promise<Status> {
        if (rd.ok()) {
          XXH64_reset(job->localHash.get(), 0);
          return appendLocal(job, std::move(*rd), 0);
        }
        if (rd.code() != Code::kObjectNotFound) return rd.status();
        // A rebalance may not have brought it here yet: our own getObject looks for the holder.
        return appendRemote(job, name, ep, false);
      });
}

kj::Promise<Status> Assembler::appendLocal(std::shared_ptr<Job> job,
                                           std::shared_ptr<store::ObjectReader> rd, uint64_t off) {
  const store::Lom& lom = rd->lom();
  if (off >= lom.size) {
    uint64_t digest = XXH64_digest(job->localHash.get());
    if (digest != lom.checksum) {  // the XXH64, whatever the checksum type
      log::error("ais://{}/{}: checksum {:016x} does not match the stored {:016x}",
                 job->partsBucket, lom.name, digest, lom.checksum);
      return Status(Code::kObjectCorrupted, "part ais://" + job->partsBucket + "/" + lom.name +
                                                " is corrupt on target " + ctx_.cfg.id);
    }
    return Status::OK();
  }
  // One chunk per worker call: read (verified) from the part, write into the new object.
  size_t n = std::min<uint64_t>(kLocalChunk, lom.size - off);
  return ctx_.io
      ->run(job->mp,
            [job, rd, off, n]() -> Status {
              std::vector<char> buf(n);
              auto got = rd->read(buf.data(), n, off);
              if (!got.ok()) return got.status();
              if (*got != n) {
                return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
              }
              XXH64_update(job->localHash.get(), buf.data(), n);
              return job->writer->write(buf.data(), n);
            })
      .then([this, job, rd, next = off + n](Status st) -> kj::Promise<Status> {
        if (!st.ok()) return st;
        return appendLocal(job, rd, next);
      });
}

kj::Promise<Status> Assembler::appendRemote(std::shared_ptr<Job> job, const std::string& part,
                                            const std::string& ep, bool localOnly) {
  auto req = ctx_.pool.get(ep).getObjectRequest();
  auto ref = req.initRef();
  ref.setBucket(job->partsBucket);
  ref.setName(part);
  ref.setSmapVersion(ctx_.meta.smap().version);
  ref.setLocalOnly(localOnly);
  req.setToEnd(true);
  req.setInlineMax(kInlineMax);
  auto state = std::make_shared<PartSinkState>(job->writer);
  auto progress = kj::refcounted<proto::SinkProgress>();
  req.setSink(kj::heap<PartSink>(state, kj::addRef(*progress), *ctx_.io, job->mp));
  return req.send()
      .then([this, job, part, localOnly, state, progress = kj::mv(progress)](
                capnp::Response<wire::Node::GetObjectResults>&& r) mutable -> kj::Promise<Status> {
        Status st = proto::toStatus(r.getStatus());
        if (st.code() == Code::kObjectMoved && !localOnly) {
          const meta::NodeInfo* holder = ctx_.meta.smap().find(st.message(), meta::Role::kTarget);
          if (!holder) return Status(Code::kStaleSmap, "unknown holder " + st.message());
          return appendRemote(job, part, holder->rpcEndpoint, true);
        }
        if (!st.ok()) return st;
        if (!state->error.ok()) return state->error;
        auto data = r.getData();
        uint64_t sentBytes = r.getSentBytes(), sentChecksum = r.getDataChecksum();
        std::string what = "part ais://" + job->partsBucket + "/" + part;
        // The inline bytes live in the response, kept alive by the continuation. Streamed chunks
        // may still be on their way to the sink: wait for them (a sender that claims more than
        // it sent times out).
        auto resp = kj::heap(kj::mv(r));
        uint64_t streamed = data.size() > 0 ? 0 : sentBytes;
        auto written = ctx_.timer().timeoutAfter(60 * kj::SECONDS, progress->until(streamed));
        return written.attach(kj::mv(progress))
            .then([this, job, state, data, sentBytes, sentChecksum, what] {
              return ctx_.io->run(
                  job->mp, [state, data, sentBytes, sentChecksum, what]() -> Status {
                    if (data.size() > 0)
                      AIS_RETURN_IF_ERROR(state->consume(data.begin(), data.size()));
                    state->closed = true;  // from here on, a late chunk is refused
                    if (state->bytes != sentBytes ||
                        XXH64_digest(state->hash.get()) != sentChecksum) {
                      return Status(Code::kChecksumMismatch,
                                    fmt::format("{} damaged in transit ({} of {} bytes)", what,
                                                state->bytes, sentBytes));
                    }
                    return Status::OK();
                  });
            })
            .attach(kj::mv(resp));
      })
      .catch_([this, ep, state](kj::Exception&& e) -> Status {
        state->closed = true;
        if (!state->error.ok()) return state->error;  // our write failed, not the transport
        ctx_.pool.drop(ep);
        return proto::statusFromException(e);
      });
}

}  // namespace ais::node
