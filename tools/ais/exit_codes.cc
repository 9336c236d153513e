#include "tools/ais/exit_codes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ais::cli {

int exitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kObjectNotFound:
    case Code::kBucketNotFound:
    case Code::kMemberNotFound:
    case Code::kNodeNotFound:
      return kExitNotFound;
    case Code::kBucketExists:
    case Code::kObjectExists:
      return kExitExists;
    case Code::kInvalidArgument:
    case Code::kBadBucketName:
    case Code::kBadObjectName:
    case Code::kBadArchive:
      return kExitInvalid;
    case Code::kBucketNotEmpty:
      return kExitNotEmpty;
    case Code::kUnavailable:
    case Code::kTimeout:
    case Code::kNoTargets:
      return kExitUnavailable;
    case Code::kOutOfSpace:
      return kExitNoSpace;
    case Code::kChecksumMismatch:
    case Code::kObjectCorrupted:
      return kExitChecksum;
    case Code::kRangeNotSatisfiable:
      return kExitRange;
    default:
      return kExitOther;
  }
}

int fail(const Status& status) {
  std::fprintf(stderr, "Error: %s\n", status.toString().c_str());
  return exitCodeFor(status.code());
}

Status errnoStatus(const std::string& what) {
  return Status(errno == ENOENT ? Code::kInvalidArgument : Code::kIoError,
                what + ": " + std::strerror(errno));
}

}  // namespace ais::cli
