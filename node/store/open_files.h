// OpenFiles: object files kept open between reads of hot objects, like nginx's open_file_cache.
// A 16 KiB GET otherwise spends about as much on open(2) and close(2) (a path walk, the file's
// last release) as on sending the bytes.
//
// A kept file is reused only while it is still the file its LOM describes: the reader fstat()s it
// and compares inode, ctime (any write, truncate, chmod or rename of the file changes it), link
// count (0 once unlinked or replaced) and size (Store::openAtLocked). Reuse never skips block
// verification. The Store forgets a name whenever it changes that name's files (put, delete,
// rename, copies), a whole bucket when it goes, everything when a mountpath changes, so a removed
// object's space is freed at once and no mountpath is held busy; files unused for a few seconds
// are closed by expire().
//
// An entry may also keep the LOM and block checksums read with the file (Described), so that a
// hot object's GET skips its RocksDB lookups: they are used only while the mountpath's LomDb has
// taken no write since they were read (LomDb::writes, counted after each write), on top of the
// name lock every reader and writer of the name holds.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "node/store/block_sums.h"
#include "node/store/lom.h"

namespace ais::store {

// An open file descriptor, closed with its last holder (the cache and every reader sharing it).
class OpenFile {
 public:
  explicit OpenFile(int fd) : fd_(fd) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

class OpenFiles {
 public:
  using Clock = std::chrono::steady_clock;
  // What the file was when it was opened: reuse requires the same again (see stillSame).
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    struct timespec ctime {};
  };
  static Identity identityOf(const struct stat& st) { return {st.st_dev, st.st_ino, st.st_ctim}; }
  // st (an fstat of the kept file) shows the same file, still linked, of the expected size.
  static bool stillSame(const Identity& id, const struct stat& st, uint64_t size);

  // What a mountpath's LomDb said of the object when the file was kept.
  struct Described {
    size_t mountpath = 0;
    uint64_t dbWrites = 0;  // LomDb::writes() read before the LOM was
    Lom lom;
    BlockSums blocks;
  };

  explicit OpenFiles(size_t capacity = 512, Clock::duration idle = std::chrono::seconds(5))
      : capacity_(capacity), idle_(idle) {}

  // A kept file, where it was opened and what it was; its description only while it holds.
  struct Kept {
    std::shared_ptr<const OpenFile> file;
    std::string path;
    Identity id;
    std::optional<Described> described;
  };
  // The file kept for (bucket, name), if any; with its description if that was taken on
  // mountpath when its LomDb had dbWrites writes (still what the LomDb holds).
  std::optional<Kept> find(std::string_view bucket, std::string_view name, size_t mountpath,
                           uint64_t dbWrites);
  // Keeps file as (bucket, name)'s, opened at path; the least recently used goes when full.
  void keep(std::string_view bucket, std::string_view name, const std::string& path,
            std::shared_ptr<const OpenFile> file, const Identity& id,
            std::optional<Described> described = std::nullopt);
  void forget(std::string_view bucket, std::string_view name);
  void forgetBucket(std::string_view bucket);
  void forgetAll();
  // Closes the files not used for the idle time (called periodically).
  void expire();
  size_t size() const;

 private:
  struct Entry {
    std::string key;  // bucket '\0' name
    std::string path;
    std::shared_ptr<const OpenFile> file;
    Identity id;
    Clock::time_point used;
    std::optional<Described> described;
  };
  static std::string keyOf(std::string_view bucket, std::string_view name);
  // (Called with mu_ held; the files are closed by the caller after unlocking.)
  void eraseLocked(std::list<Entry>::iterator it,
                   std::vector<std::shared_ptr<const OpenFile>>& out);

  const size_t capacity_;
  const Clock::duration idle_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views of Entry::key
};

}  // namespace ais::store
