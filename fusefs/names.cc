// The documented hiding rule for object names that cannot be paths.
#include "fusefs/names.h"

namespace ais::fusefs {

bool visibleComponent(std::string_view c) {
  if (c.empty() || c == "." || c == "..") return false;
  if (c.size() > kMaxComponent) return false;
  return c.find('\0') == std::string_view::npos;
}

}  // namespace ais::fusefs
