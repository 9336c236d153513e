// Archive formats a shard may be in, and how a user or a name says which (shared by the targets,
// the CLI and aisfs so that all three agree on what is a shard).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ais::archive {

enum class Format : uint8_t { kTar, kTgz, kTarLz4, kZip };

// By the shard's name: .tar, .tgz or .tar.gz, .tar.lz4, .zip (case-insensitive); nullopt if none.
std::optional<Format> formatOfName(std::string_view name);
// An --archive-mime value: a format's name or extension ("tar", ".tgz", "tar.gz", "application/
// zip", "application/x-tar", ...); nullopt if none we serve.
std::optional<Format> parseFormat(std::string_view mime);
std::string_view formatName(Format f);  // "tar", "tgz", "tar.lz4", "zip"

}  // namespace ais::archive
