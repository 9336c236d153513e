// Relaying a GET to the owner target's own HTTP gateway: a gateway that does not hold an object
// passes the client's request, unchanged, over a kept-alive connection to the gateway of the
// target that owns it, and copies the answer back. The owner does everything a client talking to
// it directly would get (signature and ACL checks, preconditions, ranges, block verification
// before its bytes leave, restores with EC): one code path, served by sendfile from its page
// cache, instead of the fabric GET's copies, digests and thread hand-offs (docs/performance.md,
// "Gateway: GETs relayed to the owner's gateway").
//
// When the owner's gateway cannot be reached, or the relay fails before the client saw a byte,
// the request is served as before (through the fabric client, which knows how to find another
// copy). A failure after the status line went out closes the client's connection after a short
// body, never wrong bytes. A relayed request carries x-ais-relayed and is never relayed again (two
// gateways whose maps differ for a moment cannot pass it back and forth).
#pragma once

#include <string>
#include <string_view>

#include "node/gateway/http_server.h"

namespace ais::gateway {

class Gateway;

inline constexpr std::string_view kRelayedHeader = "x-ais-relayed";

// True if the request was answered (or its connection doomed) by the owner's gateway; false: not
// relayed, serve it here. Only GETs of one object without a request body are relayed.
bool relayToOwner(Gateway& gw, Exchange& ex, const std::string& bucket, const std::string& name);

}  // namespace ais::gateway
