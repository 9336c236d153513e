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
};

}  // namespace ais::meta
