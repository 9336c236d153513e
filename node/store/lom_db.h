// LomDb: one RocksDB per mountpath holding LOMs and PUT-pending markers. The only file that sees
// RocksDB; its Status is converted to ours here. Thread-safe (RocksDB is).
//
// Key space (bucket names never contain bytes below '-', so the ranges cannot overlap):
//   <bucket> \0 <name>          -> encoded LOM; sorted, so a prefix scan is a listing
//   \x01 <bucket> \0 <name>     -> pending marker: a PUT/rename is between "rename file" and
//                                  "commit LOM"; startup reconciliation resolves it
//   \x02 <bucket> \0 <name>     -> block checksums (block_sums.h) of an object of 2+ blocks,
//                                  written and deleted in the same batch as its LOM; keys with
//                                  this prefix live in their own column family ("blocks")
//   \0note\0 <kind> \0 <bucket> \0 <name>
//                               -> a note (notes.cc): the target's pending work on an object
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
class Slice;
class Status;
}  // namespace rocksdb

namespace ais::store {

inline constexpr char kPendingPrefix = '\x01';
inline constexpr char kBlocksPrefix = '\x02';
inline constexpr char kFirstLomKey = '\x03';  // LOM keys sort at or after this
// Present while a rebuild from the files (rebuildLoms) has not finished.
inline constexpr std::string_view kRebuildMarkerKey{"\0rebuilding", 11};

std::string lomKey(std::string_view bucket, std::string_view name);
std::string pendingKey(std::string_view bucket, std::string_view name);
std::string blocksKey(std::string_view bucket, std::string_view name);
inline constexpr std::string_view kNotePrefix{"\0note\0", 6};
std::string noteKey(std::string_view kind, std::string_view bucket, std::string_view name);
// [begin, end) of all LOM keys (or pending keys) of a bucket.
std::string bucketKeyBegin(std::string_view bucket);
std::string bucketKeyEnd(std::string_view bucket);
// Splits "<bucket>\0<name>" (after the pending or blocks prefix, if any); false if malformed.
bool splitKey(std::string_view key, std::string* bucket, std::string* name);

struct Lom;
struct BlockSums;

class LomDb {
 public:
  // Atomic group of puts and deletes.
  class Batch {
   public:
    void put(std::string key, std::string value) {
      ops_.push_back({std::move(key), std::move(value)});
    }
    void del(std::string key) { ops_.push_back({std::move(key), std::nullopt}); }
    // An object's LOM with its block checksums (the blocks key only for 2+ blocks; lom.blockSize
    // is set from blocks). The one way a LOM and its sums are written together.
    void putLom(std::string_view bucket, Lom& lom, const BlockSums& blocks);

   private:
    friend class LomDb;
    struct Op {
      std::string key;
      std::optional<std::string> value;  // nullopt = delete
    };
    std::vector<Op> ops_;
  };
  // Return false to stop the scan.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  // RocksDB's memtable size per column family.
  static constexpr uint64_t kMemtableBytes = uint64_t{16} << 20;
  static constexpr double kBloomBitsPerKey = 10;  // ~1% false positives, 1.25 bytes per LOM
  // readOnly: RocksDB writes nothing, not even at open (a full disk); every write here then
  // fails with kOutOfSpace.
  static Result<std::unique_ptr<LomDb>> open(const std::string& dir, bool readOnly = false);
  bool readOnly() const { return readOnly_; }
  // A read or write met blocks that fail RocksDB's checksums (damage on disk): the database is
  // to be rebuilt from the object files (openAndRecover).
  bool damaged() const { return damaged_.load(std::memory_order_relaxed); }
  // Called at each call that fails with an I/O error of its disk (EIO, a file system gone
  // read-only; not "no space"): RocksDB takes no more writes until reopened, so the owner treats
  // the mountpath as a failed disk (openMountpath: noteWriteFault). Set before the first call.
  void onIoFailure(std::function<void()> fn) { onIoFailure_ = std::move(fn); }
  ~LomDb();
  LomDb(const LomDb&) = delete;
  LomDb& operator=(const LomDb&) = delete;

  // cachedOnly: from memory (memtables, block cache) or kWouldBlock, never waiting for the disk.
  Result<std::optional<std::string>> get(std::string_view key, bool cachedOnly = false) const;
  // sync = fsync the WAL before returning (the bucket asked for fsync); a process crash never loses
  // an acknowledged write either way, as the WAL is written before returning.
  Status put(std::string_view key, std::string_view value, bool sync = false);
  Status del(std::string_view key, bool sync = false);
  Status write(const Batch& batch, bool sync = false);
  Status deleteRange(std::string_view begin, std::string_view end);
  // Counts the writes above, each after it is done: what was read while this did not move is
  // still what the database holds (OpenFiles keeps LOMs on it).
  uint64_t writes() const { return writes_.load(std::memory_order_acquire); }
  // Keys in [begin, end) in bytewise order; an empty end means "to the last key".
  Status scan(std::string_view begin, std::string_view end, const Visitor& visit) const;
  // The same keys, stepped by the caller (a merge of several LomDbs reads each key once).
  class Cursor {
   public:
    ~Cursor();
    bool valid() const;
    std::string_view key() const;
    std::string_view value() const;  // valid until next()
    void next();
    Status status() const;  // after !valid(): whether the end was reached or an error stopped it

   private:
    friend class LomDb;
    Cursor() = default;
    std::string upper_, dir_;
    std::unique_ptr<rocksdb::Slice> upperSlice_;
    std::unique_ptr<rocksdb::Iterator> it_;
  };
  std::unique_ptr<Cursor> cursor(std::string_view begin, std::string_view end) const;
  uint64_t estimateKeys() const;  // of the LOM family: objects (plus a few pending markers)
  // Writes of LOMs under a directory of a bucket ("" the whole bucket, else a prefix ending in
  // '/': every directory above a name counts its writes) since this LomDb opened, counted after
  // each write, with an epoch that moves when counts are dropped (a range deleted, too many
  // directories kept). The same pair read before a listing of the directory and later means
  // the listing is still what this mountpath holds (clients revalidate with it, Store::changes).
  // asker (non-zero: an aisfs mount's id, change_writer.h): the count leaves out the writes that
  // mount made while it was the directory's last writer, so its own writes do not move it and
  // anyone else's always do (each directory remembers one writer: a write by another ends that
  // writer's run, and the count it is answered then takes in all of the run again).
  struct DirChanges {
    uint64_t epoch = 0;
    uint64_t count = 0;
  };
  DirChanges changes(std::string_view bucket, std::string_view dirPrefix, uint64_t asker = 0) const;

 private:
  LomDb(std::unique_ptr<rocksdb::DB> db, std::string dir);
  rocksdb::ColumnFamilyHandle* family(std::string_view key) const;  // by the key's prefix
  void countChange(std::string_view key);
  Status readOnlyError() const;
  Status check(const rocksdb::Status& s) const;  // ours, and notes damage
  mutable std::atomic<bool> damaged_{false};
  std::function<void()> onIoFailure_;
  std::unique_ptr<rocksdb::DB> db_;
  bool readOnly_ = false;
  std::atomic<uint64_t> writes_{0};
  rocksdb::ColumnFamilyHandle* blocks_ = nullptr;
  std::string dir_;
  mutable std::mutex changesMu_;
  struct DirCount {
    uint64_t total = 0;     // writes under the directory
    uint64_t writer = 0;    // who made the last of them (0: anyone)
    uint64_t byWriter = 0;  // how many of the last ones that writer made in a row
  };
  std::unordered_map<std::string, DirCount> changes_;  // by "<bucket>\0<dir prefix>"
  uint64_t changesEpoch_ = 0;
};

}  // namespace ais::store
