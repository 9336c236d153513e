// `ais archive put SRC ais://BUCKET/SHARD [--archpath PREFIX] [--archive-mime FORMAT] [--append]`.
#pragma once

#include <string>

#include "node/archive/format.h"
#include "tools/ais/cli.h"
#include "tools/ais/uri.h"

namespace ais::cli {

struct ArchivePutArgs {
  std::string src, dst, archpath, mime;
  bool append = false;  // to an existing TAR shard (appendArchive on its owner)
  bool quiet = false;
};

int putArchive(Cli& cli, const ArchivePutArgs& a);
// The format of a shard by --archive-mime, else by its name; kInvalidArgument saying which.
Result<archive::Format> shardFormatOf(const std::string& shardName, const std::string& mime);

}  // namespace ais::cli
