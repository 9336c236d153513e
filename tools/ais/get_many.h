// `ais get ais://BUCKET DIR --prefix P`: every object under the prefix (the whole bucket with
// --prefix "") written under DIR as DIR/NAME, `conc` at a time.
#pragma once

#include <string>

#include "tools/ais/cli.h"
#include "tools/ais/uri.h"

namespace ais::cli {

struct GetManyArgs {
  Uri bucket;
  std::string prefix;
  std::string dir;
  int conc = 8;
  bool quiet = false;
};

int getMany(Cli& cli, const GetManyArgs& a);

}  // namespace ais::cli
