#include "common/log.h"

#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ais::log {
namespace {
std::mutex mu;  // guards tag and serializes lines
std::string tag;
std::atomic<int> minLevel{static_cast<int>(Level::kInfo)};
}  // namespace

void setTag(std::string t) {
  std::lock_guard lock(mu);
  tag = std::move(t);
}
void setLevel(Level level) { minLevel = static_cast<int>(level); }
bool enabled(Level level) { return static_cast<int>(level) >= minLevel.load(); }

namespace {
bool isControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
}  // namespace

bool hasControl(std::string_view s) { return std::any_of(s.begin(), s.end(), isControl); }

std::string escapeControl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (isControl(c)) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void write(Level level, const std::string& line) {
  static const char* kNames[] = {"D", "I", "W", "E"};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  std::lock_guard lock(mu);
  std::fprintf(stderr, "%s %02d:%02d:%02d.%06ld %s %s\n", kNames[static_cast<int>(level)],
               t.tm_hour, t.tm_min, t.tm_sec, static_cast<long>(tv.tv_usec), tag.c_str(),
               escapeControl(line).c_str());
}

}  // namespace ais::log
