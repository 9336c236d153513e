// The gauges of a node's metrics (mountpath use, integrity counters, jobs), refreshed from the
// node's loop every couple of seconds: those sources are loop-thread state.
#pragma once

#include <kj/async.h>

#include "node/node_context.h"

namespace ais::node {

// Refreshes the gauges now, then every `period` until the promise is dropped.
kj::Promise<void> refreshMetricGauges(NodeContext& ctx, kj::Duration period);

}  // namespace ais::node
