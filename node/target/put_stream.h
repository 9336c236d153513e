// PutStreamImpl: the writer's end of a streamed PUT (PutStream in ais.capnp). Chunks are written
// by the object's I/O worker; capnp delivers a streaming call (and the commit after it) only once
// the previous one completed, so they reach the file one at a time, in order. Dropped without
// commit: the work file is discarded.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "node/store/object_writer.h"
#include "node/target/io_workers.h"
#include "proto/ais.capnp.h"

namespace ais::node {

class PutStreamImpl final : public wire::PutStream::Server {
 public:
  // On the I/O worker, the commit of what was streamed: by default writer.commit(checksum) (the
  // bytes must hash to the sender's checksum). A stream whose bytes are framed into something
  // else (an append to an archive) checks and finishes them its own way.
  using Finish =
      std::function<Result<store::Lom>(store::ObjectWriter& writer, uint64_t senderChecksum)>;
  // afterCommit: what follows a commit before the answer (EC protection), on the loop thread.
  using AfterCommit = std::function<kj::Promise<Result<store::Lom>>(Result<store::Lom>)>;
  PutStreamImpl(std::unique_ptr<store::ObjectWriter> writer, std::string targetId, IoWorkers& io,
                size_t mountpath, AfterCommit afterCommit, Finish finish = {});

 protected:
  kj::Promise<void> write(WriteContext context) override;
  kj::Promise<void> writeZeros(WriteZerosContext context) override;
  kj::Promise<void> commit(CommitContext context) override;

 private:
  std::shared_ptr<store::ObjectWriter> writer_;
  std::string targetId_;
  IoWorkers& io_;
  size_t mp_;
  AfterCommit afterCommit_;
  Finish finish_;
  Status error_;  // written by the workers, one call at a time
};

}  // namespace ais::node
