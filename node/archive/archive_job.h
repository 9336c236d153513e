// Archive jobs (`ais archive bucket`): shards made in the cluster from objects of a bucket. The
// client plans (which objects, grouped into shards up to a size, shard names from a template)
// and gives each target the shards it owns by HRW; a target's part builds them one after another
// with a fabric client of its own: every member read from its owner (block-verified, pinned to
// the version it had when its header was written), in the format asked, stored on itself: small
// shards many per batch PUT, larger ones streamed into a PUT each. Source objects stay. This file:
// the plan as it travels (startJob params) and the builder.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "node/archive/format.h"
#include "proto/client.h"

namespace ais::archive {

struct ShardPlan {
  std::string name;                  // in the destination bucket
  std::vector<std::string> members;  // source object names, in order; their names in the shard
};

struct ArchivePlan {
  std::string src, dst;
  Format format = Format::kTar;
  std::vector<ShardPlan> shards;
};

std::string archivePlanJson(const ArchivePlan& plan);
// kInvalidArgument naming what is wrong.
Result<ArchivePlan> parseArchivePlan(std::string_view json);

struct BuildProgress {
  std::function<void(uint64_t bytes)> memberDone;  // after each member
  std::function<bool()> stopRequested;             // polled between members
};

// Builds every shard of the plan (PUT to the cluster through `client`). The first failure ends
// it (the shard being built is not stored, those finished before it are), naming the shard and
// member; a stop ends it too.
Status buildShards(Client& client, const ArchivePlan& plan, const BuildProgress& progress);

}  // namespace ais::archive
