#include "node/gateway/http_range.h"

#include <string>

namespace ais::gateway {

std::optional<Span> parseRange(std::string_view h, uint64_t size) {
  Span whole{0, size, false};
  if (h.empty() || h.rfind("bytes=", 0) != 0) return whole;
  std::string_view spec = h.substr(6);
  if (spec.find(',') != std::string_view::npos) return whole;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string a(spec.substr(0, dash)), b(spec.substr(dash + 1));
  auto num = [](const std::string& s, uint64_t& out) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
    try {
      out = std::stoull(s);
    } catch (...) {
      return false;
    }
    return true;
  };
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last y bytes
    if (!num(b, y)) return whole;
    if (y == 0 || size == 0) return std::nullopt;
    y = std::min(y, size);
    return Span{size - y, y, true};
  }
  if (!num(a, x)) return whole;
  if (x >= size) return std::nullopt;
  if (b.empty()) return Span{x, size - x, true};
  if (!num(b, y) || y < x) return whole;
  y = std::min(y, size - 1);
  return Span{x, y - x + 1, true};
}

}  // namespace ais::gateway
