// GetBatch: many objects and/or archive members, from any buckets, as one TAR stream in the order
// asked (AIStore's GetBatch, `ais get --batch`, native GET /v1/ml/moss). Two steps over the fabric
// client: plan() asks every item's owner for its size and version (in parallel), so the TAR's
// layout and length are known before its first byte and a missing item is an error before any
// (or, with continueOnError, an empty placeholder entry under "__404__/"); stream() then reads
// the items from their owners, several at a time, each pinned to the version planned, and writes
// the entries in order. Items are block-verified by their targets like any read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/client.h"

namespace ais::archive {

struct BatchItem {
  std::string bucket, name;
  std::string archpath;  // non-empty: this member of the shard `name`
  uint64_t start = 0;
  uint64_t length = 0;  // 0: to the end
};

struct BatchOptions {
  bool continueOnError = false;  // missing items become empty "__404__/..." entries
  bool onlyObjName = false;      // entries named NAME[/ARCHPATH], not BUCKET/NAME[/ARCHPATH]
  int parallel = 8;              // items read at once
  // Items up to this size are read ahead into memory (at most `parallel` at a time); larger ones
  // stream straight through when their turn comes.
  uint64_t readAheadMax = 8 << 20;
};

inline constexpr std::string_view kBatchMissingDir = "__404__";

// A GetBatch request as AIStore's JSON (MossReq): {"in": [{"objname", "bucket", "archpath",
// "start", "length"}...], "mime": ".tar", "coer": bool, "onob": bool, "strm": bool}; an item
// without "bucket" is of defaultBucket. kInvalidArgument naming what is wrong: not JSON, no
// items, an output format other than TAR, an item without a bucket or name, a negative range.
struct BatchRequest {
  std::vector<BatchItem> items;
  BatchOptions options;
  bool streaming = true;  // "strm"
};
Result<BatchRequest> parseBatchRequest(std::string_view json, const std::string& defaultBucket);

class GetBatch {
 public:
  struct Entry {
    BatchItem item;
    std::string tarName;
    uint64_t size = 0;
    uint64_t version = 0;
    uint64_t checksum = 0;  // the object's (the shard's) xxhash64: read pinned to it too
    int64_t mtimeSec = 0;
    Status missing;       // continueOnError: why the item is a placeholder
    std::string headers;  // its TAR header block(s)
  };
  // kObjectNotFound / kMemberNotFound naming the first missing item (unless continueOnError);
  // kInvalidArgument for an empty list or a bad item.
  static Result<GetBatch> plan(Client& client, std::vector<BatchItem> items,
                               const BatchOptions& options);
  const std::vector<Entry>& entries() const { return entries_; }
  uint64_t tarSize() const { return tarSize_; }
  // Writes the TAR (exactly tarSize() bytes when it succeeds) to sink. An item that changed or
  // went away since plan() fails the stream (VersionChanged, ...), whatever was written already.
  using Sink = std::function<Status(std::string_view bytes)>;
  Status stream(Client& client, const Sink& sink) const;

 private:
  std::vector<Entry> entries_;
  uint64_t tarSize_ = 0;
  BatchOptions options_;
};

}  // namespace ais::archive
