// A job part whose work is fabric calls (an archive build, a bucket copy): it runs on a thread of
// its own with a client connected to this node, never on the loop or the I/O workers (the calls
// block, and some come back to this node). Counted and stopped as any job (node/jobs.h).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/status.h"
#include "node/node_context.h"
#include "proto/client.h"

namespace ais::node {

// work's status ends the job (node/jobs.h); it polls `stop` between objects.
using ClientWork =
    std::function<Status(Client& client, JobCounters& counters, const std::atomic<bool>& stop)>;

// True if `self` owns bucket/name under the client's current Smap: a part that walks names every
// target sees (a whole listing, a shared directory) takes only its own, so each is done once.
bool ownsName(Client& client, const std::string& self, const std::string& bucket,
              const std::string& name);

// How a part that went item by item ends: stopped; else failed, with how many `failed` (e.g.
// "objects not copied") and the first failure; else OK.
Status partOutcome(const JobCounters& counters, const std::atomic<bool>& stop,
                   const std::string& failed, const std::string& firstError);

// Starts the part as job `id` of `kind` in ctx.jobs (label: the bucket it shows).
Status startClientJobPart(NodeContext& ctx, const std::string& id, const std::string& kind,
                          const std::string& label, ClientWork work);

}  // namespace ais::node
