// Parsing of `ais://bucket[/name]` arguments. Only the ais:// provider exists; a bare
// "bucket[/name]" means ais:// as in NVIDIA's CLI.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ais::cli {

struct Uri {
  std::string bucket;
  std::string name;  // object name or prefix; empty if the argument named only the bucket

  std::string toString() const;  // "ais://bucket/name"
};

// Validates the bucket name; the name part may be empty.
Result<Uri> parseUri(std::string_view arg);
// As parseUri, but the argument must name only a bucket ("ais://b" or "ais://b/").
Result<Uri> parseBucketUri(std::string_view arg);
// As parseUri, but an object name is required and validated.
Result<Uri> parseObjectUri(std::string_view arg);

}  // namespace ais::cli
