#include "node/gateway/url.h"

namespace ais::gateway {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> urlDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Plain characters in runs (every request's path and query pass here).
    // (A loop, not find_first_of("%+"): libstdc++ calls memchr on the set for each character.)
    size_t next = i;
    while (next < s.size() && s[next] != '%' && !(plusIsSpace && s[next] == '+')) ++next;
    out.append(s.substr(i, next - i));
    i = next;
    if (i == s.size()) break;
    if (s[i] == '+') {
      out += ' ';
      ++i;
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 3;
  }
  return out;
}

std::string uriEncode(std::string_view s, bool keepSlash) {
  static const char* kHex = "0123456789ABCDEF";
  auto plain = [keepSlash](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~' || (c == '/' && keepSlash);
  };
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  size_t run = 0;  // start of the plain characters not yet appended
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (plain(c)) continue;
    out.append(s.substr(run, i - run));
    char esc[3] = {'%', kHex[c >> 4], kHex[c & 15]};
    out.append(esc, 3);
    run = i + 1;
  }
  out.append(s.substr(run));
  return out;
}

std::optional<Query> parseQuery(std::string_view raw) {
  Query q;
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view kv = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    auto k = urlDecode(kv.substr(0, eq), true);
    auto v = urlDecode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), true);
    if (!k || !v) return std::nullopt;
    q.emplace(std::move(*k), std::move(*v));
  }
  return q;
}

std::optional<std::string> queryGet(const Query& q, std::string_view key) {
  auto [b, e] = q.equal_range(key);
  if (b == e) return std::nullopt;
  return std::prev(e)->second;
}

}  // namespace ais::gateway
