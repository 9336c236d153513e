// How many bytes a ByteSink has taken in. Capnp serializes calls per capability only: a sink
// whose write() completes later (flow control, disk) can still have chunks queued when the
// getObject reply — on another capability — arrives. The reply's handler waits here until every
// byte the sender reports has arrived. Loop-thread only (a kj::Refcounted shared by the sink and
// the reply's continuation).
#pragma once

#include <kj/async.h>
#include <kj/refcount.h>

#include <cstdint>

namespace ais::proto {

struct SinkProgress final : public kj::Refcounted {
  uint64_t arrived = 0;
  bool failed = false;  // a write failed: no more bytes will come
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> waiter;

  void add(uint64_t n) {
    arrived += n;
    wake();
  }
  void fail() {
    failed = true;
    wake();
  }
  // Resolves once `bytes` arrived (or a write failed).
  kj::Promise<void> until(uint64_t bytes) {
    if (arrived >= bytes || failed) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    waiter = kj::mv(paf.fulfiller);
    return paf.promise.then([this, bytes] { return until(bytes); });
  }

 private:
  void wake() {
    KJ_IF_MAYBE (w, waiter) {
      (*w)->fulfill();
      waiter = nullptr;
    }
  }
};

}  // namespace ais::proto
