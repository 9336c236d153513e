// assembleObject on the owner target (S3 multipart Complete): concatenates part objects into one
// new object through a single ObjectWriter. Parts this target owns are read from its Store; the
// others are streamed from their owners over the fabric straight into the writer. Nothing is
// visible before the commit, and the parts stay. Loop-thread only.
#pragma once

#include <kj/async.h>

#include <memory>
#include <string>

#include "node/node_context.h"
#include "node/target/object_service.h"
#include "proto/ais.capnp.h"

namespace ais::node {

class Assembler {
 public:
  using AssembleObjectContext =
      capnp::CallContext<wire::Node::AssembleObjectParams, wire::Node::AssembleObjectResults>;

  Assembler(NodeContext& ctx, ObjectService& objects) : ctx_(ctx), objects_(objects) {}

  kj::Promise<void> assembleObject(AssembleObjectContext context);

 private:
  struct Job;
  // Bucket(s) known, names valid, this target owns the destination (unless ref.localOnly).
  Status checkRequest(wire::Node::AssembleObjectParams::Reader p) const;
  kj::Promise<Status> appendFrom(std::shared_ptr<Job> job, size_t part);
  kj::Promise<Status> appendPart(std::shared_ptr<Job> job, size_t part);
  // Copies a part from this target's Store, one chunk per event-loop turn.
  kj::Promise<Status> appendLocal(std::shared_ptr<Job> job, std::shared_ptr<store::ObjectReader> rd,
                                  uint64_t off);
  // Streams a part from the target at ep; follows ObjectMoved to the holder during a rebalance.
  kj::Promise<Status> appendRemote(std::shared_ptr<Job> job, const std::string& part,
                                   const std::string& ep, bool localOnly);

  NodeContext& ctx_;
  ObjectService& objects_;  // the assembled object's EC protection
};

}  // namespace ais::node
