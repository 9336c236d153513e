// Bucket properties edited by name, with AIStore's names as well as ours: the one place that
// knows which keys exist and what values they take (the CLI's `ais bucket props set` and the
// native API's set-bprops both come here).
#pragma once

#include <string>

#include "common/status.h"
#include "meta/bmd.h"

namespace ais::meta {

// Sets one property of `p`: checksum (checksum.type), versioning (versioning.enabled), fsync,
// mirror.enabled, mirror.copies, ec.enabled, ec.data (ec.data_slices), ec.parity
// (ec.parity_slices), ec.objsize_limit, s3.versioning. kInvalidArgument names a bad key or value.
Status applyBucketProp(BucketProps& p, const std::string& key, std::string value);

// The keys, for help texts.
extern const char* const kBucketPropKeys;

}  // namespace ais::meta
