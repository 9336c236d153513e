// Calls a target makes to its peers about one object's copies: asked of many targets at once,
// each with a deadline, so one dead or slow peer never stalls the caller. Loop-thread only.
#pragma once

#include <kj/async.h>
#include <kj/vector.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "node/node_context.h"
#include "proto/ais.capnp.h"

namespace ais::node {

// call(node) on the peer at ep within `deadline`. A peer that restarted leaves a broken pooled
// connection: a disconnect drops it and the call is made once more on a fresh one. Throws what
// the last attempt threw (its connection dropped). `call` is kept for the retry: it must own
// what it uses.
template <typename Call>
auto callPeer(NodeContext& ctx, const std::string& ep, kj::Duration deadline, Call call)
    -> decltype(call(ctx.pool.get(ep))) {
  return ctx.timer()
      .timeoutAfter(deadline, call(ctx.pool.get(ep)))
      .catch_([&ctx, ep, deadline,
               call](kj::Exception&& e) mutable -> decltype(call(ctx.pool.get(ep))) {
        ctx.pool.drop(ep);
        if (e.getType() != kj::Exception::Type::DISCONNECTED) kj::throwFatalException(kj::mv(e));
        return ctx.timer()
            .timeoutAfter(deadline, call(ctx.pool.get(ep)))
            .catch_([&ctx, ep](kj::Exception&& e) -> decltype(call(ctx.pool.get(ep))) {
              ctx.pool.drop(ep);
              kj::throwFatalException(kj::mv(e));
            });
      });
}

// A peer a client found silent (it asked for a degraded read: its probe of the owner went
// unanswered, ObjectService::takeOwnerSilent) is counted silent for this long, or until it
// answers a round again; rounds meanwhile give it this deadline instead of theirs (it is asked,
// not skipped: it may be back). (A round that merely runs out its deadline marks nothing: on a
// loaded machine a live peer can, and a shorter deadline would then fail it again.)
inline constexpr auto kSilentPeerFor = std::chrono::seconds(10);
inline constexpr auto kSilentPeerDeadline = 1 * kj::SECONDS;

inline bool peerSilent(NodeContext& ctx, const std::string& ep) {
  if (ctx.silentPeers.empty()) return false;
  auto it = ctx.silentPeers.find(ep);
  if (it == ctx.silentPeers.end()) return false;
  if (std::chrono::steady_clock::now() < it->second) return true;
  ctx.silentPeers.erase(it);
  return false;
}

// Asks every target in `targets` (ask(node, id) -> promise of T), `deadline` each, in parallel
// (see callPeer); a target that cannot be reached answers `unreachable`, and so does one the
// Smap flags down, at once, and a silent one (peerSilent) within kSilentPeerDeadline: a stopped
// node's kernel still accepts connections, so asking it would cost every round the whole
// deadline (an aisfs `ls -l` of a directory whose files a hung target owned took 5 s per name;
// every degraded read of an EC object it owned, until the primary flagged it down). `ask` must
// own what it uses. Rounds whose calls may take long for a healthy peer (a hand-over of many
// objects) pass kWholeDeadline: their deadline stands.
enum class SilentPeers { kShortDeadline, kWholeDeadline };
template <typename T, typename Ask>
kj::Promise<kj::Array<T>> askEach(NodeContext& ctx, std::vector<const meta::NodeInfo*> targets,
                                  T unreachable, Ask ask, kj::Duration deadline = 5 * kj::SECONDS,
                                  SilentPeers silentPeers = SilentPeers::kShortDeadline) {
  bool shortens = silentPeers == SilentPeers::kShortDeadline;
  kj::Vector<kj::Promise<T>> answers;
  for (const meta::NodeInfo* t : targets) {
    if (t->down()) {
      answers.add(kj::Promise<T>(unreachable));
      continue;
    }
    kj::Duration wait = shortens && peerSilent(ctx, t->rpcEndpoint)
                            ? std::min(deadline, kSilentPeerDeadline)
                            : deadline;
    answers.add(callPeer(ctx, t->rpcEndpoint, wait,
                         [ask, id = t->id](wire::Node::Client node) { return ask(node, id); })
                    .then(
                        [&ctx, ep = t->rpcEndpoint](T answer) {
                          if (!ctx.silentPeers.empty()) ctx.silentPeers.erase(ep);
                          return answer;
                        },
                        [unreachable](kj::Exception&&) { return unreachable; }));
  }
  return kj::joinPromises(answers.releaseAsArray());
}

// The ref of a call about that target's own copy.
inline void setLocalRef(wire::ObjectRef::Builder ref, const std::string& bucket,
                        const std::string& name) {
  ref.setBucket(bucket);
  ref.setName(name);
  ref.setLocalOnly(true);
}

}  // namespace ais::node
