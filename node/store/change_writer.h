// Who makes the LOM writes of the store call running on this thread: the id of the aisfs mount
// that asked for it (ObjectRef.writer), or 0 for anyone else (S3, the CLI, the targets' own
// jobs). LomDb's change counts leave a mount's own writes out of the tokens that mount is
// answered (LomDb::changes), so the listings it caches, and edits itself as it writes, stay
// valid; anyone else's write still moves its tokens. Set for the span of a store call with
// ChangeWriterScope; a write made without one counts as anyone's, which is always safe (the
// mount lists the directory again).
#pragma once

#include <cstdint>

namespace ais::store {

inline thread_local uint64_t tlsChangeWriter = 0;

inline uint64_t currentChangeWriter() { return tlsChangeWriter; }

class ChangeWriterScope {
 public:
  explicit ChangeWriterScope(uint64_t writer) : saved_(tlsChangeWriter) {
    tlsChangeWriter = writer;
  }
  ~ChangeWriterScope() { tlsChangeWriter = saved_; }
  ChangeWriterScope(const ChangeWriterScope&) = delete;
  ChangeWriterScope& operator=(const ChangeWriterScope&) = delete;

 private:
  uint64_t saved_;
};

}  // namespace ais::store
