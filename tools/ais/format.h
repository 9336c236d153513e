// Human-readable output: sizes, times, checksums and aligned tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/size_text.h"

namespace ais::cli {

std::string humanSize(uint64_t bytes);       // "0B", "512B", "1.50KiB", "3.00GiB"
using ::ais::parseSize;                      // "1MiB", "64k" (common/size_text.h)
std::string formatTime(int64_t unixNs);      // "2024-11-24T21:03:00Z" (UTC); "-" for 0
std::string checksumHex(uint64_t checksum);  // 16 lowercase hex digits

// Columns padded to the widest cell, two spaces apart, the last column unpadded.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void addRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  std::string render(bool withHeaders = true) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ais::cli
