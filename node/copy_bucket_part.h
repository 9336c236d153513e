// A target's part of a bucket copy or move (AIStore's copy-bck and move-bck): the objects of the
// source bucket (under a prefix) that this target owns, each copied server-side to the same name
// in the destination; for a move, each source object is then removed if it is still the version
// that was copied (a newer write stays). Params: {"to": BUCKET, "prefix": P, "dry_run": BOOL};
// dry_run only counts what would be copied.
#pragma once

#include <string>

#include "common/status.h"
#include "node/node_context.h"

namespace ais::node {

// Starts the part as job `id` (kind "copy-bck" or "move-bck") in ctx.jobs; kInvalidArgument for
// bad params, kBucketNotFound for a bucket this node does not know.
Status startCopyBucketPart(NodeContext& ctx, const std::string& id, const std::string& kind,
                           const std::string& src, const std::string& params);

}  // namespace ais::node
