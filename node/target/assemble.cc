#include "node/target/assemble.h"

#include <xxhash.h>

#include "common/log.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/target/target.h"
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

  std::shared_ptr<store::ObjectWriter> writer;  // shared: a late chunk must not outlive it
  HashPtr hash = newHash();
  uint64_t bytes = 0;
  Status error;
  bool closed = false;
};

class PartSink final : public wire::ByteSink::Server {
 public:
  explicit PartSink(std::shared_ptr<PartSinkState> state) : state_(std::move(state)) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    auto chunk = context.getParams().getChunk();
    Status st = state_->consume(chunk.begin(), chunk.size());
    KJ_REQUIRE(st.ok(), "assemble sink refused data", st.toString());
    return kj::READY_NOW;
  }

 private:
  std::shared_ptr<PartSinkState> state_;
};

void toAttrs(const store::Lom& lom, const std::string& targetId, wire::ObjectAttrs::Builder out) {
  ObjectInfo info;
  info.name = lom.name;
  info.size = lom.size;
  info.checksum = lom.checksum;
  info.checksumType = lom.checksumType;
  info.version = lom.version;
  info.atimeNs = lom.atimeNs;
  info.mtimeNs = lom.mtimeNs;
  info.custom = lom.custom;
  info.targetId = targetId;
  proto::toWire(info, out);
}

}  // namespace

struct Assembler::Job {
  std::string partsBucket;
  std::vector<std::string> parts;
  std::shared_ptr<store::ObjectWriter> writer;
  HashPtr localHash = newHash();  // of the local part being copied
};

Status Assembler::checkRequest(wire::Node::AssembleObjectParams::Reader p) const {
  std::string bucket = p.getRef().getBucket();
  std::string name = p.getRef().getName();
  std::string partsBucket = p.getPartsBucket();
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
  std::string bucket = p.getRef().getBucket();
  store::PutOptions opts;
  if (const auto* props = ctx_.meta.bmd().find(bucket)) opts.fsync = props->fsync;
  opts.custom = proto::fromWire(p.getCustom());
  auto writer = ctx_.store->beginPut(bucket, std::string(p.getRef().getName()), std::move(opts));
  if (!writer.ok()) {
    setStatus(context.getResults().initStatus(), writer.status());
    return kj::READY_NOW;
  }
  auto job = std::make_shared<Job>();
  job->partsBucket = p.getPartsBucket();
  for (auto part : p.getParts()) job->parts.emplace_back(part);
  job->writer = std::move(*writer);
  return appendFrom(job, 0).then([this, context, job](Status st) mutable {
    auto results = context.getResults();
    if (!st.ok()) {
      setStatus(results.initStatus(), st);
      return;  // job dropped with the writer: nothing stored
    }
    // The parts were verified one by one against their senders' checksums.
    auto lom = job->writer->commit();
    if (!lom.ok()) {
      setStatus(results.initStatus(), lom.status());
      return;
    }
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
  if (owner->id == ctx_.cfg.id) {
    auto rd = ctx_.store->openObject(job->partsBucket, name);
    if (rd.ok()) {
      XXH64_reset(job->localHash.get(), 0);
      return appendLocal(job, std::shared_ptr<store::ObjectReader>(std::move(*rd)), 0);
    }
    if (rd.code() != Code::kObjectNotFound) return rd.status();
    // A rebalance may not have brought it here yet: our own getObject looks for the holder.
  }
  return appendRemote(job, name, owner->rpcEndpoint, false);
}

kj::Promise<Status> Assembler::appendLocal(std::shared_ptr<Job> job,
                                           std::shared_ptr<store::ObjectReader> rd, uint64_t off) {
  const store::Lom& lom = rd->lom();
  if (off >= lom.size) {
    uint64_t digest = XXH64_digest(job->localHash.get());
    if (lom.checksumType == "xxhash64" && digest != lom.checksum) {
      log::error("ais://{}/{}: checksum {:016x} does not match the stored {:016x}",
                 job->partsBucket, lom.name, digest, lom.checksum);
      return Status(Code::kChecksumMismatch, "part ais://" + job->partsBucket + "/" + lom.name +
                                                 " is corrupt on target " + ctx_.cfg.id);
    }
    return Status::OK();
  }
  std::vector<char> buf(std::min<uint64_t>(kLocalChunk, lom.size - off));
  size_t got = 0;
  while (got < buf.size()) {
    auto n = rd->pread(buf.data() + got, buf.size() - got, off + got);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kIoError, "object file shorter than its metadata");
    got += *n;
  }
  XXH64_update(job->localHash.get(), buf.data(), got);
  if (Status st = job->writer->write(buf.data(), got); !st.ok()) return st;
  // Yield between chunks: a large part must not hold up every other call on this loop.
  return kj::evalLater([this, job, rd, next = off + got] { return appendLocal(job, rd, next); });
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
  req.setSink(kj::heap<PartSink>(state));
  return req.send()
      .then([this, job, part, localOnly,
             state](capnp::Response<wire::Node::GetObjectResults>&& r) -> kj::Promise<Status> {
        state->closed = true;
        Status st = proto::toStatus(r.getStatus());
        if (st.code() == Code::kObjectMoved && !localOnly) {
          const meta::NodeInfo* holder = ctx_.meta.smap().find(st.message(), meta::Role::kTarget);
          if (!holder) return Status(Code::kStaleSmap, "unknown holder " + st.message());
          return appendRemote(job, part, holder->rpcEndpoint, true);
        }
        if (!st.ok()) return st;
        if (!state->error.ok()) return state->error;
        auto data = r.getData();
        if (data.size() > 0) {
          state->closed = false;
          Status cs = state->consume(data.begin(), data.size());
          state->closed = true;
          if (!cs.ok()) return cs;
        }
        if (state->bytes != r.getSentBytes() ||
            XXH64_digest(state->hash.get()) != r.getDataChecksum()) {
          return Status(Code::kChecksumMismatch,
                        "part ais://" + job->partsBucket + "/" + part + " damaged in transit");
        }
        return Status::OK();
      })
      .catch_([this, ep, state](kj::Exception&& e) -> Status {
        state->closed = true;
        if (!state->error.ok()) return state->error;  // our write failed, not the transport
        ctx_.pool.drop(ep);
        return proto::statusFromException(e);
      });
}

}  // namespace ais::node
