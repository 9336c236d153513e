// Sizes as people type them: "1048576", "1MiB", "64k", "2GB" (binary units either way).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ais {

// nullopt on junk or overflow.
std::optional<uint64_t> parseSize(std::string_view text);

}  // namespace ais
