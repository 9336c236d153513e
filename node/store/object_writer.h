// ObjectWriter: one streaming PUT. Bytes go to a private work file while their XXH64 and block
// checksums are computed; commit() moves the file into place and commits the LOM. The file is
// sparse: an aligned 4 KiB block of zeros (written, or a writeZeros run) is left as a hole, so
// a truncated-up or punched file, a mirror copy or a moved object takes no disk for its zeros.
// Dropping an uncommitted writer removes its work file, so an abandoned PUT leaves nothing behind.
// Not thread-safe (one writer, one stream); the Store must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/digest.h"
#include "common/status.h"
#include "node/store/block_sums.h"
#include "node/store/lom.h"

namespace ais::store {

class Store;
struct Mountpath;

struct PutOptions {
  bool fsync = false;  // fsync file, directory and LOM before commit() returns (bucket prop)
  std::map<std::string, std::string> custom;  // stored in the LOM as is
  // Commit only if no object of this name exists (checked under the name lock, atomically with
  // the commit): kObjectExists otherwise, and nothing is stored. With mtimeNs (an object that
  // moves), an existing copy older than it is replaced: a target back from maintenance gets the
  // version written elsewhere meanwhile, and a newer copy is never overwritten.
  bool ifAbsent = false;
  // The LOM's modification time (an object moved between targets keeps its own); 0: now.
  int64_t mtimeNs = 0;
  // A client's write (mtimeNs 0): when the client sent it, by its clock (a streamed PUT: its
  // commit); 0: unknown. It is the LOM's modification time (never later than the
  // commit) and orders the writes of a name: a commit issued before the current version's
  // modification time does not replace it (the later-issued write wins, whatever the order of
  // the commits, as S3's "the request with the latest timestamp wins"). Such a write answers
  // with Lom::superseded; in a bucket with versioning enabled it is kept as a noncurrent
  // version, else dropped. So a write whose client gave up on a hung target, committed when that
  // target resumes, never undoes a newer write another target took meanwhile.
  int64_t issuedNs = 0;
  // Commit only if the object is this version now (under the name lock, with the commit):
  // kVersionChanged otherwise, nothing stored. 0: any (or none).
  uint64_t ifVersion = 0;
  // The aisfs mount storing it (change_writer.h): its commit does not move that mount's tokens.
  uint64_t changeWriter = 0;
};

class ObjectWriter {
 public:
  ~ObjectWriter();
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  Status write(const void* data, size_t len);
  // len zero bytes, hashed as written but stored as a hole (a sparse PUT). An object may not grow
  // past kMaxSparseObjectBytes this way (hashing the zeros costs CPU: ~0.1 s per GiB).
  Status writeZeros(uint64_t len);
  static constexpr uint64_t kMaxSparseObjectBytes = 5ull << 40;  // S3's largest object
  // kChecksumMismatch (and nothing stored) if expectedChecksum is given and differs. The writer is
  // finished after commit, whatever the outcome.
  Result<Lom> commit(std::optional<uint64_t> expectedChecksum = std::nullopt);
  // Replaces the custom metadata given to beginPut; lands in the LOM with the bytes at commit
  // (e.g. an ETag known only after the last byte).
  void setCustom(std::map<std::string, std::string> custom) { opts_.custom = std::move(custom); }
  // PutOptions::issuedNs, known only at commit (a streamed PUT's commit says when it was sent).
  void setIssuedNs(int64_t ns) { opts_.issuedNs = ns; }
  // The checksum type the LOM keeps (the bucket's checksum.type); set before the first write.
  void setChecksumType(std::string type);
  uint64_t bytesWritten() const { return size_; }
  // Bytes of the object left as holes: its size less the 4 KiB blocks written (0 when dense).
  uint64_t holeBytes() const;
  // Reads back bytes [off, off + len) written so far (checks of what was streamed in, before
  // commit); short at the end.
  Result<size_t> readBack(char* buf, size_t len, uint64_t off) const;

 private:
  friend class Store;
  ObjectWriter(Store& store, Mountpath& mp, std::string bucket, std::string name,
               std::string workPath, int fd, PutOptions opts);
  void discard();
  // Checks the bytes against expectedChecksum, fsyncs them if asked and the PUT wants it (a group
  // commit makes them durable with one syncfs instead) and closes the file: the XXH64, or an
  // error with the writer discarded.
  Result<uint64_t> seal(std::optional<uint64_t> expectedChecksum, bool fsyncNow);
  // The file's size is size_ even where it ends in a hole (nothing was written there).
  Status extendToSize();
  void hashZeros(uint64_t len);

  Store& store_;
  Mountpath& mp_;
  std::string bucket_;
  std::string name_;
  std::string workPath_;
  int fd_;
  PutOptions opts_;
  BlockHasher hasher_;
  std::string checksumType_ = std::string(kChecksumXxhash64);
  std::unique_ptr<Hasher> typed_;  // md5, sha256, crc32c: computed beside the XXH64
  uint64_t size_ = 0;
  uint64_t fileEnd_ = 0;     // end of the last byte written to the file (size_ may be past it)
  uint64_t dataBlocks_ = 0;  // 4 KiB blocks of the file written to (the rest are holes)
  bool finished_ = false;
  Status writeError_;  // a failed write poisons the writer: commit must not store a short object
};

}  // namespace ais::store
