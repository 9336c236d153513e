// `ais archive put SRC ais://BUCKET/SHARD [--archpath PREFIX] [--archive-mime FORMAT]`.
#pragma once

#include <string>

#include "tools/ais/cli.h"
#include "tools/ais/uri.h"

namespace ais::cli {

struct ArchivePutArgs {
  std::string src, dst, archpath, mime;
  bool quiet = false;
};

int putArchive(Cli& cli, const ArchivePutArgs& a);

}  // namespace ais::cli
