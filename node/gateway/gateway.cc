#include "node/gateway/gateway.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "meta/codec.h"
#include "meta/hrw.h"

namespace ais::gateway {

GatewayOptions gatewayOptions(const node::LocalConfig& cfg) {
  GatewayOptions o;
  o.httpEndpoint = cfg.httpEndpoint;
  o.fabricEndpoint = cfg.rpcEndpoint;
  o.nodeId = cfg.id;
  o.role = cfg.role;
  std::string adminKey, adminSecret, usersFile;
  nlohmann::json users;
  auto text = meta::readFile(cfg.confdir + "/aisnode.json");
  if (text.ok()) {
    try {
      auto j = nlohmann::json::parse(*text);
      adminKey = j.value("s3_access_key", "");
      adminSecret = j.value("s3_secret_key", "");
      usersFile = j.value("s3_users_file", "");
      if (j.contains("s3_users")) users = j["s3_users"];
      o.s3.region = j.value("s3_region", o.s3.region);
      o.s3Domain = j.value("s3_domain", o.s3Domain);
      o.stallTimeout = std::chrono::seconds(
          j.value("http_stall_timeout_s", static_cast<int64_t>(o.stallTimeout.count())));
      o.maxConnectionsPerClient = j.value("http_max_conns_per_client", o.maxConnectionsPerClient);
      o.relayToOwner = j.value("http_relay_to_owner", o.relayToOwner);
    } catch (const std::exception&) {
      // loadLocalConfig already vetted the file it was given; this copy is best effort.
    }
  }
  if (const char* v = std::getenv("AIS_S3_ACCESS_KEY")) adminKey = v;
  if (const char* v = std::getenv("AIS_S3_SECRET_KEY")) adminSecret = v;
  if (const char* v = std::getenv("AIS_S3_USERS_FILE")) usersFile = v;
  if (const char* v = std::getenv("AIS_S3_REGION")) o.s3.region = v;
  if (!adminKey.empty() || !adminSecret.empty()) {
    addS3Users(o.s3,
               nlohmann::json::array({{{"name", std::string(kS3AdminUser)},
                                       {"access_key", adminKey},
                                       {"secret_key", adminSecret}}}),
               "s3_access_key/s3_secret_key (AIS_S3_ACCESS_KEY/AIS_S3_SECRET_KEY)");
  }
  if (!users.is_null()) addS3Users(o.s3, users, "s3_users in " + cfg.confdir + "/aisnode.json");
  if (!usersFile.empty()) addS3UsersFile(o.s3, usersFile);
  if (const char* v = std::getenv("AIS_HTTP_STALL_TIMEOUT_S")) {
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end && *end == '\0' && n > 0) {
      o.stallTimeout = std::chrono::seconds(n);
    } else {
      log::error("AIS_HTTP_STALL_TIMEOUT_S={}: not a positive number of seconds; keeping {}", v,
                 o.stallTimeout.count());
    }
  }
  if (const char* v = std::getenv("AIS_HTTP_MAX_CONNS_PER_CLIENT")) {
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end && *end == '\0' && n >= 0 && n <= UINT32_MAX) {
      o.maxConnectionsPerClient = static_cast<uint32_t>(n);
    } else {
      log::error("AIS_HTTP_MAX_CONNS_PER_CLIENT={}: not a number of connections; keeping {}", v,
                 o.maxConnectionsPerClient);
    }
  }
  if (const char* v = std::getenv("AIS_HTTP_RELAY_TO_OWNER")) {
    std::string_view b = v;
    if (b == "0" || b == "1") {
      o.relayToOwner = b == "1";
    } else {
      log::error("AIS_HTTP_RELAY_TO_OWNER={}: not 0 or 1; keeping {}", v, o.relayToOwner ? 1 : 0);
    }
  }
  return o;
}

Gateway::Gateway(GatewayOptions options, store::Store* store, node::IoWorkers* io,
                 LocalTarget* local, node::Metrics& metrics)
    : options_(std::move(options)), store_(store), io_(io), local_(local), metrics_(metrics) {}

Gateway::~Gateway() { stop(); }

Status Gateway::start() {
  if (!options_.s3.error.empty()) {
    return Status(Code::kInvalidArgument, "S3 users: " + options_.s3.error);
  }
  HttpServerOptions so;
  so.endpoint = options_.httpEndpoint;
  so.threads = options_.threads;
  so.stallTimeout = options_.stallTimeout;
  so.maxConnectionsPerClient = options_.maxConnectionsPerClient;
  server_ = std::make_unique<HttpServer>(so, [this](Exchange& ex) { handle(ex); });
  AIS_RETURN_IF_ERROR(server_->start());
  log::info("gateway listening on {} (S3 auth {})", options_.httpEndpoint,
            options_.s3.enabled() ? "on: " + std::to_string(options_.s3.users.size()) + " user(s)"
                                  : std::string("off: anonymous"));
  return Status::OK();
}

void Gateway::stop() {
  if (server_) server_->stop();
  server_.reset();
  {
    std::lock_guard lock(smapMu_);
    published_ = nullptr;
  }
  std::lock_guard lock(mu_);
  client_.reset();
}

void Gateway::setSmap(std::shared_ptr<const meta::Smap> smap) {
  // (Not under mu_: the node's loop must never wait for a client being connected, which may
  // need that very loop to answer.)
  std::lock_guard lock(smapMu_);
  smap_ = smap;
  if (published_) published_->adoptSmap(std::move(smap));
}

Result<Client*> Gateway::client() {
  std::lock_guard lock(mu_);
  if (!client_) {
    // Connecting blocks this thread (once, while the node joins): a coroutine must not be
    // suspended while holding mu_, which another one on this thread may want.
    WaitHook* hook = WaitHook::current();
    WaitHook::setCurrent(nullptr);
    struct Restore {
      WaitHook* hook;
      ~Restore() { WaitHook::setCurrent(hook); }
    } restore{hook};
    Client::Options co;
    co.endpoint = options_.fabricEndpoint;
    co.reservedBuckets = true;  // S3 multipart staging; the native API refuses it itself
    auto c = Client::connect(co);
    if (!c.ok()) return c.status();
    client_ = std::move(*c);
    std::lock_guard smapLock(smapMu_);
    published_ = client_.get();
    client_->adoptSmap(smap_);
  }
  return client_.get();
}

Gateway::Owner Gateway::ownerOf(const std::string& bucket, const std::string& name) {
  Owner o;
  auto c = client();
  if (!c.ok()) return o;
  o.smap = (*c)->smapSnapshot();
  if (o.smap) o.node = meta::ownerTarget(*o.smap, meta::uname(bucket, name));
  return o;
}

bool Gateway::ownsLocally(const std::string& bucket, const std::string& name) {
  if (!store_) return false;
  Owner o = ownerOf(bucket, name);
  return o.node && o.node->id == options_.nodeId;
}

bool Gateway::readsOwnCopy(const std::string& bucket, const std::string& name) {
  if (local_ && local_->objects().catchingUp()) return false;
  return ownsLocally(bucket, name);
}

Result<ObjectInfo> Gateway::head(Client& c, const std::string& bucket, const std::string& name) {
  if (local_ && ownsLocally(bucket, name)) {
    auto r = local_->head(bucket, name);
    if (!takeTheFabric(r.code())) return r;
  }
  return c.head(bucket, name);
}

Status Gateway::remove(Client& c, const std::string& bucket, const std::string& name,
                       uint64_t ifVersion) {
  return removeObject(c, bucket, name, ifVersion).status();
}

Result<Client::Removal> Gateway::removeObject(Client& c, const std::string& bucket,
                                              const std::string& name, uint64_t ifVersion,
                                              const std::string& versionId) {
  if (local_ && ownsLocally(bucket, name)) {
    auto r = local_->remove(bucket, name, ifVersion, versionId);
    if (!takeTheFabric(r.code())) return r;
  }
  return c.removeObject(bucket, name, ifVersion, versionId);
}

Result<std::unique_ptr<PutHandle>> Gateway::beginPut(Client& c, const std::string& bucket,
                                                     const std::string& name,
                                                     const PutOptions& opts) {
  if (local_ && ownsLocally(bucket, name)) {
    auto h = local_->beginPut(bucket, name, opts);
    if (!takeTheFabric(h.code())) return h;
  }
  return c.beginPut(bucket, name, opts);
}

Result<ObjectInfo> Gateway::put(Client& c, const std::string& bucket, const std::string& name,
                                std::string_view data, const PutOptions& opts) {
  if (local_ && ownsLocally(bucket, name)) {
    auto h = local_->beginPut(bucket, name, opts);
    if (!takeTheFabric(h.code())) {
      if (!h.ok()) return h.status();
      AIS_RETURN_IF_ERROR((*h)->write(data));
      return (*h)->commit();
    }
  }
  return c.put(bucket, name, data, opts);
}

void Gateway::handle(Exchange& ex) {
  auto start = node::Metrics::Clock::now();
  std::string_view target = ex.target();
  std::string_view api;
  if (target == "/metrics" && (ex.method() == http::verb::get || ex.headOnly())) {
    // Prometheus's scrape: open like /v1/health (no signature). Only the bare path: a bucket
    // named "metrics" is still listed with any query, and always at /s3/metrics.
    api = "metrics";
    ex.responseHeaders().set(http::field::content_type, "text/plain; version=0.0.4");
    (void)ex.respond(200, metrics_.render());  // (a client gone: nothing to do)
  } else if (target == "/v1" || target.rfind("/v1/", 0) == 0 || target.rfind("/v1?", 0) == 0) {
    api = "v1";
    serveNative(*this, ex);
  } else {
    api = "s3";
    serveS3(*this, ex);
  }
  metrics_.recordHttp(api, ex.methodString(), int(ex.status()), start);
}

}  // namespace ais::gateway
