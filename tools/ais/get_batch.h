// `ais get --batch LIST OUT.tar`: many objects and archive members, from any buckets, as one TAR
// in the order listed (node/archive/get_batch.h). LIST is AIStore's GetBatch JSON (MossReq), or
// lines "ais://BUCKET/NAME [ARCHPATH]" (blank lines and # comments skipped). OUT.tar: a file
// (written under a temporary name, renamed once whole) or - for stdout.
#pragma once

#include <string>

#include "tools/ais/cli.h"

namespace ais::cli {

struct GetBatchArgs {
  std::string list, out;
  bool continueOnError = false;  // --cont-on-err: missing items as empty __404__/ entries
  bool onlyObjName = false;      // --only-obj-name: entries named NAME[/ARCHPATH]
  int conc = 8;
  bool quiet = false;
};

int getBatch(Cli& cli, const GetBatchArgs& a);

}  // namespace ais::cli
