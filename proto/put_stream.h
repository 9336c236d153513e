// The two calls of a streamed PUT (wire::PutStream), made on the stream's loop thread: shared by
// the fabric client's PutHandle and a gateway's in-process PUT to its own target.
#pragma once

#include <kj/async.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "proto/ais.capnp.h"
#include "proto/client.h"

namespace ais::proto {

// Sends one chunk; "PUT aborted" if the stream was dropped. The chunk is copied into the call.
kj::Promise<Result<bool>> putStreamWrite(kj::Maybe<wire::PutStream::Client>& stream,
                                         std::string_view chunk);
// Commits with the sender's checksum of all chunks; custom (if given) replaces the metadata.
// issuedNs: the write's issue time (PutOptions::issuedNs); 0: now, as the commit is sent.
kj::Promise<Result<ObjectInfo>> putStreamCommit(
    kj::Maybe<wire::PutStream::Client>& stream, uint64_t checksum,
    const std::optional<std::map<std::string, std::string>>& custom, int64_t issuedNs);

}  // namespace ais::proto
