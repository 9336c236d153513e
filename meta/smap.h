// Smap: the versioned cluster map. Only the primary proxy issues new versions; every node keeps
// the newest one it accepted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ais::meta {

enum class Role : uint8_t { kProxy = 0, kTarget = 1 };

// Node flags (bit set).
inline constexpr uint32_t kNodeDown = 1;  // missed keepalives; placement does not change
// Excluded from placement; a target keeps its objects (served from it when asked, used again
// when it returns).
inline constexpr uint32_t kNodeMaintenance = 2;
// Leaving the cluster (always with kNodeMaintenance): a target moves its objects to their owners,
// then the primary stops it and removes it from the Smap.
inline constexpr uint32_t kNodeDecommission = 4;

struct NodeInfo {
  std::string id;
  Role role = Role::kTarget;
  std::string rpcEndpoint;   // host:port of the Cap'n Proto fabric
  std::string httpEndpoint;  // host:port of the HTTP gateway, empty if none
  uint32_t flags = 0;

  bool isTarget() const { return role == Role::kTarget; }
  bool isProxy() const { return role == Role::kProxy; }
  bool down() const { return flags & kNodeDown; }
  bool inMaintenance() const { return flags & kNodeMaintenance; }
  bool decommissioning() const { return flags & kNodeDecommission; }
  bool operator==(const NodeInfo&) const = default;
};

struct Smap {
  uint64_t version = 0;
  std::string primaryId;
  std::string uuid;             // cluster identity; a node never accepts a map of another cluster
  std::vector<NodeInfo> nodes;  // a --role all node appears twice: as proxy and as target

  const NodeInfo* find(const std::string& id, Role role) const;
  const NodeInfo* primary() const { return find(primaryId, Role::kProxy); }
  // Targets that take part in placement (not in maintenance), in Smap order.
  std::vector<const NodeInfo*> activeTargets() const;
  // Every target, in maintenance or not: those that may hold objects (listings, lookups).
  std::vector<const NodeInfo*> allTargets() const;
  size_t countRole(Role role) const;
  bool operator==(const Smap&) const = default;
};

}  // namespace ais::meta
