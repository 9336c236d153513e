// The client's end of a streamed GET: a ByteSink capability that appends chunks to memory or an
// fd while hashing them, so the received bytes can be checked against the target's checksum.
#pragma once

#include <xxhash.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "proto/ais.capnp.h"
#include "proto/client.h"

namespace ais::proto {

struct SinkState {
  SinkState() : hash(XXH64_createState()) { XXH64_reset(hash, 0); }
  ~SinkState() { XXH64_freeState(hash); }
  SinkState(const SinkState&) = delete;
  SinkState& operator=(const SinkState&) = delete;

  // Appends to `buffer` (fd < 0) or writes to fd; records the first failure in `error`.
  Status consume(const void* data, size_t size);
  uint64_t digest() const { return XXH64_digest(hash); }

  int fd = -1;
  std::string buffer;
  uint64_t bytes = 0;
  ProgressFn progress;
  Status error;
  bool closed = false;  // set once the call returned: late chunks are refused
  XXH64_state_t* hash;
};

class DataSink final : public wire::ByteSink::Server {
 public:
  explicit DataSink(std::shared_ptr<SinkState> state) : state_(std::move(state)) {}

 protected:
  kj::Promise<void> write(WriteContext context) override;

 private:
  std::shared_ptr<SinkState> state_;
};

}  // namespace ais::proto
