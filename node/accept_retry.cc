#include "node/accept_retry.h"

#include <map>
#include <mutex>

#include "common/log.h"

namespace ais::node {

void logAcceptFailure(const char* listener, const std::string& why) {
  struct Seen {
    std::chrono::steady_clock::time_point last{};
    uint64_t unlogged = 0;
  };
  static std::mutex mu;
  static std::map<std::string, Seen> byListener;
  std::lock_guard lock(mu);
  auto& [last, unlogged] = byListener[listener];
  auto now = std::chrono::steady_clock::now();
  if (last != std::chrono::steady_clock::time_point{} && now - last < std::chrono::seconds(10)) {
    ++unlogged;
    return;
  }
  log::error("{}: accept failed ({}); accepting again in {} ms{}", listener, why,
             kAcceptRetryDelay.count(),
             unlogged ? fmt::format(" ({} more failures since the last line)", unlogged) : "");
  last = now;
  unlogged = 0;
}

kj::Promise<void> serveFabric(capnp::TwoPartyServer& server, kj::ConnectionReceiver& listener,
                              kj::Timer& timer) {
  // (evalNow: KJ's accept throws at once when accept(2) fails right away, a rejection otherwise)
  return kj::evalNow([&listener] { return listener.accept(); })
      .then(
          [&server, &listener, &timer](kj::Own<kj::AsyncIoStream>&& connection) {
            server.accept(kj::mv(connection));
            return serveFabric(server, listener, timer);
          },
          [&server, &listener, &timer](kj::Exception&& e) {
            logAcceptFailure("fabric listener", e.getDescription().cStr());
            return timer.afterDelay(kAcceptRetryDelay.count() * kj::MILLISECONDS)
                .then(
                    [&server, &listener, &timer] { return serveFabric(server, listener, timer); });
          });
}

}  // namespace ais::node
