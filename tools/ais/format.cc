#include "tools/ais/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace ais::cli {

std::string humanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{}B", bytes);
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f}{}", v, kUnits[unit]);
}

std::string formatTime(int64_t unixNs) {
  if (unixNs <= 0) return "-";
  time_t secs = static_cast<time_t>(unixNs / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string checksumHex(uint64_t checksum) { return fmt::format("{:016x}", checksum); }

std::string Table::render(bool withHeaders) const {
  size_t ncols = headers_.size();
  for (const auto& row : rows_) ncols = std::max(ncols, row.size());
  std::vector<size_t> widths(ncols, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  if (withHeaders) measure(headers_);
  for (const auto& row : rows_) measure(row);

  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  if (withHeaders) emit(headers_);
  for (const auto& row : rows_) emit(row);
  return out;
}

}  // namespace ais::cli
