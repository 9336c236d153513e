// The node's accepted Smap, BMD and ClusterConfig: newer versions replace older ones and are
// persisted under confdir; older ones are rejected; a map of another cluster (uuid) is refused.
// Loop-thread only.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "meta/bmd.h"
#include "meta/config.h"
#include "meta/smap.h"

namespace ais::node {

class MetaHolder {
 public:
  explicit MetaHolder(std::string confdir) : confdir_(std::move(confdir)) {}

  // Loads what was persisted (missing files are fine: a fresh node).
  Status load();

  const meta::Smap& smap() const { return smap_; }
  const meta::BMD& bmd() const { return bmd_; }
  const meta::ClusterConfig& config() const { return config_; }

  // OK if newer (accepted and persisted) or the same version; kRejectedVersion if older (or, for
  // a Smap, the same version with other contents).
  Status acceptSmap(meta::Smap smap);
  Status acceptBmd(meta::BMD bmd);
  Status acceptConfig(meta::ClusterConfig config);
  // All three from another node (join reply, pull from the primary): each is taken if it is not
  // older than ours; a refused one is logged, not fatal.
  void acceptNewer(meta::Smap smap, meta::BMD bmd, meta::ClusterConfig config);

  // Called after a new Smap was accepted.
  std::function<void(const meta::Smap& smap)> onSmapChange;
  // Called after a new BMD was accepted, with the previous one.
  std::function<void(const meta::BMD& before, const meta::BMD& after)> onBmdChange;

 private:
  std::string confdir_;
  meta::Smap smap_;
  meta::BMD bmd_;
  meta::ClusterConfig config_;
};

}  // namespace ais::node
