// Serving a co-located object's bytes with sendfile, never a byte that failed its block checksum:
// a range of up to kVerifyBeforeStatus bytes is verified before the status line goes out (a bad
// block becomes an error response); a larger one is verified piece by piece just before each
// piece is sent (the blocks are then in the page cache, which sendfile reads), and a bad block
// aborts the connection mid-body, so the client sees a truncated response, never a complete 200.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/gateway/gateway.h"
#include "node/gateway/http_server.h"
#include "node/store/object_reader.h"

namespace ais::gateway {

inline constexpr uint64_t kVerifyBeforeStatus = 4 << 20;

// A co-located object being served; its disk work runs on the object's I/O workers unless all of
// it is in memory.
struct LocalObject {
  std::string bucket, name;
  std::unique_ptr<store::ObjectReader> reader;
  bool verifiedWhole = false;  // every block already checked (by openLocal)
  node::Metrics::Clock::time_point opened = node::Metrics::Clock::now();  // (the GET's start)
};

// A local GET that failed before any byte was sent (the node's metrics count it).
void countFailedGet(Gateway& gw, const std::string& bucket, const Status& st);

// Opens bucket/name from this node's store: on this thread if its metadata and bytes are in
// memory, else on its I/O worker. An object of at most `verifyWholeUpTo` bytes is verified whole
// at open (one worker hop for a small GET, none if cached); a bad block fails the open with
// ObjectCorrupted.
Result<LocalObject> openLocal(Gateway& gw, Exchange& ex, const std::string& bucket,
                              const std::string& name, uint64_t verifyWholeUpTo = 0);

// Verifies [off, off+len) when it is small enough to do so before the status line; OK otherwise.
Status verifyBeforeStatus(Gateway& gw, Exchange& ex, LocalObject& obj, uint64_t off, uint64_t len);

// The body after beginResponse: verified sendfile of [off, off+len) (`verified`: the range has
// passed verifyBeforeStatus already). On a bad block or a send failure the connection is closed
// after this exchange.
void sendVerified(Gateway& gw, Exchange& ex, LocalObject& obj, uint64_t off, uint64_t len,
                  bool verified);

}  // namespace ais::gateway
