// The CLI's one edge from Status codes to process exit codes (documented in docs/cli.md).
#pragma once

#include <string>

#include "common/status.h"

namespace ais::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,
  kExitUsage = 2,  // CLI11 parse errors, missing endpoint
  kExitNotFound = 3,
  kExitExists = 4,
  kExitInvalid = 5,
  kExitNotEmpty = 6,
  kExitUnavailable = 7,
  kExitNoSpace = 8,
  kExitChecksum = 9,
  kExitRange = 10,
};

int exitCodeFor(Code code);

// Prints "Error: <status>" on stderr and returns the status's exit code.
int fail(const Status& status);
// The Status of a failed system call on `what` (errno): a missing file is an invalid argument.
Status errnoStatus(const std::string& what);

}  // namespace ais::cli
