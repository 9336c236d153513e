#include "node/cluster/election.h"

#include <kj/vector.h>

#include <algorithm>

#include "common/log.h"
#include "meta/codec.h"
#include "meta/hrw.h"
#include "node/meta_catch_up.h"
#include "proto/wire.h"

namespace ais::node {

std::chrono::milliseconds Election::silenceLimit() const {
  const auto& cfg = ctx_.meta.config();
  uint32_t ms = std::max<uint32_t>(2000, 3 * cfg.keepaliveIntervalMs);
  return std::chrono::milliseconds(
      std::min<uint32_t>(ms, std::max<uint32_t>(cfg.keepaliveTimeoutMs, 1000)));
}

std::vector<const meta::NodeInfo*> Election::candidates(const meta::Smap& smap) const {
  std::vector<std::pair<uint64_t, const meta::NodeInfo*>> ranked;
  uint64_t seed = meta::xxhash64(smap.uuid);
  for (const auto& n : smap.nodes) {
    if (!n.isProxy() || n.id == smap.primaryId || n.down() || n.inMaintenance()) continue;
    ranked.emplace_back(meta::mix64(seed ^ meta::xxhash64(n.id)), &n);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->id < b.second->id;
  });
  std::vector<const meta::NodeInfo*> out;
  for (const auto& [score, n] : ranked) out.push_back(n);
  return out;
}

kj::Promise<bool> Election::run() {
  std::string previous = ctx_.meta.smap().primaryId;
  return pullFromProxies(ctx_, previous)
      .then([this, previous]() -> kj::Promise<bool> {
        const meta::Smap& smap = ctx_.meta.smap();
        if (smap.primaryId != previous) return false;  // a new primary leads: follow it
        auto order = candidates(smap);
        auto self = std::find_if(order.begin(), order.end(),
                                 [&](const meta::NodeInfo* n) { return n->id == ctx_.cfg.id; });
        if (self == order.end()) return false;
        size_t rank = self - order.begin();
        // The first candidate goes at once; the next ones only if it did not take over meanwhile.
        kj::Promise<void> turn = kj::READY_NOW;
        if (rank > 0)
          turn = ctx_.timer().afterDelay(rank * silenceLimit().count() * kj::MILLISECONDS);
        return turn.then([this, previous, rank]() -> kj::Promise<bool> {
          if (ctx_.meta.smap().primaryId != previous) return false;
          log::warn("primary {} silent: running for primary (candidate #{}, Smap v{})", previous,
                    rank + 1, ctx_.meta.smap().version);
          return askVotes(previous, ctx_.meta.smap().version);
        });
      })
      .then([this, previous](bool won) -> kj::Promise<bool> {
        if (!won) return false;
        return primary_.takeOver(previous);
      });
}

kj::Promise<bool> Election::askVotes(std::string previous, uint64_t version) {
  const meta::Smap& smap = ctx_.meta.smap();
  // A candidate votes for itself: it grants no other vote at this version.
  if (std::string other = pledge(version, ctx_.cfg.id); !other.empty()) {
    log::info("not running: voted for {} at Smap v{}", other, version);
    return kj::Promise<bool>(false);
  }
  // Resolved as soon as a majority granted (or cannot any more): a frozen proxy is not waited for.
  struct Tally {
    size_t votes = 1, answered = 0, asked = 0, need = 0;
    std::string refused;
    kj::Own<kj::PromiseFulfiller<bool>> done;
  };
  auto paf = kj::newPromiseAndFulfiller<bool>();
  auto t = std::make_shared<Tally>();
  t->need = smap.countRole(meta::Role::kProxy) / 2 + 1;
  t->done = kj::mv(paf.fulfiller);
  size_t proxies = smap.countRole(meta::Role::kProxy);
  auto settle = [t, proxies](bool last) {
    if (!t->done->isWaiting()) return;
    size_t pending = t->asked - t->answered;
    if (t->votes >= t->need) {
      t->done->fulfill(true);
    } else if (last || t->votes + pending < t->need) {
      log::warn("election lost: {} of {} votes ({} needed): {}", t->votes, proxies, t->need,
                t->refused);
      t->done->fulfill(false);
    }
  };
  for (const auto& n : smap.nodes) {
    // (Not the silent primary: it would not vote, and may not answer at all.)
    if (!n.isProxy() || n.id == ctx_.cfg.id || n.id == previous) continue;
    auto req = ctx_.pool.get(n.rpcEndpoint).requestVoteRequest();
    req.setCandidateId(ctx_.cfg.id);
    req.setSmapVersion(version);
    std::string id = n.id, ep = n.rpcEndpoint;
    auto sent = req.send().then([this, id](capnp::Response<wire::Node::RequestVoteResults>&& r) {
      if (r.getGranted()) return std::string();
      if (r.hasSmap()) {
        meta::Smap theirs = meta::fromWire(r.getSmap());
        if (theirs.version > ctx_.meta.smap().version) {
          Status st = ctx_.meta.acceptSmap(std::move(theirs));
          if (!st.ok()) log::warn("{}", st.toString());
        }
      }
      return id + ": " + proto::toStatus(r.getStatus()).message();
    });
    ++t->asked;
    pending_.add(ctx_.timer()
                     .timeoutAfter(4 * kj::SECONDS, kj::mv(sent))
                     .catch_([this, id, ep](kj::Exception&& e) {
                       ctx_.pool.drop(ep);
                       return id + ": " + e.getDescription().cStr();
                     })
                     .then([t, settle](std::string refusal) {
                       ++t->answered;
                       if (refusal.empty()) {
                         ++t->votes;
                       } else {
                         t->refused += (t->refused.empty() ? "" : "; ") + refusal;
                       }
                       settle(t->answered == t->asked);
                     }));
  }
  settle(t->asked == 0);
  return paf.promise.then([this, version, proxies, t](bool won) {
    if (won && ctx_.meta.smap().version == version) {
      log::info("elected by {} of {} proxies (Smap v{})", t->votes, proxies, version);
      return true;
    }
    return false;
  });
}

std::string Election::pledgedTo(uint64_t version, const std::string& candidate) const {
  auto it = votedFor_.find(version);
  if (it == votedFor_.end() || it->second.first == candidate ||
      Clock::now() - it->second.second >= kPledgeLasts) {
    return "";
  }
  return it->second.first;
}

std::string Election::pledge(uint64_t version, const std::string& candidate) {
  if (std::string other = pledgedTo(version, candidate); !other.empty()) return other;
  votedFor_[version] = {candidate, Clock::now()};
  while (votedFor_.size() > 16) votedFor_.erase(votedFor_.begin());
  return "";
}

kj::Promise<Status> Election::vote(std::string candidate, uint64_t smapVersion) {
  const meta::Smap& smap = ctx_.meta.smap();
  if (!ctx_.cfg.isProxy()) return Status(Code::kInvalidArgument, "not a proxy");
  if (ctx_.isPrimary()) {
    return Status(Code::kRejectedVersion,
                  "this proxy is the primary of Smap v" + std::to_string(smap.version));
  }
  if (smap.version > smapVersion) {
    return Status(Code::kRejectedVersion, "holds the newer Smap v" + std::to_string(smap.version));
  }
  if (!smap.find(candidate, meta::Role::kProxy)) {
    return Status(Code::kNodeNotFound,
                  candidate + " is not a proxy of Smap v" + std::to_string(smap.version));
  }
  // (Checked again when pledging, after the primary was asked.)
  if (std::string other = pledgedTo(smapVersion, candidate); !other.empty()) {
    return Status(Code::kRejectedVersion,
                  "voted for " + other + " at Smap v" + std::to_string(smapVersion));
  }
  const meta::NodeInfo* primary = smap.primary();
  kj::Promise<bool> alive = primary && primary->id != candidate
                                ? nodeAnswers(ctx_, primary->rpcEndpoint, 1500 * kj::MILLISECONDS)
                                : kj::Promise<bool>(false);
  std::string primaryId = primary ? primary->id : "";
  return alive.then([this, candidate, smapVersion, primaryId](bool alive) -> Status {
    if (alive) return Status(Code::kRejectedVersion, "primary " + primaryId + " answers");
    if (std::string other = pledge(smapVersion, candidate); !other.empty()) {
      return Status(Code::kRejectedVersion,
                    "voted for " + other + " at Smap v" + std::to_string(smapVersion));
    }
    log::info("voted for {} as primary (Smap v{}, {} silent)", candidate, smapVersion, primaryId);
    return Status::OK();
  });
}

}  // namespace ais::node
