// How object names map to paths. Directories are name prefixes ending in '/'; a directory made by
// mkdir is kept as an empty marker object named "dir/". The hiding rule for names that are legal
// objects but not legal paths lives here (see docs/aisfs.md, "Names").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ais::fusefs {

inline constexpr size_t kMaxComponent = 255;    // NAME_MAX of the kernel
inline constexpr size_t kMaxObjectName = 4095;  // the store's limit (meta::kMaxObjectNameBytes)

// A path component shown in listings: not empty (from "a//b" or a leading '/'), not "." or "..",
// at most NAME_MAX bytes. Objects under hidden components are not reachable through the mount.
bool visibleComponent(std::string_view component);

// Object name of a child of the directory `prefix` ("" or "a/b/").
inline std::string childName(std::string_view prefix, std::string_view component) {
  std::string s(prefix);
  s.append(component);
  return s;
}

// The directory prefix an object name sits in ("" at the top, else "a/b/").
inline std::string parentPrefix(std::string_view name) {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(name.substr(0, slash + 1));
}

inline std::string asDirPrefix(std::string_view name) {
  std::string s(name);
  s.push_back('/');
  return s;
}

}  // namespace ais::fusefs
