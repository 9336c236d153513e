// The cluster config edited by name: the one place that knows its keys, their units and their
// bounds (`ais config cluster KEY=VALUE`, the native API's set-config and the primary's check of
// a proposed config all come here).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "meta/config.h"

namespace ais::meta {

// Sets one key of `c`: keepalive.interval_ms, keepalive.timeout_ms, membership.down_grace_ms
// (milliseconds: a number, or with a unit: "500ms", "10s", "2m"), fabric.inline_max_bytes,
// fabric.chunk_bytes (bytes: a number or "256KiB", "1MiB"). kInvalidArgument names a bad key or
// value, or one out of its bounds.
Status applyConfigKey(ClusterConfig& c, const std::string& key, const std::string& value);

// What must hold across keys: the keepalive timeout at least twice the interval, the down grace
// period 0 (never) or at least the timeout. kInvalidArgument says which.
Status checkConfig(const ClusterConfig& c);

// Every key with its value, in a fixed order (version not included).
std::vector<std::pair<std::string, uint64_t>> configEntries(const ClusterConfig& c);

// The keys, for help texts.
extern const char* const kConfigKeys;

}  // namespace ais::meta
