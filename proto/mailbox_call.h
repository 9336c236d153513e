// callThroughMailbox: runs an asynchronous call on the KJ loop that pumps a LoopMailbox and waits
// for its result without holding that loop: the caller waits through awaitCompletion (a gateway
// coroutine is suspended, any other thread blocks). Shared by the client library (coroutine
// callers) and the gateway's in-process calls to its own target.
#pragma once

#include <functional>
#include <optional>

#include "common/status.h"
#include "proto/loop_mailbox.h"
#include "proto/wait_hook.h"
#include "proto/wire.h"

namespace ais::proto {

// start() runs on the loop and returns a kj::Promise<Result<T>>; an exception (thrown or
// rejected) becomes its status. start, and whatever it references, must live until the call
// returns: the caller waits for it.
template <typename T, typename Start>
Result<T> callThroughMailbox(LoopMailbox& mailbox, Start& start) {
  std::optional<Result<T>> out;
  awaitCompletion([&](std::function<void()> done) {
    mailbox.post([&out, &start, done = std::move(done)] {
      auto finish = [&out, done](Result<T> r) {
        out = std::move(r);
        done();
      };
      kj::Promise<Result<T>> p = nullptr;
      try {
        p = start();
      } catch (const kj::Exception& e) {
        return finish(statusFromException(e));
      }
      // The caller waits for this, so it cannot be lost: detached on the loop.
      p.then([finish](Result<T> r) mutable { finish(std::move(r)); },
             [finish](kj::Exception&& e) mutable { finish(statusFromException(e)); })
          .detach([](kj::Exception&&) {});
    });
  });
  return std::move(*out);
}

}  // namespace ais::proto
