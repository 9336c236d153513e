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

// The longest run of zeros a sender may announce in one call (senders send at most a chunk).
inline constexpr uint64_t kMaxZeroRun = 64 << 20;

struct SinkState {
  SinkState() : hash(XXH64_createState()) { XXH64_reset(hash, 0); }
  ~SinkState() { XXH64_freeState(hash); }
  SinkState(const SinkState&) = delete;
  SinkState& operator=(const SinkState&) = delete;

  // Appends to `buffer` (fd < 0) or writes to fd; records the first failure in `error`.
  Status consume(const void* data, size_t size);
  // len zero bytes: a hole in a file output past its end, zeros anywhere else.
  Status consumeZeros(uint64_t len);
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
  kj::Promise<void> writeZeros(WriteZerosContext context) override;

 private:
  std::shared_ptr<SinkState> state_;
};

}  // namespace ais::proto
