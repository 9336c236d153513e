#include "meta/smap.h"

namespace ais::meta {

const NodeInfo* Smap::find(const std::string& id, Role role) const {
  for (const auto& n : nodes) {
    if (n.id == id && n.role == role) return &n;
  }
  return nullptr;
}

std::vector<const NodeInfo*> Smap::activeTargets() const {
  std::vector<const NodeInfo*> out;
  for (const auto& n : nodes) {
    if (n.isTarget() && !(n.flags & kNodeMaintenance)) out.push_back(&n);
  }
  return out;
}

std::vector<const NodeInfo*> Smap::allTargets() const {
  std::vector<const NodeInfo*> out;
  for (const auto& n : nodes) {
    if (n.isTarget()) out.push_back(&n);
  }
  return out;
}

size_t Smap::countRole(Role role) const {
  size_t c = 0;
  for (const auto& n : nodes) c += n.role == role;
  return c;
}

}  // namespace ais::meta
