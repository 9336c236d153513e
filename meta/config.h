// ClusterConfig: cluster-wide settings, versioned and pushed by the primary like Smap and BMD.
#pragma once

#include <cstdint>

namespace ais::meta {

struct ClusterConfig {
  uint64_t version = 0;
  uint32_t keepaliveIntervalMs = 1000;   // how often nodes report to the primary
  uint32_t keepaliveTimeoutMs = 10000;   // silence after which a node is marked down
  uint32_t inlineMaxBytes = 256 * 1024;  // objects up to this size travel in one message
  uint32_t chunkBytes = 1024 * 1024;     // stream chunk size for larger objects
  // A target down (silent) this long is removed from the Smap, so that placement and PUTs move
  // to the others; it joins again when it comes back. 0: never (AIStore's default is 2 min).
  uint32_t downGraceMs = 120000;
};

}  // namespace ais::meta
