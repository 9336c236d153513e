// Appending members to a TAR shard (`ais archive put --append`, appendArchive in ais.capnp). The
// sender streams a TAR archive of the new members (as any tar writes it); the shard's owner
// writes a new version of the shard: its entries up to their end-of-archive blocks, then the
// sent archive, whose own end blocks end the result. The old version stays intact and served
// until the new one commits, which happens only if the shard did not change meanwhile (else
// VersionChanged: the sender tries again), the sent bytes hash to the sender's checksum and they
// index as a TAR archive of at least one member (a sender cannot leave the shard unreadable).
// Compressed shards are refused: their members cannot be appended without rewriting them.
//
// Worker-side steps, pure over the Store and a ReadAt of the verified shard so that unit tests
// drive them directly; ArchiveService::beginAppend is the glue.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "node/archive/format.h"
#include "node/archive/read_at.h"
#include "node/store/store.h"

namespace ais::node {

struct AppendStart {
  std::unique_ptr<store::ObjectWriter> writer;  // holds the shard's entries, sent bytes go next
  uint64_t regionStart = 0;                     // where the sent archive starts
};

// Opens the new version of bucket/name (whose current version is `shard`, bytes in readAt):
// checks its format (kInvalidArgument unless TAR; kBadArchive if its entries do not index) and
// copies its entries into the writer. opts: the bucket's put options.
Result<AppendStart> startAppend(store::Store& store, const std::string& bucket,
                                const std::string& name, const store::Lom& shard,
                                const archive::ReadAt& readAt, archive::Format format,
                                store::PutOptions opts);
// The commit once all the sent bytes are in: they must hash (XXH64) to senderChecksum and be a
// TAR archive of at least one member (kBadArchive naming the reason otherwise); end blocks are
// added if the sender left them out.
Result<store::Lom> finishAppend(store::ObjectWriter& writer, uint64_t regionStart,
                                uint64_t senderChecksum);

}  // namespace ais::node
