// The HTTP gateway of an aisnode: S3 (everything not under /v1) and the native REST API (/v1/...).
// Requests reach owner targets through an ais::Client connected to this node's own fabric
// endpoint; when this node is the owner target, GETs are served straight from its Store (opened
// and verified on the object's I/O workers, then sendfile). Runs on its own threads, which never
// block (http_server.h), and never touches the KJ loop thread's objects.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

#include "meta/bmd.h"
#include "node/gateway/http_server.h"
#include "node/gateway/local_target.h"
#include "node/gateway/s3_auth.h"
#include "node/local_config.h"
#include "node/metrics.h"
#include "node/store/store.h"
#include "node/target/io_workers.h"
#include "proto/client.h"

namespace ais::gateway {

struct GatewayOptions {
  std::string httpEndpoint;    // host:port to serve on
  std::string fabricEndpoint;  // this node's own fabric endpoint, for the Client
  std::string nodeId;          // to recognize "the owner target is me"
  std::string role;
  S3Credentials s3;                    // no users: anonymous
  std::string s3Domain = "localhost";  // virtual-host style: <bucket>.<s3Domain>[:port]
  unsigned threads = 0;
  // A client that sends or takes no bytes for this long is dropped ("http_stall_timeout_s" in
  // the node's JSON config or AIS_HTTP_STALL_TIMEOUT_S).
  std::chrono::seconds stallTimeout{60};
  // Open connections one client address may hold ("http_max_conns_per_client",
  // AIS_HTTP_MAX_CONNS_PER_CLIENT; 0: no limit): beyond it, 503 SlowDown and closed.
  uint32_t maxConnectionsPerClient = 1024;
  // GETs of objects another target owns are relayed to that target's gateway (owner_relay.h)
  // rather than fetched through the fabric ("http_relay_to_owner", AIS_HTTP_RELAY_TO_OWNER=0|1).
  bool relayToOwner = true;
};

// From the node's config: "http", and "s3_access_key"/"s3_secret_key" (the admin user),
// "s3_users" / "s3_users_file" (more users, s3_users.h), "s3_region"/"s3_domain" read from
// <confdir>/aisnode.json or, if set, AIS_S3_ACCESS_KEY / AIS_S3_SECRET_KEY / AIS_S3_USERS_FILE /
// AIS_S3_REGION in the environment.
GatewayOptions gatewayOptions(const node::LocalConfig& cfg);

class Gateway {
 public:
  // store, io, local: this node's Store, its I/O workers and the door to its ObjectService
  // (targets), else nullptr. metrics: the node's (served at GET /metrics; every request counted
  // there). All must outlive the gateway.
  Gateway(GatewayOptions options, store::Store* store, node::IoWorkers* io, LocalTarget* local,
          node::Metrics& metrics);
  ~Gateway();

  Status start();
  void stop();

  // The fabric client, connected on first use (the node may still be joining at start).
  Result<Client*> client();
  store::Store* localStore() const { return store_; }
  // Runs fn (disk work on bucket/name) on the object's I/O workers; the exchange's coroutine
  // waits without holding its thread.
  template <typename F>
  auto onDisk(Exchange& ex, const std::string& bucket, const std::string& name, F&& fn)
      -> std::invoke_result_t<F&> {
    if (!io_) return fn();
    std::optional<std::invoke_result_t<F&>> out;
    ex.offload([&](std::function<void()> done) {
      io_->post(store_->mountpathIndex(bucket, name), [&out, &fn, done = std::move(done)] {
        out.emplace(fn());
        done();
      });
    });
    return std::move(*out);
  }
  // The owner target of bucket/name under the client's Smap (node null if none), held with that
  // Smap (the client may move to a newer one meanwhile).
  struct Owner {
    std::shared_ptr<const meta::Smap> smap;
    const meta::NodeInfo* node = nullptr;
  };
  Owner ownerOf(const std::string& bucket, const std::string& name);
  // True if this node is the owner target of bucket/name under the client's Smap.
  bool ownsLocally(const std::string& bucket, const std::string& name);
  // ownsLocally, and its local copy may be served as it is: not while the target catches up at
  // start-up (a peer may still hold a newer version for it; the fabric GET checks).
  bool readsOwnCopy(const std::string& bucket, const std::string& name);
  const GatewayOptions& options() const { return options_; }
  node::Metrics& metrics() { return metrics_; }
  // The node's BMD (the primary publishes every change to each node before the change is
  // acknowledged, so a bucket's owner and ACL here are current): set by the node's loop on
  // every change, read by S3 access checks without a fabric call. nullptr until set.
  void setBmd(std::shared_ptr<const meta::BMD> bmd) {
    std::lock_guard lock(bmdMu_);
    bmd_ = std::move(bmd);
  }
  std::shared_ptr<const meta::BMD> bmd() {
    std::lock_guard lock(bmdMu_);
    return bmd_;
  }
  // The node's Smap, set by its loop on every change: the fabric client routes and lists by it
  // from then on (a client's own Smap only refreshes on errors, and a listing that misses a
  // joined target makes none).
  void setSmap(std::shared_ptr<const meta::Smap> smap);

  // Object calls that go in-process when this node is the owner target (LocalTarget), else (or
  // when the target's placement differs) through the fabric client.
  Result<ObjectInfo> head(Client& c, const std::string& bucket, const std::string& name);
  Status remove(Client& c, const std::string& bucket, const std::string& name,
                uint64_t ifVersion = 0);
  // remove() with S3 object versioning's answer (Client::removeObject).
  Result<Client::Removal> removeObject(Client& c, const std::string& bucket,
                                       const std::string& name, uint64_t ifVersion = 0,
                                       const std::string& versionId = "");
  Result<std::unique_ptr<PutHandle>> beginPut(Client& c, const std::string& bucket,
                                              const std::string& name, const PutOptions& opts);
  // A whole body at once (one write into the target's writer when in-process).
  Result<ObjectInfo> put(Client& c, const std::string& bucket, const std::string& name,
                         std::string_view data, const PutOptions& opts);

 private:
  void handle(Exchange& ex);

  GatewayOptions options_;
  store::Store* store_;
  node::IoWorkers* io_;
  LocalTarget* local_;
  node::Metrics& metrics_;
  std::mutex mu_;  // guards client_ creation
  std::unique_ptr<Client> client_;
  std::mutex smapMu_;                       // guards smap_ and published_
  std::shared_ptr<const meta::Smap> smap_;  // the node's latest (setSmap)
  Client* published_ = nullptr;             // client_ once connected (until stop)
  std::unique_ptr<HttpServer> server_;
  std::mutex bmdMu_;
  std::shared_ptr<const meta::BMD> bmd_;
};

// Entry points of the two APIs (s3_router.cc, native_api.cc).
void serveS3(Gateway& gw, Exchange& ex);
void serveNative(Gateway& gw, Exchange& ex);

}  // namespace ais::gateway
