// Primary failover. A non-primary proxy whose keepalives to the primary have failed for
// silenceLimit() runs for primary if it comes first in HRW order among the proxies that may lead
// (later ones wait their turn). It asks every other proxy for its vote; a proxy votes once per
// Smap version, and only if it holds no newer Smap and cannot reach that primary either. With the
// votes of a majority of all the Smap's proxies (itself included), the candidate publishes a Smap
// naming itself primary (Primary::takeOver, itself quorum-checked like every Smap change).
#pragma once

#include <kj/async.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/cluster/primary.h"
#include "node/node_context.h"

namespace ais::node {

class Election {
  struct Errors : kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&&) override {}
  };

 public:
  Election(NodeContext& ctx, Primary& primary) : ctx_(ctx), primary_(primary) {}

  // How long a primary may be silent before its proxies elect another one.
  std::chrono::milliseconds silenceLimit() const;
  // Candidate side: resolves true once this proxy is the primary.
  kj::Promise<bool> run();
  // Voter side (fabric requestVote): OK if granted, else why not.
  kj::Promise<Status> vote(std::string candidate, uint64_t smapVersion);

 private:
  // Proxies that may lead, the silent primary excluded, best first (HRW over their ids).
  std::vector<const meta::NodeInfo*> candidates(const meta::Smap& smap) const;
  kj::Promise<bool> askVotes(std::string previous, uint64_t version);

  NodeContext& ctx_;
  Primary& primary_;
  Errors errors_;
  using Clock = std::chrono::steady_clock;
  // A vote binds for a while: then a split vote (two candidates that each voted for themselves)
  // can be retried with the same Smap version.
  static constexpr std::chrono::seconds kPledgeLasts{10};
  // The other candidate this proxy's vote at `version` still binds it to, or "".
  std::string pledgedTo(uint64_t version, const std::string& candidate) const;
  // Records the vote for `candidate` at `version`; "" if given, else the one voted for before.
  std::string pledge(uint64_t version, const std::string& candidate);

  // Smap version -> candidate voted for (itself, running) and when
  std::map<uint64_t, std::pair<std::string, Clock::time_point>> votedFor_;
  kj::TaskSet pending_{errors_};  // vote requests still out after the result
};

}  // namespace ais::node
