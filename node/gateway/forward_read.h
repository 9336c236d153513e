// Serving an object owned by another target: the first piece of the range (all of a small one)
// is fetched, verified by the owner, before the status line, so a damaged object gets an error
// response; the rest follows as one fabric stream piped to the socket with flow control, pinned
// to the version whose headers went out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/gateway/http_server.h"
#include "proto/client.h"

namespace ais::gateway {

inline constexpr uint64_t kForwardFirstPiece = 4 << 20;
// A GET whose object was overwritten between its HEAD and its first bytes (fetchFirstPiece:
// kVersionChanged, nothing sent yet) is served again this many times before it fails.
inline constexpr int kReadsOfChangedObject = 5;

// Which bytes are meant: the object's, or (archpath non-empty) a member's of the archive shard,
// decoded by the owner as its format needs; offsets are then within the member.
struct Within {
  std::string archpath, archiveMime;
};

// The version whose headers go out: its number and its xxhash64 (0: not known). Both are asked
// for: a number alone can repeat (a name deleted and written again; a copy a target took for a
// down owner), and bytes of another object must never follow those headers.
struct Pinned {
  uint64_t version = 0;
  uint64_t checksum = 0;
};

// Up to kForwardFirstPiece bytes at off (len bytes wanted in all); kVersionChanged unless they
// come from `pin` (of the object, or of the shard).
Result<std::string> fetchFirstPiece(Client& c, const std::string& bucket, const std::string& name,
                                    uint64_t off, uint64_t len, Pinned pin,
                                    const Within& within = {});

// The body after beginResponse: `first` (bytes at off, fetched before the status line), then the
// rest of [off, off+len) as one stream. A failure closes the connection after a short body.
void sendForwarded(Exchange& ex, Client& c, const std::string& bucket, const std::string& name,
                   uint64_t off, uint64_t len, Pinned pin, std::string_view first,
                   const Within& within = {});

}  // namespace ais::gateway
