// A target's object service: checks that the request is routed right (bucket exists, this target
// owns the name under its Smap) on the loop thread, then runs the Store work on the object's
// mountpath I/O workers (io_workers.h) and answers back on the loop thread. Data is verified end
// to end: every read is block-verified by the Store, PUTs are checked against the sender's
// checksum.
#pragma once

#include <kj/async.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/node_context.h"
#include "node/target/io_workers.h"
#include "proto/ais.capnp.h"

namespace ais::node {

// StaleSmap unless this target is the HRW owner of the name under its Smap.
Status checkOwnedHere(const NodeContext& ctx, const std::string& bucket, const std::string& name);

class TargetService final : private kj::TaskSet::ErrorHandler {
 public:
  using ReaderPtr = std::shared_ptr<store::ObjectReader>;
  // What a GET's worker call brings back: the open object and, for a reply small enough to go
  // inline, its (verified) bytes or the reason they could not be read.
  struct Inline {
    std::string bytes;
    uint64_t digest = 0;
    Status error;
  };
  struct Opened {
    ReaderPtr reader;
    std::optional<Inline> inlined;
  };
  struct Page {
    std::vector<store::Lom> entries;
    std::vector<std::string> prefixes;
  };

  using PutObjectContext =
      capnp::CallContext<wire::Node::PutObjectParams, wire::Node::PutObjectResults>;
  using BeginPutContext =
      capnp::CallContext<wire::Node::BeginPutParams, wire::Node::BeginPutResults>;
  using GetObjectContext =
      capnp::CallContext<wire::Node::GetObjectParams, wire::Node::GetObjectResults>;
  using HeadObjectContext =
      capnp::CallContext<wire::Node::HeadObjectParams, wire::Node::HeadObjectResults>;
  using DeleteObjectContext =
      capnp::CallContext<wire::Node::DeleteObjectParams, wire::Node::DeleteObjectResults>;
  using RenameObjectContext =
      capnp::CallContext<wire::Node::RenameObjectParams, wire::Node::RenameObjectResults>;
  using ListObjectsContext =
      capnp::CallContext<wire::Node::ListObjectsParams, wire::Node::ListObjectsResults>;
  using SetCustomContext =
      capnp::CallContext<wire::Node::SetCustomParams, wire::Node::SetCustomResults>;
  using CopyObjectContext =
      capnp::CallContext<wire::Node::CopyObjectParams, wire::Node::CopyObjectResults>;
  using ValidateBucketContext =
      capnp::CallContext<wire::Node::ValidateBucketParams, wire::Node::ValidateBucketResults>;
  using BucketEmptyContext =
      capnp::CallContext<wire::Node::BucketEmptyParams, wire::Node::BucketEmptyResults>;

  explicit TargetService(NodeContext& ctx) : ctx_(ctx), background_(*this) {}

  kj::Promise<void> putObject(PutObjectContext context);
  kj::Promise<void> beginPut(BeginPutContext context);
  kj::Promise<void> getObject(GetObjectContext context);
  kj::Promise<void> headObject(HeadObjectContext context);
  kj::Promise<void> deleteObject(DeleteObjectContext context);
  kj::Promise<void> renameObject(RenameObjectContext context);
  kj::Promise<void> listObjects(ListObjectsContext context);
  kj::Promise<void> bucketEmpty(BucketEmptyContext context);
  kj::Promise<void> setCustom(SetCustomContext context);
  kj::Promise<void> copyObject(CopyObjectContext context);
  kj::Promise<void> validateBucket(ValidateBucketContext context);

  // Rebalance: sends a local object to its HRW owner (never overwriting a copy there), then
  // deletes it here.
  kj::Promise<Status> moveToOwner(const std::string& bucket, const std::string& name);

  // Removes local data of buckets that the new BMD no longer has (in the background).
  void onBmdChange(const meta::BMD& before, const meta::BMD& after);
  // Up to `limit` local LOMs of a bucket after `after`, read on an I/O worker (rebalance scans).
  kj::Promise<Result<std::vector<store::Lom>>> listLocal(const std::string& bucket,
                                                         const std::string& after, size_t limit);

 private:
  // Bucket known, names valid, and this target is the HRW owner under its Smap.
  // localOnly skips the owner check (the caller wants this target's own copy).
  Status checkRouted(const std::string& bucket, const std::string& name, bool localOnly);
  std::vector<const meta::NodeInfo*> otherTargets() const;
  // On a local miss: ObjectMoved(holder id) if another target holds a copy, else ObjectNotFound.
  kj::Promise<Status> findElsewhere(const std::string& bucket, const std::string& name);
  // Deletes the name's copies on every other target; true if any existed.
  kj::Promise<bool> removeElsewhere(const std::string& bucket, const std::string& name);
  Status checkBucket(const std::string& bucket);
  store::PutOptions putOptions(const std::string& bucket,
                               std::map<std::string, std::string> custom) const;
  size_t mountpathOf(const std::string& bucket, const std::string& name) const;
  uint32_t chunkBytes() const;  // of a streamed GET
  // Store::openObject on the object's I/O worker.
  kj::Promise<Result<ReaderPtr>> openOnDisk(const std::string& bucket, const std::string& name);
  // The bytes of an open object for getObject: inline or streamed to the caller's sink.
  kj::Promise<void> sendObjectBytes(GetObjectContext context, const std::string& bucket,
                                    const std::string& name, Opened opened);
  // Stores the reader's object as bucket/name on its owner target (this one or another).
  kj::Promise<Result<store::Lom>> sendObject(ReaderPtr reader, std::string bucket, std::string name,
                                             std::map<std::string, std::string> custom,
                                             bool ifAbsent);
  // On an I/O worker: a verified local copy.
  static Result<store::Lom> copyLocal(store::Store& store, store::ObjectReader& reader,
                                      const std::string& bucket, const std::string& name,
                                      store::PutOptions opts);
  // Sends the scrub's running totals to its caller every second, until dropped.
  kj::Promise<void> reportScrub(wire::ScrubProgress::Client progress,
                                std::shared_ptr<store::ScrubCounters> counters);
  void taskFailed(kj::Exception&& exception) override;

  NodeContext& ctx_;
  kj::TaskSet background_;  // bucket data removal
};

}  // namespace ais::node
