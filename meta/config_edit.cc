#include "meta/config_edit.h"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>

#include "common/size_text.h"

namespace ais::meta {
namespace {

enum class Unit { kMillis, kBytes };

struct Key {
  const char* name;
  uint32_t ClusterConfig::*field;
  Unit unit;
  uint64_t min, max;
};

constexpr uint64_t kMinute = 60'000;

// (Bounds keep a node answering: a 0 ms keepalive would spin, a chunk past the fabric's message
// limit could not be sent.)
const Key kKeys[] = {
    {"keepalive.interval_ms", &ClusterConfig::keepaliveIntervalMs, Unit::kMillis, 100, kMinute},
    {"keepalive.timeout_ms", &ClusterConfig::keepaliveTimeoutMs, Unit::kMillis, 200, 10 * kMinute},
    {"membership.down_grace_ms", &ClusterConfig::downGraceMs, Unit::kMillis, 0, 24 * 60 * kMinute},
    {"fabric.inline_max_bytes", &ClusterConfig::inlineMaxBytes, Unit::kBytes, 0, 16 << 20},
    {"fabric.chunk_bytes", &ClusterConfig::chunkBytes, Unit::kBytes, 64 << 10, 16 << 20},
};

// "1500", "1500ms", "10s", "2m", "1h" -> milliseconds.
std::optional<uint64_t> parseMillis(const std::string& v) {
  char* end = nullptr;
  if (v.empty() || v[0] < '0' || v[0] > '9') return std::nullopt;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  std::string unit(end);
  uint64_t scale = unit.empty() || unit == "ms" ? 1
                   : unit == "s"                ? 1000
                   : unit == "m"                ? kMinute
                   : unit == "h"                ? 60 * kMinute
                                                : 0;
  if (scale == 0 || n > UINT64_MAX / scale) return std::nullopt;
  return n * scale;
}

}  // namespace

const char* const kConfigKeys =
    "keepalive.interval_ms, keepalive.timeout_ms, membership.down_grace_ms (ms, or 10s, 2m), "
    "fabric.inline_max_bytes, fabric.chunk_bytes (bytes, or 256KiB, 1MiB)";

Status applyConfigKey(ClusterConfig& c, const std::string& key, const std::string& value) {
  for (const Key& k : kKeys) {
    if (key != k.name) continue;
    auto n = k.unit == Unit::kMillis ? parseMillis(value) : parseSize(value);
    if (!n || *n < k.min || *n > k.max) {
      return Status(
          Code::kInvalidArgument,
          fmt::format("{}: expected {} in [{}, {}], got '{}'", key,
                      k.unit == Unit::kMillis ? "milliseconds" : "bytes", k.min, k.max, value));
    }
    c.*k.field = static_cast<uint32_t>(*n);
    return Status::OK();
  }
  return Status(Code::kInvalidArgument,
                "unknown config key '" + key + "' (keys: " + kConfigKeys + ")");
}

Status checkConfig(const ClusterConfig& c) {
  for (const Key& k : kKeys) {
    uint64_t v = c.*k.field;
    if (v < k.min || v > k.max) {
      return Status(Code::kInvalidArgument,
                    fmt::format("{} = {} is outside [{}, {}]", k.name, v, k.min, k.max));
    }
  }
  if (c.keepaliveTimeoutMs < 2 * uint64_t{c.keepaliveIntervalMs}) {
    return Status(Code::kInvalidArgument,
                  fmt::format("keepalive.timeout_ms ({}) must be at least twice "
                              "keepalive.interval_ms ({}): a node would be marked down between "
                              "two of its keepalives",
                              c.keepaliveTimeoutMs, c.keepaliveIntervalMs));
  }
  if (c.downGraceMs != 0 && c.downGraceMs < c.keepaliveTimeoutMs) {
    return Status(Code::kInvalidArgument,
                  fmt::format("membership.down_grace_ms ({}) must be 0 (never) or at least "
                              "keepalive.timeout_ms ({})",
                              c.downGraceMs, c.keepaliveTimeoutMs));
  }
  return Status::OK();
}

std::vector<std::pair<std::string, uint64_t>> configEntries(const ClusterConfig& c) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const Key& k : kKeys) out.emplace_back(k.name, c.*k.field);
  return out;
}

}  // namespace ais::meta
