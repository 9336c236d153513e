// `ais archive bucket ais://SRC ais://DST/SHARD-TEMPLATE`: an archive job. Objects of SRC (all,
// --prefix, --list or --template) go, in name order, into shards of DST up to --shard-size each,
// named by the template's brace range ("shard-{0000..0999}.tar"; a plain name makes one shard),
// in the format of its extension or --archive-mime. Each target builds the shards it owns
// (node/archive/archive_job.h); the job's progress is `ais job show ID`; --wait waits for it.
#pragma once

#include <optional>
#include <string>

#include "tools/ais/cli.h"

namespace ais::cli {

struct ArchiveBucketArgs {
  std::string src, dst;
  std::optional<std::string> prefix;
  std::string list, templ;  // --list a,b,c; --template "obj-{000..999}"
  std::string shardSize;    // e.g. 64MiB; default: one shard for a plain name, 1GiB otherwise
  std::string mime;
  bool wait = false;
  bool quiet = false;
};

int archiveBucket(Cli& cli, const ArchiveBucketArgs& a);

}  // namespace ais::cli
