#include "node/gateway/local_target.h"

#include <xxhash.h>

#include <optional>

#include "node/target/object_attrs.h"
#include "proto/put_stream.h"
#include "proto/wire.h"

namespace ais::gateway {

Result<ObjectInfo> LocalTarget::head(const std::string& bucket, const std::string& name) {
  auto start = node::Metrics::Clock::now();
  auto lom = call<store::Lom>([&] { return objects_.head(node::ObjectRef{bucket, name}); });
  objects_.metrics().record(node::MetricOp::kHead, bucket, 0, start, lom.status());
  if (!lom.ok()) return lom.status();
  return node::infoFromLom(*lom, objects_.targetId());
}

Result<Client::Removal> LocalTarget::remove(const std::string& bucket, const std::string& name,
                                            uint64_t ifVersion, const std::string& versionId) {
  node::ObjectRef ref{bucket, name};
  ref.ifVersion = ifVersion;
  auto start = node::Metrics::Clock::now();
  auto removal = call<Client::Removal>([&] {
    return objects_.removeObject(ref, versionId)
        .then([](Result<store::Store::Removed> r) -> Result<Client::Removal> {
          if (!r.ok()) return r.status();
          return Client::Removal{r->versionId, r->deleteMarker};
        });
  });
  objects_.metrics().record(node::MetricOp::kDelete, bucket, 0, start, removal.status());
  return removal;
}

namespace {

// A PUT streaming into the ObjectService's writer on the node's loop. The stream capability lives
// on the loop thread: created, used and dropped there only.
class LocalPutHandle final : public PutHandle {
 public:
  struct Box {
    kj::Maybe<wire::PutStream::Client> stream;
  };

  LocalPutHandle(LocalTarget& target, proto::LoopMailbox& mailbox, Box* box, int64_t issuedNs)
      : target_(target),
        mailbox_(mailbox),
        box_(box),
        hash_(XXH64_createState()),
        issuedNs_(issuedNs) {
    XXH64_reset(hash_, 0);
  }
  ~LocalPutHandle() noexcept override {
    release();
    XXH64_freeState(hash_);
  }

  Status write(std::string_view chunk) override {
    if (!error_.ok()) return error_;
    if (!box_) return Status(Code::kInvalidArgument, "PUT already finished");
    XXH64_update(hash_, chunk.data(), chunk.size());
    auto r = target_.call<bool>([&] { return proto::putStreamWrite(box_->stream, chunk); });
    if (!r.ok()) {
      error_ = r.status();
      release();
      return error_;
    }
    bytes_ += chunk.size();
    return Status::OK();
  }

  Result<ObjectInfo> commit(std::optional<std::map<std::string, std::string>> custom) override {
    if (!error_.ok()) return error_;
    if (!box_) return Status(Code::kInvalidArgument, "PUT already finished");
    uint64_t digest = XXH64_digest(hash_);
    auto r = target_.call<ObjectInfo>(
        [&] { return proto::putStreamCommit(box_->stream, digest, custom, issuedNs_); });
    release();
    return r;
  }

  void abort() override { release(); }
  uint64_t bytesWritten() const override { return bytes_; }

 private:
  // Drops the stream on the loop thread (uncommitted: the target discards the work file).
  void release() {
    if (!box_) return;
    Box* box = std::exchange(box_, nullptr);
    mailbox_.post([box] { delete box; });
  }

  LocalTarget& target_;
  proto::LoopMailbox& mailbox_;
  Box* box_;
  XXH64_state_t* hash_;
  uint64_t bytes_ = 0;
  int64_t issuedNs_;  // PutOptions::issuedNs (0: the commit's time)
  Status error_;
};

}  // namespace

Result<std::unique_ptr<PutHandle>> LocalTarget::beginPut(const std::string& bucket,
                                                         const std::string& name,
                                                         const PutOptions& opts) {
  node::ObjectRef ref{bucket, name, false, opts.ifAbsent};
  ref.ifVersion = opts.ifVersion;
  auto box = call<LocalPutHandle::Box*>([&] {
    return objects_.beginPut(ref, opts.custom)
        .then([](Result<kj::Own<wire::PutStream::Server>> server) -> Result<LocalPutHandle::Box*> {
          if (!server.ok()) return server.status();
          return new LocalPutHandle::Box{wire::PutStream::Client(kj::mv(*server))};
        });
  });
  if (!box.ok()) return box.status();
  return std::unique_ptr<PutHandle>(
      std::make_unique<LocalPutHandle>(*this, mailbox_, *box, opts.issuedNs));
}

}  // namespace ais::gateway
