#include "node/target/put_stream.h"

#include <map>
#include <optional>

#include "common/log.h"
#include "node/target/object_attrs.h"
#include "proto/wire.h"

namespace ais::node {

PutStreamImpl::PutStreamImpl(std::unique_ptr<store::ObjectWriter> writer, std::string targetId,
                             IoWorkers& io, size_t mountpath, AfterCommit afterCommit,
                             Finish finish)
    : writer_(std::move(writer)),
      targetId_(std::move(targetId)),
      io_(io),
      mp_(mountpath),
      afterCommit_(std::move(afterCommit)),
      finish_(std::move(finish)) {}

kj::Promise<void> PutStreamImpl::write(WriteContext context) {
  if (!writer_) return kj::READY_NOW;
  auto chunk = context.getParams().getChunk();  // lives until the promise we return resolves
  return io_.run(mp_, [w = writer_, err = &error_, chunk] {
    if (err->ok()) *err = w->write(chunk.begin(), chunk.size());
  });
}

kj::Promise<void> PutStreamImpl::writeZeros(WriteZerosContext context) {
  if (!writer_) return kj::READY_NOW;
  uint64_t len = context.getParams().getLength();
  return io_.run(mp_, [w = writer_, err = &error_, len] {
    if (err->ok()) *err = w->writeZeros(len);
  });
}

kj::Promise<void> PutStreamImpl::commit(CommitContext context) {
  if (!writer_) {
    proto::setStatus(context.getResults().initStatus(),
                     Status(Code::kInvalidArgument, "already committed"));
    return kj::READY_NOW;
  }
  auto writer = std::move(writer_);
  auto params = context.getParams();
  std::optional<std::map<std::string, std::string>> custom;
  if (params.getReplaceCustom()) custom = proto::fromWire(params.getCustom());
  uint64_t checksum = params.getChecksum();
  if (int64_t issued = params.getIssuedNs(); issued > 0) writer->setIssuedNs(issued);
  return io_
      .run(mp_,
           [writer, err = error_, custom = std::move(custom), checksum,
            finish = finish_]() mutable -> Result<store::Lom> {
             if (!err.ok()) return err;  // the writer's drop discards the work file
             if (custom) writer->setCustom(std::move(*custom));
             return finish ? finish(*writer, checksum) : writer->commit(checksum);
           })
      .then([after = afterCommit_](Result<store::Lom> lom) { return after(std::move(lom)); })
      .then([this, context](Result<store::Lom> lom) mutable {
        auto results = context.getResults();
        if (!lom.ok()) {
          if (lom.code() == Code::kChecksumMismatch) {
            log::warn("PUT refused: {}", lom.status().toString());
          }
          proto::setStatus(results.initStatus(), lom.status());
          return;
        }
        toAttrs(*lom, targetId_, results.initAttrs());
      });
}

}  // namespace ais::node
