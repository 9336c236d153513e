// The HTTP gateway of an aisnode: S3 (everything not under /v1) and the native REST API (/v1/...).
// Requests reach owner targets through an ais::Client connected to this node's own fabric
// endpoint; when this node is the owner target, GETs are served straight from its Store with
// sendfile. Runs on its own thread pool and never touches the KJ loop thread's objects.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "node/gateway/http_server.h"
#include "node/gateway/s3_auth_sigv4.h"
#include "node/local_config.h"
#include "node/store/store.h"
#include "proto/client.h"

namespace ais::gateway {

struct GatewayOptions {
  std::string httpEndpoint;    // host:port to serve on
  std::string fabricEndpoint;  // this node's own fabric endpoint, for the Client
  std::string nodeId;          // to recognize "the owner target is me"
  std::string role;
  S3Credentials s3;                    // access key empty: anonymous
  std::string s3Domain = "localhost";  // virtual-host style: <bucket>.<s3Domain>[:port]
  unsigned threads = 0;
};

// From the node's config: "http", and "s3_access_key"/"s3_secret_key"/"s3_region"/"s3_domain"
// read from <confdir>/aisnode.json or, if set, AIS_S3_ACCESS_KEY / AIS_S3_SECRET_KEY /
// AIS_S3_REGION in the environment.
GatewayOptions gatewayOptions(const node::LocalConfig& cfg);

class Gateway {
 public:
  // store: this node's Store (targets), else nullptr. Must outlive the gateway.
  Gateway(GatewayOptions options, store::Store* store);
  ~Gateway();

  Status start();
  void stop();

  // The fabric client, connected on first use (the node may still be joining at start).
  Result<Client*> client();
  store::Store* localStore() const { return store_; }
  // True if this node is the owner target of bucket/name under the client's Smap.
  bool ownsLocally(const std::string& bucket, const std::string& name);
  const GatewayOptions& options() const { return options_; }

 private:
  void handle(Exchange& ex);

  GatewayOptions options_;
  store::Store* store_;
  std::mutex mu_;  // guards client_ creation
  std::unique_ptr<Client> client_;
  std::unique_ptr<HttpServer> server_;
};

// Entry points of the two APIs (s3_router.cc, native_api.cc).
void serveS3(Gateway& gw, Exchange& ex);
void serveNative(Gateway& gw, Exchange& ex);

}  // namespace ais::gateway
