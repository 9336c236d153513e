// A target's object service: checks that the request is routed right (bucket exists, this target
// owns the name under its Smap), then runs it against the Store. Data is verified end to end:
// whole-object reads are checked against the LOM checksum, PUTs against the sender's checksum.
#pragma once

#include <kj/async.h>

#include <string>

#include "node/node_context.h"
#include "proto/ais.capnp.h"

namespace ais::node {

// StaleSmap unless this target is the HRW owner of the name under its Smap.
Status checkOwnedHere(const NodeContext& ctx, const std::string& bucket, const std::string& name);

class TargetService {
 public:
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
  using BucketEmptyContext =
      capnp::CallContext<wire::Node::BucketEmptyParams, wire::Node::BucketEmptyResults>;

  explicit TargetService(NodeContext& ctx) : ctx_(ctx) {}

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

  // Rebalance: sends a local object to its HRW owner (never overwriting a copy there), then
  // deletes it here.
  kj::Promise<Status> moveToOwner(const std::string& bucket, const std::string& name);

  // Removes local data of buckets that the new BMD no longer has.
  void onBmdChange(const meta::BMD& before, const meta::BMD& after);

 private:
  // Bucket known, names valid, and this target is the HRW owner under its Smap.
  // localOnly skips the owner check (the caller wants this target's own copy).
  Status checkRouted(const std::string& bucket, const std::string& name, bool localOnly);
  // checkRouted, plus ObjectExists when the PUT asks ifAbsent and the object exists.
  Status checkPut(const std::string& bucket, const std::string& name, wire::ObjectRef::Reader ref);
  std::vector<const meta::NodeInfo*> otherTargets() const;
  // On a local miss: ObjectMoved(holder id) if another target holds a copy, else ObjectNotFound.
  kj::Promise<Status> findElsewhere(const std::string& bucket, const std::string& name);
  // Deletes the name's copies on every other target; true if any existed.
  kj::Promise<bool> removeElsewhere(const std::string& bucket, const std::string& name);
  Status checkBucket(const std::string& bucket);
  store::PutOptions putOptions(const std::string& bucket,
                               std::map<std::string, std::string> custom) const;
  // Stores the reader's object as bucket/name on its owner target (this one or another).
  kj::Promise<Result<store::Lom>> sendObject(std::unique_ptr<store::ObjectReader> reader,
                                             std::string bucket, std::string name,
                                             std::map<std::string, std::string> custom,
                                             bool ifAbsent);
  Result<store::Lom> copyLocal(store::ObjectReader& reader, const std::string& bucket,
                               const std::string& name, std::map<std::string, std::string> custom);

  struct Page {
    std::vector<store::Lom> entries;
    std::vector<std::string> prefixes;
  };
  // Up to `limit` entries + common prefixes after startAfter (see ListOptions::delimiter).
  Result<Page> listPage(const std::string& bucket, const std::string& prefix,
                        std::string startAfter, const std::string& delimiter, size_t limit);

  NodeContext& ctx_;
};

}  // namespace ais::node
