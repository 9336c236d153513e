// A target's part of an archive job (node/archive/archive_job.h): the shards it owns, built on a
// thread of its own with a fabric client (members come from their owners, the shards go to this
// target as PUTs), counted in the job's progress and stopped between members when asked.
#pragma once

#include <string>

#include "common/status.h"
#include "node/node_context.h"

namespace ais::node {

// Starts the part as job `id` in ctx.jobs; kInvalidArgument for a bad plan, kBucketNotFound for
// a bucket this node does not know.
Status startArchivePart(NodeContext& ctx, const std::string& id, const std::string& params);

}  // namespace ais::node
