// URL coding as S3 uses it: percent-decoding of paths and queries, the AWS flavor of encoding
// (RFC 3986 unreserved characters kept, everything else %XX; '/' kept in paths), query parsing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ais::gateway {

// nullopt on a malformed escape. plusIsSpace for query strings (form encoding).
std::optional<std::string> urlDecode(std::string_view s, bool plusIsSpace);
std::string uriEncode(std::string_view s, bool keepSlash);

// Decoded query parameters; repeated keys keep the last value. A key without '=' maps to "".
// (std::less<>: looked up by string_view, with no string made per lookup.)
using Query = std::multimap<std::string, std::string, std::less<>>;
std::optional<Query> parseQuery(std::string_view raw);
std::optional<std::string> queryGet(const Query& q, std::string_view key);

}  // namespace ais::gateway
