// Minimal leveled logging to stderr with a node tag; enough for playground logs and test output.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace ais::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Control characters (below 0x20, and 0x7f) as \xNN, so a hostile name cannot forge log lines or
// drive a terminal. Used on every log line and where the CLI prints names.
std::string escapeControl(std::string_view s);
bool hasControl(std::string_view s);  // whether escapeControl would change s

void setTag(std::string tag);  // e.g. "t1"; printed on every line
void setLevel(Level level);
bool enabled(Level level);
void write(Level level, const std::string& line);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ais::log
