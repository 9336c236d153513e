// LocalTarget: a gateway's in-process calls to its own node's target. The calls run on the node's
// KJ loop (the ObjectService lives there), handed over through a LoopMailbox; the gateway's
// coroutine is suspended until the answer is in. No loopback connection, no serialization: a
// PUT's chunks go from the socket buffer straight into the target's writer.
//
// The same checks as over the fabric apply (bucket, names, ownership under the target's Smap):
// StaleSmap or ObjectMoved tell the caller to go through the fabric client instead.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "node/target/object_service.h"
#include "proto/client.h"
#include "proto/loop_mailbox.h"
#include "proto/mailbox_call.h"

namespace ais::gateway {

class LocalTarget {
 public:
  // Built on the node's loop thread, which pumps `mailbox`; both outlive this.
  LocalTarget(proto::LoopMailbox& mailbox, node::ObjectService& objects)
      : mailbox_(mailbox), objects_(objects) {}

  // From gateway coroutines (any thread):
  Result<ObjectInfo> head(const std::string& bucket, const std::string& name);
  // As the fabric's deleteObject (ObjectService::removeObject).
  Result<Client::Removal> remove(const std::string& bucket, const std::string& name,
                                 uint64_t ifVersion = 0, const std::string& versionId = "");
  // opts: custom metadata and the conditions (ifAbsent, ifVersion), as the client library's.
  Result<std::unique_ptr<PutHandle>> beginPut(const std::string& bucket, const std::string& name,
                                              const PutOptions& opts);

  // Runs start() on the loop (it returns a kj::Promise<Result<T>>) and waits for its result.
  template <typename T, typename Start>
  Result<T> call(Start&& start) {
    return proto::callThroughMailbox<T>(mailbox_, start);
  }

  node::ObjectService& objects() { return objects_; }

 private:
  proto::LoopMailbox& mailbox_;
  node::ObjectService& objects_;
};

// True for the answers after which the fabric path must be taken (the target's view of
// placement differs from the gateway's).
inline bool takeTheFabric(Code code) {
  return code == Code::kStaleSmap || code == Code::kObjectMoved;
}

}  // namespace ais::gateway
