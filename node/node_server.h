// The fabric server of an aisnode: a thin capnp layer that unpacks each call and hands it to the
// primary's duties (Primary), the target's object service (TargetService) or the metadata holder.
#pragma once

#include <memory>

#include "node/cluster/election.h"
#include "node/cluster/primary.h"
#include "node/meta_catch_up.h"
#include "node/node_context.h"
#include "node/target/assemble.h"
#include "node/target/target.h"
#include "proto/ais.capnp.h"

namespace ais::node {

class NodeServer final : public wire::Node::Server {
 public:
  NodeServer(NodeContext& ctx, Primary* primary, Election* election, TargetService* target)
      : ctx_(ctx),
        primary_(primary),
        election_(election),
        target_(target),
        assembler_(target ? std::make_unique<Assembler>(ctx, target->objects()) : nullptr),
        catchUp_(ctx) {}

 protected:
  kj::Promise<void> getMeta(GetMetaContext context) override;
  kj::Promise<void> join(JoinContext context) override;
  kj::Promise<void> metasync(MetasyncContext context) override;
  kj::Promise<void> keepalive(KeepaliveContext context) override;
  kj::Promise<void> nodeStatus(NodeStatusContext context) override;
  kj::Promise<void> createBucket(CreateBucketContext context) override;
  kj::Promise<void> destroyBucket(DestroyBucketContext context) override;
  kj::Promise<void> setBucketProps(SetBucketPropsContext context) override;
  kj::Promise<void> setClusterConfig(SetClusterConfigContext context) override;
  kj::Promise<void> bucketEmpty(BucketEmptyContext context) override;
  kj::Promise<void> handOver(HandOverContext context) override;
  kj::Promise<void> moveToOwner(MoveToOwnerContext context) override;
  kj::Promise<void> putObject(PutObjectContext context) override;
  kj::Promise<void> beginPut(BeginPutContext context) override;
  kj::Promise<void> putBatch(PutBatchContext context) override;
  kj::Promise<void> getObject(GetObjectContext context) override;
  kj::Promise<void> headObject(HeadObjectContext context) override;
  kj::Promise<void> deleteObject(DeleteObjectContext context) override;
  kj::Promise<void> renameObject(RenameObjectContext context) override;
  kj::Promise<void> listObjects(ListObjectsContext context) override;
  kj::Promise<void> bucketChanges(BucketChangesContext context) override;
  kj::Promise<void> listArchive(ListArchiveContext context) override;
  kj::Promise<void> appendArchive(AppendArchiveContext context) override;
  kj::Promise<void> lockObject(LockObjectContext context) override;
  kj::Promise<void> setCustom(SetCustomContext context) override;
  kj::Promise<void> copyObject(CopyObjectContext context) override;
  kj::Promise<void> assembleObject(AssembleObjectContext context) override;
  kj::Promise<void> startJob(StartJobContext context) override;
  kj::Promise<void> listJobs(ListJobsContext context) override;
  kj::Promise<void> stopJob(StopJobContext context) override;
  kj::Promise<void> mountpaths(MountpathsContext context) override;
  kj::Promise<void> setMountpath(SetMountpathContext context) override;
  kj::Promise<void> setNodeState(SetNodeStateContext context) override;
  kj::Promise<void> shutdown(ShutdownContext context) override;
  kj::Promise<void> requestVote(RequestVoteContext context) override;
  kj::Promise<void> attachMountpath(AttachMountpathContext context) override;
  kj::Promise<void> detachMountpath(DetachMountpathContext context) override;

 private:
  // The primary's duty, or kNotPrimary (the client refreshes its Smap and goes to the primary).
  Primary* primaryOrNull() const { return ctx_.isPrimary() ? primary_ : nullptr; }
  Status notTarget() const;
  // An object call on a target: refused with notTarget() on a proxy (handler null); else handed to
  // handler->*call once this node's BMD knows the call's bucket (MetaCatchUp).
  template <typename Handler, typename Context>
  kj::Promise<void> toTarget(Handler* handler, kj::Promise<void> (Handler::*call)(Context),
                             Context context);

  NodeContext& ctx_;
  Primary* primary_;                      // proxies only
  Election* election_;                    // proxies only
  TargetService* target_;                 // targets only
  std::unique_ptr<Assembler> assembler_;  // targets only
  MetaCatchUp catchUp_;                   // buckets this node's BMD may have missed
};

}  // namespace ais::node
