// What every part of an aisnode shares, built by main() and passed down by reference: local
// config, accepted metadata, the store (targets), the fabric connection pool, the timer and the
// node's jobs.
// Loop-thread only (but metrics).
#pragma once

#include <kj/timer.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "meta/hrw.h"
#include "node/jobs.h"
#include "node/local_config.h"
#include "node/meta_holder.h"
#include "node/metrics.h"
#include "node/store/store.h"
#include "node/target/io_workers.h"
#include "proto/connection_pool.h"

namespace ais::node {

struct NodeContext {
  NodeContext(LocalConfig cfg, proto::ConnectionPool& pool)
      : cfg(std::move(cfg)),
        meta(this->cfg.confdir),
        pool(pool),
        started(std::chrono::steady_clock::now()),
        metrics(this->cfg.id, this->cfg.isTarget() ? "target" : "proxy") {}

  LocalConfig cfg;
  MetaHolder meta;
  proto::ConnectionPool& pool;
  std::unique_ptr<store::Store> store;  // targets only
  std::unique_ptr<IoWorkers> io;        // targets only: the store's disk work runs there
  std::chrono::steady_clock::time_point started;
  Metrics metrics;  // thread-safe: the gateway's threads record and serve them too
  // Decommissioned and about to exit: never join the cluster again (a keepalive answered "not a
  // member" after the primary removed it).
  bool leaving = false;
  // Caught up with the primary's metadata and joined (main.cc, then "ready"): until then a
  // bucket missing from this node's BMD may be one it has not received yet (loop thread).
  bool ready = false;
  // Peers a client found silent (ObjectService::takeOwnerSilent), by fabric endpoint, until when
  // rounds of askEach (node/target/peer_calls.h) give them a short deadline.
  std::map<std::string, std::chrono::steady_clock::time_point> silentPeers;
  JobRegistry jobs;  // last: its jobs stop before the workers and store they use go away

  // Targets: the LOM of bucket/name (Store::head), answered here on the loop thread when it is
  // in memory (Store::headCached), else read on the name's I/O worker.
  kj::Promise<Result<store::Lom>> headLocal(const std::string& bucket, const std::string& name) {
    auto cached = store->headCached(bucket, name);
    if (cached.ok()) return kj::Promise<Result<store::Lom>>(std::move(cached));
    return io->run(store->mountpathIndex(bucket, name),
                   [st = store.get(), bucket, name] { return st->head(bucket, name); });
  }

  meta::NodeInfo selfInfo(meta::Role role) const {
    meta::NodeInfo n;
    n.id = cfg.id;
    n.role = role;
    n.rpcEndpoint = cfg.rpcEndpoint;
    n.httpEndpoint = cfg.httpEndpoint;
    return n;
  }
  bool isPrimary() const { return cfg.isProxy() && meta.smap().primaryId == cfg.id; }
  kj::Timer& timer() { return pool.timer(); }
};

}  // namespace ais::node
