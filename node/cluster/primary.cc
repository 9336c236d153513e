#include "node/cluster/primary.h"

#include <kj/vector.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "meta/codec.h"
#include "meta/config_edit.h"
#include "meta/names.h"
#include "node/meta_catch_up.h"
#include "proto/wire.h"

namespace ais::node {
namespace {

std::string randomUuid() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  char buf[33];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(gen()),
           static_cast<unsigned long long>(gen()));
  return buf;
}

constexpr std::string_view kNoQuorum = "no quorum";
// metasyncTo's answer for a node that gave none (no connection, timeout, disconnect).
constexpr std::string_view kUnreachable = "unreachable: ";
constexpr std::string_view kNoLongerPrimary = "no longer the primary";

// True if publish()/changeSmap() answered that nothing was published (no majority of the proxies
// took it, or this proxy is not the primary any more): the change did not happen.
bool notPublished(const std::string& why) {
  return why.rfind(kNoQuorum, 0) == 0 || why == kNoLongerPrimary;
}

// A membership change's answer: the published Smap's version, or why it was not published
// (Unavailable) or not taken by every node (Internal: the change stands).
Result<uint64_t> membershipOutcome(const std::string& what, const std::string& missed,
                                   uint64_t version) {
  if (notPublished(missed)) return Status(Code::kUnavailable, what + " not published: " + missed);
  if (!missed.empty()) {
    return Status(Code::kInternal, what + " is in the cluster map (v" + std::to_string(version) +
                                       "), but not every node took it: " + missed);
  }
  return version;
}

}  // namespace

Status Primary::bootstrap() {
  meta::Smap smap = ctx_.meta.smap();
  bool fresh = smap.version == 0;
  if (fresh) smap.uuid = randomUuid();
  smap.primaryId = ctx_.cfg.id;
  // (Re)register self with current endpoints.
  auto upsert = [&](meta::Role role) {
    meta::NodeInfo self = ctx_.selfInfo(role);
    for (auto& n : smap.nodes) {
      if (n.id == self.id && n.role == role) {
        n = self;
        return;
      }
    }
    smap.nodes.push_back(self);
  };
  upsert(meta::Role::kProxy);
  if (ctx_.cfg.isTarget()) upsert(meta::Role::kTarget);
  // (A restart with nothing changed keeps the version: a new one would be published without the
  // other proxies' say.)
  if (fresh || !(smap == ctx_.meta.smap())) {
    smap.version += 1;
    AIS_RETURN_IF_ERROR(ctx_.meta.acceptSmap(smap));
  }

  if (ctx_.meta.bmd().version == 0) {
    meta::BMD bmd;
    bmd.version = 1;
    bmd.uuid = smap.uuid;
    AIS_RETURN_IF_ERROR(ctx_.meta.acceptBmd(bmd));
  }
  if (ctx_.meta.config().version == 0) {
    meta::ClusterConfig cfg = ctx_.cfg.clusterDefaults;
    cfg.version = 1;
    AIS_RETURN_IF_ERROR(ctx_.meta.acceptConfig(cfg));
  }
  // Everyone gets a full timeout to report in after a primary restart.
  auto now = Clock::now();
  for (const auto& n : smap.nodes) lastSeen_[{n.id, n.role}] = now;
  log::info("primary of cluster {} with Smap v{}", smap.uuid, smap.version);
  return Status::OK();
}

namespace {

// Runs `body` once every change queued on `tail` before it has ended, and queues it there: the
// next starts after this one, whatever its outcome.
template <typename Body>
auto inTurn(kj::ForkedPromise<void>& tail, Body&& body, const char* what) {
  auto forked = tail.addBranch().then(std::forward<Body>(body)).fork();
  tail = forked.addBranch()
             .ignoreResult()
             .catch_([what](kj::Exception&& e) {
               log::error("{} change failed: {}", what, e.getDescription().cStr());
             })
             .fork();
  return forked.addBranch();
}

}  // namespace

kj::Promise<std::string> Primary::changeSmap(std::function<bool(meta::Smap&)> edit,
                                             std::string excused, bool takingOver,
                                             std::function<void()> taken) {
  return inTurn(
      smapTail_,
      [this, edit = std::move(edit), excused = std::move(excused), takingOver,
       taken = std::move(taken)]() mutable -> kj::Promise<std::string> {
        if (!takingOver && !ctx_.isPrimary()) return std::string(kNoLongerPrimary);
        meta::Smap smap = ctx_.meta.smap();
        if (!edit(smap)) return std::string();
        smap.version += 1;
        return publish(std::move(smap), std::nullopt, excused, std::move(taken));
      },
      "Smap");
}

kj::Promise<Status> Primary::changeBmd(std::function<kj::Promise<Status>()> change) {
  return inTurn(bmdTail_, std::move(change), "BMD");
}

kj::Promise<std::string> Primary::proposeToProxies(const meta::Smap& smap) {
  size_t proxies = smap.countRole(meta::Role::kProxy);
  if (proxies <= 1) return std::string();
  size_t need = proxies / 2 + 1;
  kj::Vector<kj::Promise<std::string>> answers;
  for (const auto& n : smap.nodes) {
    // (A proxy marked down counts, but is not waited for: it gets the Smap with the rest.)
    if (!n.isProxy() || n.id == ctx_.cfg.id || n.down()) continue;
    auto req = ctx_.pool.get(n.rpcEndpoint).metasyncRequest();
    meta::toWire(smap, req.initSmap());
    meta::toWire(ctx_.meta.bmd(), req.initBmd());
    meta::toWire(ctx_.meta.config(), req.initConfig());
    auto sent = req.send().then([](auto&& r) {
      Status st = proto::toStatus(r.getStatus());
      return st.ok() ? std::string("OK") : st.toString();
    });
    std::string id = n.id, ep = n.rpcEndpoint;
    answers.add(ctx_.timer()
                    .timeoutAfter(3 * kj::SECONDS, kj::mv(sent))
                    .catch_([this, ep](kj::Exception&& e) {
                      ctx_.pool.drop(ep);
                      return std::string(e.getDescription().cStr());
                    })
                    .then([id](std::string st) { return st == "OK" ? st : id + ": " + st; }));
  }
  return kj::joinPromises(answers.releaseAsArray())
      .then([need, proxies, version = smap.version](kj::Array<std::string>&& got) {
        size_t took = 1;  // this proxy
        std::string why;
        for (auto& g : got) {
          if (g == "OK") {
            ++took;
          } else {
            why += (why.empty() ? "" : "; ") + g;
          }
        }
        if (took >= need) return std::string();
        if (why.empty()) why = "the other proxies are marked down";
        return std::string(kNoQuorum) + ": " + std::to_string(took) + " of " +
               std::to_string(proxies) + " proxies took Smap v" + std::to_string(version) + " (" +
               std::to_string(need) + " needed): " + why;
      });
}

kj::Promise<std::string> Primary::publish(std::optional<meta::Smap> smap,
                                          std::optional<meta::BMD> bmd, const std::string& excused,
                                          std::function<void()> taken) {
  if (!smap) {
    // A bucket change, too, needs a majority of the proxies still following this primary (they
    // take its current Smap again): a primary cut off, or replaced while frozen, changes nothing.
    return proposeToProxies(ctx_.meta.smap())
        .then([this, bmd = std::move(bmd), excused,
               taken = std::move(taken)](std::string noQuorum) mutable -> kj::Promise<std::string> {
          if (!noQuorum.empty()) {
            log::warn("BMD change not published: {}", noQuorum);
            tasks_.add(catchUp());
            return noQuorum;
          }
          return publishAccepted(std::nullopt, std::move(bmd), excused, std::move(taken));
        });
  }
  if (smap->version <= ctx_.meta.smap().version) {
    return "Smap v" + std::to_string(smap->version) + " is not newer than this node's v" +
           std::to_string(ctx_.meta.smap().version);
  }
  auto proposed = proposeToProxies(*smap);
  return proposed.then(
      [this, smap = std::move(*smap), bmd = std::move(bmd), excused,
       taken = std::move(taken)](std::string noQuorum) mutable -> kj::Promise<std::string> {
        if (!noQuorum.empty()) {
          log::warn("Smap v{} not published: {}", smap.version, noQuorum);
          tasks_.add(catchUp());
          return noQuorum;
        }
        return publishAccepted(std::move(smap), std::move(bmd), excused, std::move(taken));
      });
}

kj::Promise<std::string> Primary::publishAccepted(std::optional<meta::Smap> smap,
                                                  std::optional<meta::BMD> bmd,
                                                  const std::string& excused,
                                                  std::function<void()> taken) {
  if (smap) {
    Status st = ctx_.meta.acceptSmap(*smap);
    if (!st.ok()) {
      log::error("cannot accept own Smap: {}", st.toString());
      return st.toString();
    }
    log::info("published Smap v{} as primary {}", smap->version, smap->primaryId);
    if (taken) taken();
  }
  if (bmd) {
    Status st = ctx_.meta.acceptBmd(*bmd);
    if (!st.ok()) log::error("cannot accept own BMD: {}", st.toString());
  }
  std::map<std::string, const meta::NodeInfo*> byEndpoint;  // a node in both roles: once
  for (const auto& n : ctx_.meta.smap().nodes) {
    if (n.id != ctx_.cfg.id) byEndpoint.emplace(n.rpcEndpoint, &n);
  }
  kj::Vector<kj::Promise<std::string>> acks;
  for (const auto& [ep, node] : byEndpoint) {
    // A node marked down is expected to miss it (it pulls the metadata when it reports back):
    // one try, not waited for (a frozen node would hold the change up for 15 s).
    if (node->down()) {
      tasks_.add(metasyncTo(ep, 3).ignoreResult());
      continue;
    }
    bool excuse = node->id == excused;
    std::string id = node->id;
    acks.add(metasyncTo(ep, 1).then([this, excuse, id](std::string why) {
      if (why.empty() || excuse) return std::string();
      // A node that does not answer at all (dead, hung, cut off) is one the keepalives are about
      // to flag down: like a flagged one, it is sent the metadata when it reports back (its next
      // keepalive, or its join after a restart), and catches up before it serves a bucket it
      // does not know (meta_catch_up.h). The change stands for the cluster; only a node that
      // answered and refused it is a failure.
      if (why.starts_with(kUnreachable)) {
        log::warn("{} did not take the change ({}); it is sent it when it reports back", id, why);
        behind_.insert(id);
        return std::string();
      }
      return id + ": " + why;
    }));
  }
  return kj::joinPromises(acks.releaseAsArray()).then([](kj::Array<std::string>&& failed) {
    std::string out;
    for (auto& f : failed) {
      if (f.empty()) continue;
      if (!out.empty()) out += "; ";
      out += f;
    }
    return out;
  });
}

kj::Promise<std::string> Primary::metasyncTo(std::string ep, int attempt) {
  auto req = ctx_.pool.get(ep).metasyncRequest();
  meta::toWire(ctx_.meta.smap(), req.initSmap());
  meta::toWire(ctx_.meta.bmd(), req.initBmd());
  meta::toWire(ctx_.meta.config(), req.initConfig());
  auto sent = req.send().then([](auto&& r) {
    Status st = proto::toStatus(r.getStatus());
    return st.ok() ? std::string() : st.toString();
  });
  return ctx_.timer()
      .timeoutAfter(5 * kj::SECONDS, kj::mv(sent))
      .catch_([this, ep](kj::Exception&& e) {
        ctx_.pool.drop(ep);
        return std::string(kUnreachable) + e.getDescription().cStr();
      })
      .then([this, ep, attempt](std::string why) -> kj::Promise<std::string> {
        if (why.empty()) return why;
        // A newer version it already has is no failure (another publication overtook this).
        if (why.find("older than") != std::string::npos) return std::string();
        if (attempt >= 3) {
          log::warn("metasync to {} failed {} times: {}", ep, attempt, why);
          return why;
        }
        return ctx_.timer().afterDelay(300 * kj::MILLISECONDS * attempt).then([this, ep, attempt] {
          return metasyncTo(ep, attempt + 1);
        });
      });
}

kj::Promise<void> Primary::watchKeepalives() {
  if (!ctx_.isPrimary()) {
    log::info("no longer the primary (Smap v{} names {})", ctx_.meta.smap().version,
              ctx_.meta.smap().primaryId);
    watching_ = false;
    return kj::READY_NOW;
  }
  if (!watching_) {
    // A new stint as primary (elected, handed the role, or at start-up): what an earlier stint
    // saw is stale; every node gets a full timeout from now.
    watching_ = true;
    auto now = Clock::now();
    lastSeen_.clear();
    downSince_.clear();
    for (const auto& n : ctx_.meta.smap().nodes) lastSeen_[{n.id, n.role}] = now;
  }
  const auto& cfg = ctx_.meta.config();
  auto timeout = std::chrono::milliseconds(cfg.keepaliveTimeoutMs);
  auto now = Clock::now();
  meta::Smap smap = ctx_.meta.smap();
  for (const auto& n : smap.nodes) {
    // (A decommission a previous primary started, or one interrupted by a restart.)
    if (n.isTarget() && n.decommissioning()) watchDecommission(n.id);
  }
  std::vector<std::string> expired;  // targets down for longer than the grace period
  std::set<std::pair<std::string, meta::Role>> silent;
  for (auto& n : smap.nodes) {
    // (A target in maintenance may be down as long as it takes: it is out of placement already
    // and keeps its place in the Smap until stop-maintenance.)
    if (n.down() && n.isTarget() && !n.inMaintenance() && cfg.downGraceMs > 0) {
      auto since = downSince_.try_emplace(n.id, now).first->second;
      if (now - since > std::chrono::milliseconds(cfg.downGraceMs)) expired.push_back(n.id);
    } else {
      // Up again (a keepalive, a rejoin after a restart) or in maintenance: a later down counts
      // from then, not from an earlier one.
      downSince_.erase(n.id);
    }
    if (n.id == ctx_.cfg.id || n.down()) continue;
    auto it = lastSeen_.find({n.id, n.role});
    if (it == lastSeen_.end()) {
      lastSeen_[{n.id, n.role}] = now;
      continue;
    }
    if (now - it->second > timeout) {
      log::warn("node {} ({}) silent for {} ms: marking it down", n.id,
                n.isTarget() ? "target" : "proxy",
                std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second).count());
      silent.insert({n.id, n.role});
    }
  }
  kj::Promise<void> done = kj::READY_NOW;
  if (!silent.empty()) {
    done = changeSmap([silent](meta::Smap& s) {
             bool changed = false;
             for (auto& n : s.nodes) {
               if (silent.count({n.id, n.role}) && !n.down()) {
                 n.flags |= meta::kNodeDown;
                 changed = true;
               }
             }
             return changed;
           }).ignoreResult();
  }
  for (const auto& id : expired) {
    // Out of placement, so that the names it owned are written to the others; what it holds
    // is back when it rejoins (newer versions written meanwhile win, see store::supersedes).
    size_t others = 0;
    for (const meta::NodeInfo* t : smap.activeTargets()) others += t->id != id && !t->down();
    if (others == 0) continue;  // (the last target standing stays: nothing could take over)
    log::warn("target {} down for more than {} ms: removing it from the cluster map", id,
              cfg.downGraceMs);
    downSince_.erase(id);
    done = done.then([this, id] { return removeNode(id, meta::Role::kTarget).ignoreResult(); });
  }
  uint32_t period = std::max<uint32_t>(100, cfg.keepaliveIntervalMs / 2);
  return done.then([this, period] { return ctx_.timer().afterDelay(period * kj::MILLISECONDS); })
      .then([this] { return watchKeepalives(); });
}

kj::Promise<bool> Primary::takeOver(std::string previous) {
  // Resolved as soon as the Smap is taken here: the other nodes get it while this proxy already
  // acts as primary.
  auto paf = kj::newPromiseAndFulfiller<bool>();
  auto won = std::make_shared<kj::Own<kj::PromiseFulfiller<bool>>>(kj::mv(paf.fulfiller));
  auto taken = [this, previous, won] {
    log::info("primary of Smap v{} (took over from {})", ctx_.meta.smap().version, previous);
    // (Everyone gets a full timeout to report to the new primary: watchKeepalives starts anew.)
    tasks_.add(markSilentDown());
    (*won)->fulfill(true);
  };
  tasks_.add(changeSmap(
                 [this, previous](meta::Smap& smap) {
                   if (smap.primaryId != previous) return false;  // somebody else moved first
                   smap.primaryId = ctx_.cfg.id;
                   for (auto& n : smap.nodes) {
                     if (n.id == previous && n.isProxy()) n.flags |= meta::kNodeDown;
                   }
                   return true;
                 },
                 "", true, taken)
                 .then([won](std::string why) {
                   if (!(*won)->isWaiting()) return;
                   log::warn("election won, but the new Smap was not published: {}", why);
                   (*won)->fulfill(false);
                 }));
  return kj::mv(paf.promise);
}

kj::Promise<void> Primary::markSilentDown() {
  kj::Vector<kj::Promise<std::string>> asks;  // ids that did not answer
  for (const auto& n : ctx_.meta.smap().nodes) {
    if (n.id == ctx_.cfg.id || n.down()) continue;
    asks.add(nodeAnswers(ctx_, n.rpcEndpoint, 2 * kj::SECONDS).then([id = n.id](bool answered) {
      return answered ? std::string() : id;
    }));
  }
  return kj::joinPromises(asks.releaseAsArray()).then([this](kj::Array<std::string>&& silent) {
    std::set<std::string> ids;
    for (auto& id : silent) {
      if (!id.empty()) ids.insert(id);
    }
    if (ids.empty()) return kj::Promise<void>(kj::READY_NOW);
    return changeSmap([this, ids](meta::Smap& smap) {
             bool changed = false;
             for (auto& n : smap.nodes) {
               if (ids.count(n.id) && !n.down()) {
                 log::warn("node {} does not answer the new primary: marking it down", n.id);
                 n.flags |= meta::kNodeDown;
                 changed = true;
               }
             }
             return changed;
           })
        .ignoreResult();
  });
}

kj::Promise<void> Primary::catchUp() {
  if (catchingUp_) return kj::READY_NOW;
  catchingUp_ = true;
  return pullFromProxies(ctx_).then([this] {
    catchingUp_ = false;
    if (!ctx_.isPrimary()) {
      log::warn("Smap v{} names {} primary: this proxy follows it", ctx_.meta.smap().version,
                ctx_.meta.smap().primaryId);
    }
  });
}

kj::Promise<Status> Primary::join(meta::NodeInfo node) {
  if (node.id.empty() || node.rpcEndpoint.empty()) {
    return Status(Code::kInvalidArgument, "join needs a node id and an endpoint");
  }
  lastSeen_[{node.id, node.role}] = Clock::now();
  node.flags = 0;
  return changeSmap([node](meta::Smap& smap) mutable {
           for (auto& n : smap.nodes) {
             if (n.id == node.id && n.role == node.role) {
               // A node restarted in maintenance (or while leaving) stays so until told
               // otherwise.
               node.flags = n.flags & (meta::kNodeMaintenance | meta::kNodeDecommission);
               if (n == node) return false;  // already a member, nothing changes
               log::info("node {} rejoins at {}", node.id, node.rpcEndpoint);
               n = node;
               return true;
             }
           }
           log::info("node {} ({}) joins at {}", node.id, node.isTarget() ? "target" : "proxy",
                     node.rpcEndpoint);
           smap.nodes.push_back(node);
           return true;
         })
      .then([](std::string why) {
        // (A change that found no quorum is not taken: the node is not a member yet.)
        return notPublished(why) ? Status(Code::kUnavailable, why) : Status::OK();
      });
}

kj::Promise<Result<uint64_t>> Primary::setNodeState(const std::string& id,
                                                    const std::string& action, bool rmUserData) {
  using Out = Result<uint64_t>;
  meta::Smap smap = ctx_.meta.smap();
  meta::NodeInfo* n = nullptr;
  for (auto& m : smap.nodes) {
    if (m.id == id && m.isTarget()) n = &m;
  }
  if (action == "set-primary" || (!n && smap.find(id, meta::Role::kProxy))) {
    return setProxyState(id, action);
  }
  if (!n) return Out(Status(Code::kNodeNotFound, id + " is not a node of the cluster"));
  uint32_t before = n->flags;
  if (action == "start-maintenance") {
    if (n->decommissioning()) {
      return Out(Status(Code::kInvalidArgument, id + " is being decommissioned"));
    }
    n->flags |= meta::kNodeMaintenance;
  } else if (action == "stop-maintenance") {
    if (n->decommissioning()) {
      return Out(Status(Code::kInvalidArgument,
                        id + " is being decommissioned: it cannot return to the cluster"));
    }
    n->flags &= ~meta::kNodeMaintenance;
  } else if (action == "decommission") {
    n->flags |= meta::kNodeMaintenance | meta::kNodeDecommission;
  } else {
    return Out(Status(
        Code::kInvalidArgument,
        "action '" + action + "': expected start-maintenance, stop-maintenance or decommission"));
  }
  if (smap.activeTargets().empty()) {
    return Out(Status(Code::kInvalidArgument,
                      id + " is the last target in placement: it cannot leave it"));
  }
  if (action == "decommission" && n->down()) {
    // Nothing to move from a node that does not answer: it leaves now, and what only it held
    // (objects without a mirror elsewhere) is gone with it.
    log::warn("decommission of {}, which is down: removing it from the cluster map", id);
    return removeNode(id, meta::Role::kTarget).then([this](Status st) -> Out {
      if (!st.ok()) return st;
      return ctx_.meta.smap().version;
    });
  }
  // (Kept only for a decommission that is watched: the node above is removed at once.)
  if (action == "decommission") rmUserData_[id] = rmUserData;
  if (n->flags == before) {
    if (n->decommissioning()) watchDecommission(id);
    return Out(smap.version);
  }
  uint32_t flags = n->flags & ~meta::kNodeDown;
  log::info("{} of target {}", action, id);
  // (The node itself may be leaving because it does not answer: its miss is no failure.)
  return changeSmap(
             [id, flags](meta::Smap& s) {
               for (auto& m : s.nodes) {
                 if (m.id == id && m.isTarget() && (m.flags & ~meta::kNodeDown) != flags) {
                   m.flags = flags | (m.flags & meta::kNodeDown);
                   return true;
                 }
               }
               return false;
             },
             id)
      .then([this, id, action](std::string missed) -> Out {
        if (action == "decommission" && !notPublished(missed)) watchDecommission(id);
        return membershipOutcome(action + " of " + id, missed, ctx_.meta.smap().version);
      });
}

kj::Promise<Result<uint64_t>> Primary::setProxyState(const std::string& id,
                                                     const std::string& action) {
  using Out = Result<uint64_t>;
  const meta::NodeInfo* p = ctx_.meta.smap().find(id, meta::Role::kProxy);
  if (!p) return Out(Status(Code::kNodeNotFound, id + " is not a proxy of the cluster"));
  auto published = [this, id, action](std::string why) -> Out {
    return membershipOutcome(action + " of " + id, why, ctx_.meta.smap().version);
  };
  auto setFlags = [id](uint32_t set, uint32_t clear) {
    return [id, set, clear](meta::Smap& s) {
      for (auto& m : s.nodes) {
        if (m.id != id || !m.isProxy()) continue;
        uint32_t flags = (m.flags | set) & ~clear;
        if (flags == m.flags) return false;
        m.flags = flags;
        return true;
      }
      return false;
    };
  };
  if (action == "set-primary") {
    if (id == ctx_.cfg.id) return Out(ctx_.meta.smap().version);
    if (p->down() || p->inMaintenance()) {
      return Out(Status(Code::kInvalidArgument, id + " is down or in maintenance: it cannot lead"));
    }
    log::info("handing the primary role to {}", id);
    return changeSmap([id](meta::Smap& s) {
             s.primaryId = id;
             return true;
           })
        .then(std::move(published));
  }
  if (id == ctx_.cfg.id && action != "stop-maintenance") {
    return Out(
        Status(Code::kInvalidArgument, id + " is the primary: hand the role to another proxy first "
                                            "(ais cluster set-primary NODE)"));
  }
  if (action == "start-maintenance") {
    // Out of the running for primary; it keeps its vote and serves clients.
    return changeSmap(setFlags(meta::kNodeMaintenance, 0)).then(std::move(published));
  }
  if (action == "stop-maintenance") {
    return changeSmap(setFlags(0, meta::kNodeMaintenance)).then(std::move(published));
  }
  if (action != "decommission") {
    return Out(Status(Code::kInvalidArgument, "action '" + action +
                                                  "': expected start-maintenance, "
                                                  "stop-maintenance, decommission or set-primary"));
  }
  // The proxies left must still hold a live majority among them, or no Smap change could ever be
  // published again.
  size_t remaining = 0, live = 0;
  std::string dead;
  for (const auto& m : ctx_.meta.smap().nodes) {
    if (!m.isProxy() || m.id == id) continue;
    ++remaining;
    if (m.down()) {
      dead += (dead.empty() ? "" : ", ") + m.id;
    } else {
      ++live;
    }
  }
  if (live < remaining / 2 + 1) {
    return Out(Status(Code::kInvalidArgument,
                      "decommissioning " + id + " would leave " + std::to_string(remaining) +
                          " proxies of which only " + std::to_string(live) +
                          " answer: no majority for any further change; bring back or "
                          "decommission " +
                          dead + " first"));
  }
  // A proxy holds no data: it is flagged, stopped and removed (at once if it is down).
  bool down = p->down();
  std::string ep = p->rpcEndpoint;
  kj::Promise<void> stopped = kj::READY_NOW;
  if (!down) {
    stopped =
        changeSmap(setFlags(meta::kNodeMaintenance | meta::kNodeDecommission, 0), id)
            .then([this, ep, id](std::string) {
              auto req = ctx_.pool.get(ep).shutdownRequest();
              return ctx_.timer()
                  .timeoutAfter(10 * kj::SECONDS, req.send().ignoreResult())
                  .catch_([this, ep, id](kj::Exception&& e) {
                    ctx_.pool.drop(ep);
                    log::warn("decommission: shutdown of {}: {}", id, e.getDescription().cStr());
                  });
            })
            .then([this] { return ctx_.timer().afterDelay(1 * kj::SECONDS); });
  }
  return stopped.then([this, id] { return removeNode(id, meta::Role::kProxy); })
      .then([this, id](Status st) -> Out {
        if (!st.ok()) return st;
        log::info("decommission of proxy {} done: removed from the cluster map", id);
        return ctx_.meta.smap().version;
      });
}

void Primary::watchDecommission(const std::string& id) {
  if (!leaving_.insert(id).second) return;  // already watched
  tasks_.add(decommissionStep(id));
}

kj::Promise<void> Primary::decommissionStep(std::string id) {
  const meta::NodeInfo* n = ctx_.meta.smap().find(id, meta::Role::kTarget);
  if (!ctx_.isPrimary() || !n || !n->decommissioning()) {
    leaving_.erase(id);
    leavingWaits_.erase(id);
    return kj::READY_NOW;
  }
  if (n->down()) {
    // Died while leaving: what it still held goes with it (objects not yet moved, unless
    // mirrored elsewhere), and waiting would not bring it back.
    log::warn("decommission: {} is down; removing it from the cluster map", id);
    return removeNode(id, meta::Role::kTarget).then([this, id](Status) {
      leaving_.erase(id);
      leavingWaits_.erase(id);
      rmUserData_.erase(id);
    });
  }
  std::string ep = n->rpcEndpoint;
  // (The versions kept move after the objects: stopping the target between the two would
  // lose them.)
  std::vector<std::string> buckets = ctx_.meta.bmd().objectBuckets();
  auto again = [this, id] {
    return ctx_.timer().afterDelay(1 * kj::SECONDS).then([this, id] {
      return decommissionStep(id);
    });
  };
  return firstObjectHeld(ep, std::move(buckets))
      .then([this, id, ep, again](Result<std::string> held) -> kj::Promise<void> {
        if (!held.ok() || !held->empty()) {  // still moving (or not answering): wait
          // (Said every 10 s: what a decommission that does not end waits for.)
          if (++leavingWaits_[id] % 10 == 0) {
            log::info("decommission: {} still {}", id,
                      held.ok() ? "holds ais://" + *held
                                : "does not answer a listing: " + held.status().toString());
          }
          return again();
        }
        log::info("decommission: {} holds no object any more; stopping it", id);
        auto req = ctx_.pool.get(ep).shutdownRequest();
        req.setRmUserData(rmUserData_.count(id) ? rmUserData_[id] : false);
        auto stopped = req.send().then([](auto&& r) { return proto::toStatus(r.getStatus()); });
        return ctx_.timer()
            .timeoutAfter(10 * kj::SECONDS, kj::mv(stopped))
            .catch_([this, id, ep](kj::Exception&& e) {
              ctx_.pool.drop(ep);
              log::warn("decommission: shutdown of {}: {}", id, e.getDescription().cStr());
              return Status::OK();  // (gone, or going: as before, it leaves the Smap)
            })
            .then([this, id, again](Status st) -> kj::Promise<void> {
              if (st.code() == Code::kUnavailable) {
                // It took a write after it was found empty: moved, then asked again.
                log::info("decommission: {} {}", id, st.message());
                return again();
              }
              // (It answers, then exits: give it the moment before it leaves the Smap, so it
              // does not rejoin after a keepalive sent meanwhile.)
              return ctx_.timer()
                  .afterDelay(1 * kj::SECONDS)
                  .then([this, id] { return removeNode(id, meta::Role::kTarget); })
                  .then([this, id](Status st) {
                    leaving_.erase(id);
                    leavingWaits_.erase(id);
                    rmUserData_.erase(id);
                    if (st.ok()) {
                      log::info("decommission of {} done: removed from the cluster map", id);
                    } else {
                      log::warn("decommission of {}: {}", id, st.toString());
                    }
                  });
            });
      });
}

kj::Promise<Result<std::string>> Primary::firstObjectHeld(std::string ep,
                                                          std::vector<std::string> buckets) {
  if (buckets.empty()) return Result<std::string>(std::string());
  std::string bucket = buckets.back();
  buckets.pop_back();
  auto req = ctx_.pool.get(ep).listObjectsRequest();
  req.setBucket(bucket);
  req.setLimit(1);
  auto listed = req.send().then([bucket](auto&& r) -> Result<std::string> {
    Status st = proto::toStatus(r.getStatus());
    if (!st.ok()) return Status(st.code(), "ais://" + bucket + ": " + st.message());
    if (r.getEntries().size() == 0) return std::string();
    return bucket + "/" + proto::str(r.getEntries()[0].getName());
  });
  return ctx_.timer()
      .timeoutAfter(10 * kj::SECONDS, kj::mv(listed))
      .catch_([this, ep](kj::Exception&& e) -> Result<std::string> {
        ctx_.pool.drop(ep);
        return Status(Code::kUnavailable, e.getDescription().cStr());
      })
      .then([this, ep, buckets = std::move(buckets)](
                Result<std::string> here) mutable -> kj::Promise<Result<std::string>> {
        if (!here.ok() || !here->empty()) return here;
        return firstObjectHeld(ep, std::move(buckets));
      });
}

kj::Promise<Status> Primary::removeNode(const std::string& id, meta::Role role) {
  lastSeen_.erase({id, role});
  return changeSmap([id, role](meta::Smap& smap) {
           auto it =
               std::find_if(smap.nodes.begin(), smap.nodes.end(),
                            [&](const meta::NodeInfo& n) { return n.id == id && n.role == role; });
           if (it == smap.nodes.end()) return false;
           smap.nodes.erase(it);
           return true;
         })
      .then([](std::string) { return Status::OK(); });
}

void Primary::taskFailed(kj::Exception&& e) {
  log::error("primary background task: {}", e.getDescription().cStr());
}

kj::Promise<Status> Primary::keepalive(const std::string& id, meta::Role role,
                                       uint64_t smapVersion) {
  // A node with a newer Smap: another proxy was elected meanwhile (this one was away or cut off).
  if (smapVersion > ctx_.meta.smap().version) tasks_.add(catchUp());
  const meta::NodeInfo* n = ctx_.meta.smap().find(id, role);
  if (!n) return Status(Code::kNodeNotFound, id + " is not in the cluster map");
  lastSeen_[{id, role}] = Clock::now();
  if (behind_.erase(id) > 0 && !n->down()) {
    log::info("{} reports back after missing a metasync: sending it the metadata", id);
    tasks_.add(metasyncTo(n->rpcEndpoint, 1).then([this, id](std::string why) {
      if (why.empty()) return;
      log::warn("metasync to {} after it reported back: {}", id, why);
      if (why.starts_with(kUnreachable)) behind_.insert(id);  // (the next keepalive, again)
    }));
  }
  if (!n->down()) return Status::OK();
  log::info("node {} is back", id);
  downSince_.erase(id);
  return changeSmap([id, role](meta::Smap& smap) {
           bool changed = false;
           for (auto& m : smap.nodes) {
             if (m.id == id && m.role == role && m.down()) {
               m.flags &= ~meta::kNodeDown;
               changed = true;
             }
           }
           return changed;
         })
      .then([](std::string) { return Status::OK(); });
}

namespace {

// A bucket or config change is done once every live node took it; if one did not (after
// retries), the caller hears which and why. (Not a retryable code: the change itself is in place,
// and the node catches up from the primary: `catchUp` says when.)
Status bmdAcknowledged(
    const std::string& what, const std::string& missed,
    const char* catchUp = "it catches up from the primary before serving the bucket") {
  if (missed.empty()) return Status::OK();
  if (notPublished(missed)) {
    // Nothing changed: this proxy could not show it still leads a majority of the proxies.
    return Status(Code::kUnavailable,
                  "not done: this proxy may no longer be the primary (" + missed + ")");
  }
  return Status(Code::kInternal,
                what + ", but not every node took the change: " + missed + " (" + catchUp + ")");
}

// Copies live on distinct mountpaths of a target; a target with fewer refuses the bucket's PUTs.
constexpr uint32_t kMaxMirrorCopies = 32;

// Props the data path honours; the rest are refused rather than kept and ignored. Normalizes
// AIStore's names ("xxhash") and the empty default.
Status checkProps(meta::BucketProps& props) {
  if (props.acl == "private") props.acl.clear();
  if (!meta::cannedAclSupported(props.acl)) {
    return Status(Code::kInvalidArgument, "acl '" + props.acl +
                                              "': expected private, public-read, "
                                              "public-read-write or authenticated-read");
  }
  if (props.checksumType.empty() || props.checksumType == "xxhash") props.checksumType = "xxhash64";
  if (!meta::checksumTypeSupported(props.checksumType)) {
    return Status(Code::kInvalidArgument, "checksum type '" + props.checksumType +
                                              "': expected xxhash64 (xxhash), md5, crc32c, "
                                              "sha256 or none");
  }
  // Versions always increase on overwrite (readers pin them); an unversioned bucket would not.
  if (!props.versioning) {
    return Status(Code::kNotImplemented, "versioning cannot be turned off (not supported yet)");
  }
  if (props.mirrorCopies < 1) return Status(Code::kInvalidArgument, "mirror copies must be >= 1");
  if (props.mirrorCopies > kMaxMirrorCopies) {
    return Status(Code::kInvalidArgument,
                  "mirror copies must be <= " + std::to_string(kMaxMirrorCopies));
  }
  if (!meta::objectVersioningSupported(props.objectVersioning)) {
    return Status(Code::kInvalidArgument, "object versioning '" + props.objectVersioning +
                                              "': expected Enabled or Suspended");
  }
  if (!props.objectVersioning.empty() && props.ec.enabled) {
    // The versions kept are plain objects of the key's target, not erasure-coded.
    return Status(Code::kNotImplemented,
                  "S3 object versioning in a bucket with erasure coding (the versions kept would "
                  "not be erasure-coded)");
  }
  const meta::EcProps& ec = props.ec;
  if (ec.dataSlices < 1 || ec.paritySlices < 1 || ec.dataSlices + ec.paritySlices > 32) {
    return Status(Code::kInvalidArgument,
                  fmt::format("ec.data_slices={} ec.parity_slices={}: each must be >= 1 and "
                              "together <= 32",
                              ec.dataSlices, ec.paritySlices));
  }
  return Status::OK();
}

// EC places D + P slices on distinct targets other than the owner: enabling it needs that many.
// Once enabled, the slice counts stay (objects already encoded keep theirs; turn EC off first).
Status checkEcChange(const meta::Smap& smap, const meta::BucketProps* cur,
                     const meta::BucketProps& next) {
  const meta::EcProps& ec = next.ec;
  if (!ec.enabled) return Status::OK();
  if (cur && cur->ec.enabled &&
      (cur->ec.dataSlices != ec.dataSlices || cur->ec.paritySlices != ec.paritySlices)) {
    return Status(Code::kInvalidArgument,
                  fmt::format("ec.data_slices and ec.parity_slices cannot change while EC is "
                              "enabled ({}:{}); set ec.enabled=false first",
                              cur->ec.dataSlices, cur->ec.paritySlices));
  }
  size_t targets = smap.activeTargets().size();
  if (targets < ec.dataSlices + ec.paritySlices + 1) {
    return Status(
        Code::kInvalidArgument,
        fmt::format("EC {}:{} needs at least {} targets (the owner and one per slice); "
                    "the cluster has {}",
                    ec.dataSlices, ec.paritySlices, ec.dataSlices + ec.paritySlices + 1, targets));
  }
  return Status::OK();
}

}  // namespace

kj::Promise<Status> Primary::createBucket(const std::string& name, meta::BucketProps props) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(name));
  if (ctx_.meta.bmd().find(name)) return Status(Code::kBucketExists, "ais://" + name);
  AIS_RETURN_IF_ERROR(checkProps(props));
  AIS_RETURN_IF_ERROR(checkEcChange(ctx_.meta.smap(), nullptr, props));
  return targetsCanMirror(props.mirrorCopies)
      .then([this, name, props](Status st) mutable -> kj::Promise<Status> {
        if (!st.ok()) return st;
        return changeBmd([this, name, props]() mutable -> kj::Promise<Status> {
          if (ctx_.meta.bmd().find(name)) return Status(Code::kBucketExists, "ais://" + name);
          props.createdNs = unixNowNs();
          meta::BMD bmd = ctx_.meta.bmd();
          bmd.buckets[name] = props;
          bmd.version += 1;
          log::info("create bucket ais://{}", name);
          return publish(std::nullopt, bmd).then([name](std::string missed) {
            return bmdAcknowledged("created ais://" + name, missed);
          });
        });
      });
}

namespace {

// Sends ask(node, id) (a promise of Status) to every active target at once, 10 s each; one that
// does not answer gives kUnavailable: "target <id> did not answer: <silence>".
template <typename Ask>
kj::Promise<kj::Array<Status>> askTargets(NodeContext& ctx, Ask ask, std::string silence) {
  kj::Vector<kj::Promise<Status>> answers;
  for (const meta::NodeInfo* t : ctx.meta.smap().activeTargets()) {
    std::string ep = t->rpcEndpoint, id = t->id;
    answers.add(ctx.timer()
                    .timeoutAfter(10 * kj::SECONDS, ask(ctx.pool.get(ep), id))
                    .catch_([&ctx, ep, id, silence](kj::Exception&&) {
                      ctx.pool.drop(ep);
                      return Status(Code::kUnavailable,
                                    "target " + id + " did not answer: " + silence);
                    }));
  }
  return kj::joinPromises(answers.releaseAsArray());
}

Status firstError(const kj::Array<Status>& all) {
  for (const auto& st : all) {
    if (!st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace

kj::Promise<Status> Primary::allTargetsEmpty(const std::string& bucket) {
  auto ask = [bucket](wire::Node::Client node, const std::string&) {
    auto req = node.bucketEmptyRequest();
    req.setName(bucket);
    return req.send().then([bucket](auto&& r) -> Status {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      if (!r.getEmpty()) return Status(Code::kBucketNotEmpty, "ais://" + bucket);
      return Status::OK();
    });
  };
  return askTargets(ctx_, ask,
                    "cannot tell whether the bucket is empty (use force to destroy anyway)")
      .then([](kj::Array<Status>&& all) {
        for (auto& st : all) {
          if (st.code() == Code::kBucketNotEmpty) return st;
        }
        return firstError(all);
      });
}

kj::Promise<Status> Primary::targetsCanMirror(uint32_t copies) {
  if (copies <= 1) return Status::OK();
  auto ask = [copies](wire::Node::Client node, const std::string& id) {
    return node.mountpathsRequest().send().then([copies, id](auto&& r) -> Status {
      Status st = proto::toStatus(r.getStatus());
      if (!st.ok()) return st;
      uint32_t enabled = 0;
      for (auto m : r.getMountpaths()) enabled += m.getEnabled() ? 1 : 0;
      if (enabled >= copies) return Status::OK();
      return Status(Code::kInvalidArgument,
                    fmt::format("mirror.copies={} needs {} enabled mountpaths on every target; "
                                "target {} has {}",
                                copies, copies, id, enabled));
    });
  };
  return askTargets(ctx_, ask, "cannot tell whether it has the mountpaths for the copies")
      .then([](kj::Array<Status>&& all) { return firstError(all); });
}

kj::Promise<Status> Primary::destroyBucket(const std::string& name, bool force) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(name));
  if (!ctx_.meta.bmd().find(name)) return Status(Code::kBucketNotFound, "ais://" + name);
  kj::Promise<Status> check = force ? kj::Promise<Status>(Status::OK()) : allTargetsEmpty(name);
  return check.then([this, name](Status st) -> kj::Promise<Status> {
    if (!st.ok()) return st;
    return changeBmd([this, name]() -> kj::Promise<Status> {
      meta::BMD bmd = ctx_.meta.bmd();
      if (bmd.buckets.erase(name) == 0) return Status(Code::kBucketNotFound, "ais://" + name);
      bmd.version += 1;
      log::info("destroy bucket ais://{}", name);
      return publish(std::nullopt, bmd).then([name](std::string missed) {
        return bmdAcknowledged("destroyed ais://" + name, missed);
      });
    });
  });
}

kj::Promise<Result<uint64_t>> Primary::setClusterConfig(meta::ClusterConfig config) {
  using Answer = Result<uint64_t>;
  if (Status st = meta::checkConfig(config); !st.ok()) return Answer(st);
  const meta::ClusterConfig& cur = ctx_.meta.config();
  if (config.version != cur.version) {
    return Answer(Status(Code::kVersionChanged, "the cluster config is at v" +
                                                    std::to_string(cur.version) + ", not v" +
                                                    std::to_string(config.version)));
  }
  config.version = cur.version + 1;
  // Taken here first: the proposal to the other proxies and the push to every node carry this
  // node's config. (Without a quorum the change stays on this proxy only until a primary that
  // has one pushes its own: the caller is told it was not done.)
  if (Status st = ctx_.meta.acceptConfig(config); !st.ok()) return Answer(st);
  log::info("cluster config v{}", config.version);
  uint64_t version = config.version;
  return publish(std::nullopt, std::nullopt)
      .then([version](std::string missed) -> Result<uint64_t> {
        Status st = bmdAcknowledged("cluster config v" + std::to_string(version), missed,
                                    "it takes the config at its next keepalive");
        if (!st.ok()) return st;
        return version;
      });
}

kj::Promise<Status> Primary::setBucketProps(const std::string& name, meta::BucketProps props,
                                            std::optional<meta::BucketProps> expected) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(name));
  const meta::BucketProps* cur = ctx_.meta.bmd().find(name);
  if (!cur) return Status(Code::kBucketNotFound, "ais://" + name);
  AIS_RETURN_IF_ERROR(checkProps(props));
  AIS_RETURN_IF_ERROR(checkEcChange(ctx_.meta.smap(), cur, props));
  if (!cur->objectVersioning.empty() && props.objectVersioning.empty()) {
    return Status(Code::kInvalidArgument,
                  "object versioning of ais://" + name + " can be suspended, not turned off");
  }
  uint32_t copies = props.mirrorCopies == cur->mirrorCopies ? 1 : props.mirrorCopies;
  return targetsCanMirror(copies).then([this, name, props, expected = std::move(expected)](
                                           Status st) mutable -> kj::Promise<Status> {
    if (!st.ok()) return st;
    return changeBmd([this, name, props, expected]() mutable -> kj::Promise<Status> {
      const meta::BucketProps* now = ctx_.meta.bmd().find(name);
      if (!now) return Status(Code::kBucketNotFound, "ais://" + name);
      if (expected && !(*now == *expected)) {
        return Status(Code::kVersionChanged, "the props of ais://" + name + " changed meanwhile");
      }
      props.createdNs = now->createdNs;
      props.owner = now->owner;
      meta::BMD bmd = ctx_.meta.bmd();
      bmd.buckets[name] = props;
      bmd.version += 1;
      return publish(std::nullopt, bmd).then([name](std::string missed) {
        return bmdAcknowledged("changed the props of ais://" + name, missed);
      });
    });
  });
}

}  // namespace ais::node
