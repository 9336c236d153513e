// A target's fabric face: the Node calls about objects, translated between their capnp params and
// results and the ObjectService (object_service.h), which holds the logic. Loop-thread only.
#pragma once

#include <kj/async.h>

#include <memory>

#include "common/lock_table.h"
#include "node/target/archive_service.h"
#include "node/target/copies_keeper.h"
#include "node/target/object_service.h"
#include "proto/ais.capnp.h"

namespace ais::node {

class TargetService {
 public:
  using PutObjectContext =
      capnp::CallContext<wire::Node::PutObjectParams, wire::Node::PutObjectResults>;
  using PutBatchContext =
      capnp::CallContext<wire::Node::PutBatchParams, wire::Node::PutBatchResults>;
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
  using BucketChangesContext =
      capnp::CallContext<wire::Node::BucketChangesParams, wire::Node::BucketChangesResults>;
  using SetCustomContext =
      capnp::CallContext<wire::Node::SetCustomParams, wire::Node::SetCustomResults>;
  using CopyObjectContext =
      capnp::CallContext<wire::Node::CopyObjectParams, wire::Node::CopyObjectResults>;
  using ListArchiveContext =
      capnp::CallContext<wire::Node::ListArchiveParams, wire::Node::ListArchiveResults>;
  using AppendArchiveContext =
      capnp::CallContext<wire::Node::AppendArchiveParams, wire::Node::AppendArchiveResults>;
  using LockObjectContext =
      capnp::CallContext<wire::Node::LockObjectParams, wire::Node::LockObjectResults>;
  using BucketEmptyContext =
      capnp::CallContext<wire::Node::BucketEmptyParams, wire::Node::BucketEmptyResults>;
  using HandOverContext =
      capnp::CallContext<wire::Node::HandOverParams, wire::Node::HandOverResults>;
  using MoveToOwnerContext =
      capnp::CallContext<wire::Node::MoveToOwnerParams, wire::Node::MoveToOwnerResults>;

  explicit TargetService(NodeContext& ctx);

  ObjectService& objects() { return objects_; }
  CopiesKeeper& copies() { return copies_; }

  kj::Promise<void> putObject(PutObjectContext context);
  kj::Promise<void> putBatch(PutBatchContext context);
  kj::Promise<void> beginPut(BeginPutContext context);
  kj::Promise<void> getObject(GetObjectContext context);
  kj::Promise<void> headObject(HeadObjectContext context);
  kj::Promise<void> deleteObject(DeleteObjectContext context);
  kj::Promise<void> renameObject(RenameObjectContext context);
  kj::Promise<void> listObjects(ListObjectsContext context);
  kj::Promise<void> bucketChanges(BucketChangesContext context);
  kj::Promise<void> bucketEmpty(BucketEmptyContext context);
  kj::Promise<void> handOver(HandOverContext context);
  kj::Promise<void> moveToOwner(MoveToOwnerContext context);
  kj::Promise<void> setCustom(SetCustomContext context);
  kj::Promise<void> copyObject(CopyObjectContext context);
  kj::Promise<void> listArchive(ListArchiveContext context);
  kj::Promise<void> appendArchive(AppendArchiveContext context);
  kj::Promise<void> lockObject(LockObjectContext context);

 private:
  NodeContext& ctx_;
  ObjectService objects_;
  CopiesKeeper copies_;
  ArchiveService archives_;
  // Locks (lockObject): the table, used on the loop thread only, and its grace period.
  LockTable locks_;
  // Until then only reclaims of locks held before take locks (ais.capnp, lockObject).
  LockTable::Clock::time_point graceUntil_{};
  std::string lastTargets_;   // the placement targets last seen by lockObject
  bool grantMarked_ = false;  // locksGrantedMarker() exists: a restart must give a grace period
  std::string locksGrantedMarker() const;
  void noteTargetSet(LockTable::Clock::time_point now);
};

}  // namespace ais::node
