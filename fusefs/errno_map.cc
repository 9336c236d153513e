// Status code -> errno. Anything unexpected is EIO: an error, never a silent success.
#include "fusefs/errno_map.h"

namespace ais::fusefs {

int toErrno(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kObjectNotFound:
    case Code::kBucketNotFound:
    case Code::kMemberNotFound:
      return ENOENT;
    case Code::kBucketExists:
    case Code::kObjectExists:
      return EEXIST;
    case Code::kBucketNotEmpty:
      return ENOTEMPTY;
    case Code::kBadObjectName:
    case Code::kBadBucketName:
    case Code::kInvalidArgument:
    case Code::kRangeNotSatisfiable:
      return EINVAL;
    case Code::kOutOfSpace:
      return ENOSPC;
    case Code::kNotImplemented:
      return ENOSYS;
    case Code::kVersionChanged:  // a read pinned to a version another client replaced
      return ESTALE;
    case Code::kUnavailable:
    case Code::kTimeout:
    case Code::kChecksumMismatch:
    case Code::kIoError:
    default:
      return EIO;
  }
}

}  // namespace ais::fusefs
