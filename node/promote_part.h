// A target's part of a promote (AIStore's "promote"): files of a directory (or one file) on the
// target's own file system become objects of a bucket, each PUT as any object (checksummed,
// mirrored or erasure-coded as the bucket says). Params (JSON, AIStore's names): "src" (an
// absolute path), "obj" (the name, or the names' prefix for a directory), "rcr" (recurse into
// subdirectories), "ovw" (overwrite objects that exist; else they are skipped), "dls" (delete
// each file once its object is stored), "shared" (the directory is one file share every target
// sees: each target promotes only the names it owns, so each file once).
#pragma once

#include <string>

#include "common/status.h"
#include "node/node_context.h"

namespace ais::node {

// Starts the part as job `id` in ctx.jobs; kInvalidArgument for bad params or a source that is
// not an absolute path, is inside one of this target's mountpaths, or does not exist.
Status startPromotePart(NodeContext& ctx, const std::string& id, const std::string& bucket,
                        const std::string& params);

}  // namespace ais::node
