// aisnode: one storage-cluster node. main() wires config, metadata, store, fabric server and the
// membership loops, then runs the KJ event loop until SIGTERM/SIGINT.
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "common/heap_tuning.h"
#include "common/log.h"
#include "meta/codec.h"
#include "node/accept_retry.h"
#include "node/cluster/election.h"
#include "node/cluster/membership.h"
#include "node/cluster/primary.h"
#include "node/gateway/gateway.h"
#include "node/local_config.h"
#include "node/meta_catch_up.h"
#include "node/metrics_gauges.h"
#include "node/mountpath_overrides.h"
#include "node/node_context.h"
#include "node/node_server.h"
#include "node/target/rebalance.h"
#include "node/target/target.h"
#include "proto/local_socket.h"

namespace {

ais::log::Level parseLevel(const std::string& s) {
  if (s == "debug") return ais::log::Level::kDebug;
  if (s == "warn") return ais::log::Level::kWarn;
  if (s == "error") return ais::log::Level::kError;
  return ais::log::Level::kInfo;
}

int run(const ais::node::LocalConfig& cfg) {
  using namespace ais;
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  auto io = kj::setupAsyncIo();
  proto::ConnectionPool pool(*io.provider);
  node::NodeContext ctx(cfg, pool);

  std::error_code ec;
  std::filesystem::create_directories(cfg.confdir, ec);
  if (ec) {
    log::error("cannot create confdir {}: {}", cfg.confdir, ec.message());
    return 1;
  }
  std::string readyPath = cfg.confdir + "/ready";
  ::unlink(readyPath.c_str());
  if (Status st = ctx.meta.load(); !st.ok()) {
    log::error("cannot load persisted metadata: {}", st.toString());
    return 1;
  }

  kj::Own<node::TargetService> target;
  kj::Own<node::Rebalancer> rebalancer;
  if (cfg.isTarget()) {
    auto store = store::Store::open(node::effectiveMountpaths(cfg.confdir, cfg.mountpaths));
    if (!store.ok()) {
      log::error("cannot open the store: {}", store.status().toString());
      return 1;
    }
    ctx.store = std::move(*store);
    // (AIS_PREPARE_WORK_FILES=0: every PUT creates its work file, for comparisons.)
    if (const char* v = std::getenv("AIS_PREPARE_WORK_FILES"); !v || std::string_view(v) != "0") {
      ctx.store->prepareWorkFiles();
    }
    ctx.io = std::make_unique<node::IoWorkers>(ctx.store->mountpaths().size(),
                                               node::kIoWorkersPerMountpath);
    target = kj::heap<node::TargetService>(ctx);
    target->objects().resumePending();
    ctx.meta.onBmdChange = [&](const meta::BMD& before, const meta::BMD& after) {
      target->objects().onBmdChange(before, after);
      target->copies().onBmdChange(before, after);
    };
    rebalancer = kj::heap<node::Rebalancer>(ctx, target->objects());
  }

  // Primary at start-up: the proxy its persisted Smap names, or on a fresh node the configured
  // one. Unless another proxy knows a newer Smap (an election while this one was away): then it
  // follows that.
  bool primaryRole =
      cfg.isProxy() && (ctx.meta.smap().version == 0 ? cfg.primaryEndpoint == cfg.rpcEndpoint
                                                     : ctx.meta.smap().primaryId == cfg.id);
  if (primaryRole && ctx.meta.smap().countRole(meta::Role::kProxy) > 1) {
    node::pullFromProxies(ctx).wait(io.waitScope);
    primaryRole = ctx.isPrimary();
    if (!primaryRole) {
      log::info("Smap v{} names {} primary: joining it", ctx.meta.smap().version,
                ctx.meta.smap().primaryId);
    }
  }
  if (primaryRole && ctx.meta.smap().version > 0 &&
      (ctx.meta.bmd().version == 0 || ctx.meta.config().version == 0)) {
    log::warn("no persisted {}: asking the cluster's nodes for theirs",
              ctx.meta.bmd().version == 0 ? "BMD" : "config");
    node::recoverMetaFromNodes(ctx).wait(io.waitScope);
    log::warn("recovered BMD v{} ({} buckets), config v{}", ctx.meta.bmd().version,
              ctx.meta.bmd().buckets.size(), ctx.meta.config().version);
  }
  kj::Own<node::Primary> primary;
  kj::Own<node::Election> election;
  if (cfg.isProxy()) {
    primary = kj::heap<node::Primary>(ctx);
    election = kj::heap<node::Election>(ctx, *primary);
  }
  if (primaryRole) {
    if (Status st = primary->bootstrap(); !st.ok()) {
      log::error("cannot bootstrap the cluster: {}", st.toString());
      return 1;
    }
  }

  capnp::TwoPartyServer server(
      kj::heap<node::NodeServer>(ctx, primary.get(), election.get(), target.get()));
  kj::Own<kj::ConnectionReceiver> listener;
  try {
    auto addr = io.provider->getNetwork().parseAddress(cfg.rpcEndpoint).wait(io.waitScope);
    listener = addr->listen();
  } catch (const kj::Exception& e) {
    log::error("cannot listen on {}: {}", cfg.rpcEndpoint, e.getDescription().cStr());
    return 1;
  }
  auto serving =
      node::serveFabric(server, *listener, ctx.timer()).eagerlyEvaluate([](kj::Exception&& e) {
        log::error("fabric listener failed: {}", e.getDescription().cStr());
      });
  // The same-host shortcut (proto/local_socket.h); without it, local clients use TCP.
  kj::Own<kj::ConnectionReceiver> localListener;
  kj::Promise<void> servingLocal = kj::READY_NOW;
  if (auto local = proto::localSocketOf(cfg.rpcEndpoint)) {
    try {
      localListener = io.provider->getNetwork().parseAddress(*local).wait(io.waitScope)->listen();
      servingLocal =
          node::serveFabric(server, *localListener, ctx.timer())
              .eagerlyEvaluate([](kj::Exception&& e) {
                log::error("local fabric listener failed: {}", e.getDescription().cStr());
              });
    } catch (const kj::Exception& e) {
      log::warn("cannot listen on {} (local clients use TCP): {}", *local,
                e.getDescription().cStr());
    }
  }
  log::info("{} {} listening on {}{}", cfg.role, cfg.id, cfg.rpcEndpoint,
            localListener ? " (and its local socket)" : "");

  // A target first has its peers hand over what they took for it while it was away (degraded
  // PUTs and deletes): once it is a member, reads of those objects come here. Begun before the
  // gateway listens: its reads from this disk wait for the catch-up's end.
  kj::Promise<void> caughtUp =
      target ? target->objects().catchUp() : kj::Promise<void>(kj::READY_NOW);

  // HTTP gateway (S3 + native REST) on its own threads; it reaches the cluster through a client
  // of this node's fabric endpoint and, on a target, calls this node's ObjectService in-process
  // through a mailbox this loop pumps (it never touches this loop's objects directly).
  proto::LoopMailbox gatewayMailbox;
  auto gatewayCalls = gatewayMailbox.run().eagerlyEvaluate([](kj::Exception&& e) {
    log::error("gateway mailbox failed: {}", e.getDescription().cStr());
  });
  std::unique_ptr<gateway::LocalTarget> localTarget;
  if (target) {
    localTarget = std::make_unique<gateway::LocalTarget>(gatewayMailbox, target->objects());
  }
  std::unique_ptr<gateway::Gateway> gw;
  std::function<void(const meta::Smap&)> gatewaySmapHook;  // the gateway's client follows the node
  if (!cfg.httpEndpoint.empty()) {
    gw = std::make_unique<gateway::Gateway>(gateway::gatewayOptions(cfg), ctx.store.get(),
                                            ctx.io.get(), localTarget.get(), ctx.metrics);
    if (Status st = gw->start(); !st.ok()) {
      log::error("cannot start the gateway: {}", st.toString());
      return 1;
    }
    gw->setBmd(std::make_shared<const meta::BMD>(ctx.meta.bmd()));
    gw->setSmap(std::make_shared<const meta::Smap>(ctx.meta.smap()));
    gatewaySmapHook = [&](const meta::Smap& smap) {
      gw->setSmap(std::make_shared<const meta::Smap>(smap));
    };
    ctx.meta.onSmapChange = gatewaySmapHook;
    ctx.meta.onBmdChange = [&, targetHook = std::move(ctx.meta.onBmdChange)](
                               const meta::BMD& before, const meta::BMD& after) {
      if (targetHook) targetHook(before, after);
      gw->setBmd(std::make_shared<const meta::BMD>(after));
    };
  }

  // Rebalance once the node is in the cluster (first pass at start-up: objects misplaced while
  // this node was away), then on every change of the active targets.
  auto startRebalancing = [&] {
    if (!rebalancer) return;
    bool mountpathLost = ctx.store->needsResilver();
    target->copies().onJoined();
    if (mountpathLost) target->objects().ec().repairCluster("a mountpath came up empty");
    rebalancer->onSmap(ctx.meta.smap());
    ctx.meta.onSmapChange = [&](const meta::Smap& smap) {
      if (gatewaySmapHook) gatewaySmapHook(smap);
      rebalancer->onSmap(smap);
    };
  };

  auto writeReady = [&] {
    ctx.ready = true;
    Status st = meta::writeFileAtomic(readyPath, std::to_string(::getpid()) + "\n");
    if (!st.ok()) log::error("cannot write {}: {}", readyPath, st.toString());
    log::info("ready (Smap v{}, BMD v{})", ctx.meta.smap().version, ctx.meta.bmd().version);
  };

  // The node's duties follow its role in the Smap, which an election or a newer Smap changes:
  // the primary's keepalive watch, or a member's keepalives (and a proxy's elections).
  node::Membership membership(ctx, election.get());
  std::function<kj::Promise<void>()> roleLoop = [&]() -> kj::Promise<void> {
    kj::Promise<void> duty = ctx.isPrimary() ? primary->watchKeepalives() : membership.follow();
    return duty.then([&] { return roleLoop(); });
  };
  kj::Promise<void> joined =
      primaryRole ? kj::mv(caughtUp) : caughtUp.then([&] { return membership.join(); });
  kj::Promise<void> background = joined.then([&] {
    writeReady();
    startRebalancing();
    return roleLoop();
  });
  background = background.eagerlyEvaluate([](kj::Exception&& e) {
    log::error("membership loop failed: {}", e.getDescription().cStr());
  });

  // The metrics' gauges (served with the counters at GET /metrics).
  auto gauges =
      node::refreshMetricGauges(ctx, 2 * kj::SECONDS).eagerlyEvaluate([](kj::Exception&& e) {
        log::error("metrics gauges: {}", e.getDescription().cStr());
      });

  auto term = io.unixEventPort.onSignal(SIGTERM).exclusiveJoin(io.unixEventPort.onSignal(SIGINT));
  auto sig = term.wait(io.waitScope);
  log::info("signal {}: shutting down", sig.si_signo);
  if (gw) gw->stop();  // before the store and the fabric it forwards to go away
  gatewayMailbox.close();
  ::unlink(readyPath.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"aisnode: a storage cluster node (proxy, target, or both)"};
  std::string role;
  std::string configPath;
  app.add_option("--role", role, "proxy | target | all")
      ->required()
      ->check(CLI::IsMember({"proxy", "target", "all"}));
  app.add_option("--config", configPath, "node configuration file (JSON)")->required();
  CLI11_PARSE(app, argc, argv);

  bool heapTuned = ais::keepFreedMemory();
  ::signal(SIGPIPE, SIG_IGN);
  // Every client connection, object file and RocksDB file is a descriptor: the soft limit (often
  // 1024) raised to the hard one, so many clients do not run the node out of them.
  if (struct rlimit lim; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
  auto cfg = ais::node::loadLocalConfig(configPath, role);
  if (!cfg.ok()) {
    std::fprintf(stderr, "aisnode: %s\n", cfg.status().toString().c_str());
    return 2;
  }
  ais::log::setTag(cfg->id);
  ais::log::setLevel(parseLevel(cfg->logLevel));
  if (!heapTuned) ais::log::warn("malloc tuning refused: large buffers are returned to the kernel");
  try {
    return run(*cfg);
  } catch (const kj::Exception& e) {
    ais::log::error("fatal: {}", e.getDescription().cStr());
    return 1;
  }
}
