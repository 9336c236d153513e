// Accepting connections when accept(2) fails: out of file descriptors (EMFILE/ENFILE) or
// memory, the pending connection stays queued and every retry fails at once, so a listener
// must wait before it asks again. Before, the fabric's listener (capnp::TwoPartyServer::listen)
// stopped for good at the first failure (the node running, deaf to new fabric connections), and
// the HTTP gateway's retried in a busy loop (one core at 95%) until descriptors were freed.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/timer.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace ais::node {

// How long a listener waits after a failed accept.
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

// Logs a failed accept: the first one, then at most one line per 10 s per listener with the
// count between.
// Thread-safe.
void logAcceptFailure(const char* listener, const std::string& why);

// The fabric's accept loop: every connection to `server`; a failed accept is logged and tried
// again after kAcceptRetryDelay. Never resolves.
kj::Promise<void> serveFabric(capnp::TwoPartyServer& server, kj::ConnectionReceiver& listener,
                              kj::Timer& timer);

}  // namespace ais::node
