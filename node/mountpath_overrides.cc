#include "node/mountpath_overrides.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "meta/codec.h"

namespace ais::node {
namespace {

std::string overrideFile(const std::string& confdir) { return confdir + "/mountpaths.override"; }

std::string canonical(const std::string& path) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(path, ec);
  std::string out = ec ? path : c.string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// path -> attached (true) or detached (false), in file order.
std::vector<std::pair<std::string, bool>> readOverrides(const std::string& confdir) {
  std::vector<std::pair<std::string, bool>> out;
  std::ifstream in(overrideFile(confdir));
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 2 || (line[0] != '+' && line[0] != '-')) continue;
    out.emplace_back(line.substr(1), line[0] == '+');
  }
  return out;
}

}  // namespace

std::vector<std::string> effectiveMountpaths(const std::string& confdir,
                                             const std::vector<std::string>& configured) {
  std::vector<std::string> out;
  auto has = [&](const std::string& p) {
    return std::any_of(out.begin(), out.end(),
                       [&](const std::string& o) { return canonical(o) == canonical(p); });
  };
  for (const auto& p : configured) {
    if (!has(p)) out.push_back(p);
  }
  for (const auto& [path, attached] : readOverrides(confdir)) {
    if (attached) {
      if (!has(path)) out.push_back(path);
    } else {
      out.erase(std::remove_if(out.begin(), out.end(),
                               [&](const std::string& o) { return canonical(o) == path; }),
                out.end());
    }
  }
  return out;
}

Status recordMountpath(const std::string& confdir, const std::string& path, bool attached) {
  auto entries = readOverrides(confdir);
  std::string key = canonical(path);
  entries.erase(
      std::remove_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == key; }),
      entries.end());
  entries.emplace_back(key, attached);
  std::string text;
  for (const auto& [p, a] : entries) text += (a ? "+" : "-") + p + "\n";
  return meta::writeFileAtomic(overrideFile(confdir), text);
}

}  // namespace ais::node
