#include "node/archive/format.h"

#include <string>

#include "common/ascii.h"

namespace ais::archive {

std::optional<Format> formatOfName(std::string_view name) {
  const std::string n = asciiLower(name);
  if (n.ends_with(".tar")) return Format::kTar;
  if (n.ends_with(".tgz") || n.ends_with(".tar.gz")) return Format::kTgz;
  if (n.ends_with(".tar.lz4")) return Format::kTarLz4;
  if (n.ends_with(".zip")) return Format::kZip;
  return std::nullopt;
}

std::optional<Format> parseFormat(std::string_view mime) {
  std::string m = asciiLower(mime);
  if (!m.empty() && m[0] == '.') m.erase(0, 1);
  if (m == "tar" || m == "application/x-tar") return Format::kTar;
  if (m == "tgz" || m == "tar.gz" || m == "application/x-gtar" || m == "application/gzip" ||
      m == "application/x-gzip" || m == "application/x-tgz") {
    return Format::kTgz;
  }
  if (m == "tar.lz4" || m == "application/x-lz4") return Format::kTarLz4;
  if (m == "zip" || m == "application/zip" || m == "application/x-zip-compressed") {
    return Format::kZip;
  }
  return std::nullopt;
}

std::string_view formatName(Format f) {
  switch (f) {
    case Format::kTar:
      return "tar";
    case Format::kTgz:
      return "tgz";
    case Format::kTarLz4:
      return "tar.lz4";
    case Format::kZip:
      return "zip";
  }
  return "?";
}

}  // namespace ais::archive
