#include "node/store/lom_db.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/log.h"
#include "node/store/block_sums.h"
#include "node/store/change_writer.h"
#include "node/store/lom.h"

namespace ais::store {
namespace {

// Directories whose changes a LomDb counts before it drops them all under a new epoch.
constexpr size_t kMaxCountedDirs = size_t{1} << 18;

// Block checksums live in their own column family: the LOM family's key estimate stays a count
// of objects, and listing scans never step over them.
const std::string kBlocksFamily = "blocks";

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// RocksDB's own messages go to the node's log, not to a LOG file beside the database: that file
// lives on the mountpath, and once a full disk failed one of its writes, Debian's librocksdb
// (built with assertions) aborts the whole process at the next message, at every start too.
class NodeLogger : public rocksdb::Logger {
 public:
  explicit NodeLogger(std::string dir)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), dir_(std::move(dir)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(buf, sizeof buf, format, copy);
    va_end(copy);
    if (n < 0) return;
    std::string_view text(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::string line = "rocksdb " + dir_ + ": " + std::string(text);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      log::error("{}", line);
    } else {
      log::warn("{}", line);
    }
  }

 private:
  std::string dir_;
};

// A LomDb's directory is <mountpath>/.ais.lomdb.
std::string mountpathOfDb(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

Status fromRocks(const rocksdb::Status& s, const std::string& dir) {
  if (s.ok()) return Status::OK();
  if (s.IsNoSpace()) {
    return Status(Code::kOutOfSpace,
                  "mountpath " + mountpathOfDb(dir) +
                      " is out of space: its metadata cannot be written (writes resume a few "
                      "seconds after space is freed): " +
                      s.ToString());
  }
  return Status(Code::kIoError, "lomdb " + dir + ": " + s.ToString());
}

}  // namespace

std::string lomKey(std::string_view bucket, std::string_view name) {
  std::string k;
  k.reserve(bucket.size() + 1 + name.size());
  k.append(bucket).push_back('\0');
  k.append(name);
  return k;
}

std::string pendingKey(std::string_view bucket, std::string_view name) {
  return std::string(1, kPendingPrefix) + lomKey(bucket, name);
}

std::string blocksKey(std::string_view bucket, std::string_view name) {
  return std::string(1, kBlocksPrefix) + lomKey(bucket, name);
}

std::string noteKey(std::string_view kind, std::string_view bucket, std::string_view name) {
  std::string k(kNotePrefix);
  k.append(kind).push_back('\0');
  return k + lomKey(bucket, name);
}

std::string bucketKeyBegin(std::string_view bucket) { return std::string(bucket) + '\0'; }
std::string bucketKeyEnd(std::string_view bucket) { return std::string(bucket) + '\x01'; }

bool splitKey(std::string_view key, std::string* bucket, std::string* name) {
  if (!key.empty() && (key.front() == kPendingPrefix || key.front() == kBlocksPrefix)) {
    key.remove_prefix(1);
  }
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos || nul == 0) return false;
  bucket->assign(key.substr(0, nul));
  name->assign(key.substr(nul + 1));
  return true;
}

void LomDb::Batch::putLom(std::string_view bucket, Lom& lom, const BlockSums& blocks) {
  lom.blockSize = blocks.blockSize;
  put(lomKey(bucket, lom.name), encodeLom(lom));
  if (blocks.sums.size() > 1) put(blocksKey(bucket, lom.name), encodeBlockSums(blocks));
}

LomDb::LomDb(std::unique_ptr<rocksdb::DB> db, std::string dir)
    : db_(std::move(db)), dir_(std::move(dir)) {}

LomDb::~LomDb() {
  if (db_) {
    if (blocks_) (void)db_->DestroyColumnFamilyHandle(blocks_);
    (void)db_->Close();
  }
}

Result<std::unique_ptr<LomDb>> LomDb::open(const std::string& dir, bool readOnly) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.info_log = std::make_shared<NodeLogger>(dir);
  options.create_missing_column_families = true;
  // Metadata is a sliver of the objects' bytes, block checksums do not compress, and listings
  // read every block: uncompressed blocks are copied, not decoded, on each read.
  options.compression = rocksdb::kNoCompression;
  // After a full disk stopped its writes, RocksDB resumes by itself once this much is free
  // again (it must be able to flush a memtable); the default, 64 MiB, is more than the space
  // reserve (space_reserve.h) keeps.
  options.write_buffer_size = kMemtableBytes;
  // A log cut short by a crash loses only its unfinished last write; damage inside it fails
  // the open (the database is then rebuilt from the files, loudly) instead of RocksDB's default,
  // which silently drops every write after the damaged record: objects on disk, unlisted.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // A PUT of a new name looks its LOM (and its block sums) up first: without a filter the
  // miss reads an index and a data block of every table file, ~10% of a small PUT's time.
  rocksdb::BlockBasedTableOptions tables;
  tables.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(tables));
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kBlocksFamily, rocksdb::ColumnFamilyOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!readOnly) {
    // (RocksDB makes it for its LOG file, which it does not write here; without it, it reports
    // a missing directory as an error while it creates the database)
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
  }
  rocksdb::Status s = readOnly
                          ? rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw)
                          : rocksdb::DB::Open(options, dir, families, &handles, &raw);
  if (!s.ok()) return fromRocks(s, dir);
  auto db = std::unique_ptr<LomDb>(new LomDb(std::unique_ptr<rocksdb::DB>(raw), dir));
  db->blocks_ = handles[1];
  db->readOnly_ = readOnly;
  delete handles[0];  // the default family's handle is the DB's own
  return db;
}

Status LomDb::check(const rocksdb::Status& s) const {
  if (s.IsCorruption()) damaged_.store(true, std::memory_order_relaxed);
  // (RocksDB's "no space" and "path not found" are I/O errors too: neither is a failed disk.)
  if (s.IsIOError() && !s.IsNoSpace() && !s.IsPathNotFound() && onIoFailure_) onIoFailure_();
  return fromRocks(s, dir_);
}

Status LomDb::readOnlyError() const {
  return Status(Code::kOutOfSpace,
                "mountpath " + mountpathOfDb(dir_) +
                    " is read-only: its disk was full or its file system read-only when the "
                    "target started (free space on it or repair it, then restart the target)");
}

rocksdb::ColumnFamilyHandle* LomDb::family(std::string_view key) const {
  return !key.empty() && key.front() == kBlocksPrefix ? blocks_ : db_->DefaultColumnFamily();
}

Result<std::optional<std::string>> LomDb::get(std::string_view key, bool cachedOnly) const {
  std::string value;
  rocksdb::ReadOptions ro;
  if (cachedOnly) ro.read_tier = rocksdb::kBlockCacheTier;
  rocksdb::Status s = db_->Get(ro, family(key), slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (cachedOnly && s.IsIncomplete()) return Status(Code::kWouldBlock, dir_);
  if (!s.ok()) return check(s);
  return std::optional<std::string>(std::move(value));
}

void LomDb::countChange(std::string_view key) {
  // LOM keys only: pending markers, block sums and notes do not change what is listed.
  if (key.empty() || key.front() < kFirstLomKey) return;
  size_t cut = key.find('\0');
  if (cut == std::string_view::npos) return;
  // "<bucket>\0" and each directory above the name: "<bucket>\0a/", "<bucket>\0a/b/", ...
  std::lock_guard l(changesMu_);
  if (changes_.size() > kMaxCountedDirs) {  // (a huge ingest: start again, under a new epoch)
    changes_.clear();
    ++changesEpoch_;
  }
  const uint64_t writer = currentChangeWriter();
  size_t end = cut + 1;
  for (;;) {
    DirCount& c = changes_[std::string(key.substr(0, end))];
    ++c.total;
    if (writer != 0 && c.writer == writer) {
      ++c.byWriter;
    } else {  // (a new run: the previous writer's count now takes in all of its writes)
      c.writer = writer;
      c.byWriter = writer != 0 ? 1 : 0;
    }
    size_t slash = key.find('/', end);
    if (slash == std::string_view::npos) break;
    end = slash + 1;
  }
}

LomDb::DirChanges LomDb::changes(std::string_view bucket, std::string_view dirPrefix,
                                 uint64_t asker) const {
  std::string k;
  k.reserve(bucket.size() + 1 + dirPrefix.size());
  k.append(bucket).push_back('\0');
  k.append(dirPrefix);
  std::lock_guard l(changesMu_);
  auto it = changes_.find(k);
  if (it == changes_.end()) return {changesEpoch_, 0};
  const DirCount& c = it->second;
  // (the asker's own run is left out: what it is answered moves with anyone else's write only)
  return {changesEpoch_, c.total - (asker != 0 && c.writer == asker ? c.byWriter : 0)};
}

Status LomDb::put(std::string_view key, std::string_view value, bool sync) {
  if (readOnly_) return readOnlyError();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Status s = check(db_->Put(wo, family(key), slice(key), slice(value)));
  writes_.fetch_add(1, std::memory_order_release);
  countChange(key);  // (after the write: a count that moved means the change is visible)
  return s;
}

Status LomDb::del(std::string_view key, bool sync) {
  if (readOnly_) return readOnlyError();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Status s = check(db_->Delete(wo, family(key), slice(key)));
  writes_.fetch_add(1, std::memory_order_release);
  countChange(key);
  return s;
}

Status LomDb::write(const Batch& batch, bool sync) {
  if (readOnly_) return readOnlyError();
  rocksdb::WriteBatch wb;  // atomic across the families
  for (const auto& op : batch.ops_) {
    rocksdb::Status s = op.value ? wb.Put(family(op.key), slice(op.key), slice(*op.value))
                                 : wb.Delete(family(op.key), slice(op.key));
    if (!s.ok()) return check(s);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Status s = check(db_->Write(wo, &wb));
  writes_.fetch_add(1, std::memory_order_release);
  for (const auto& op : batch.ops_) countChange(op.key);
  return s;
}

Status LomDb::deleteRange(std::string_view begin, std::string_view end) {
  if (readOnly_) return readOnlyError();
  Status s =
      check(db_->DeleteRange(rocksdb::WriteOptions(), family(begin), slice(begin), slice(end)));
  writes_.fetch_add(1, std::memory_order_release);
  {
    std::lock_guard l(changesMu_);  // (a bucket's range: every directory of it changed)
    ++changesEpoch_;
  }
  return s;
}

Status LomDb::scan(std::string_view begin, std::string_view end, const Visitor& visit) const {
  rocksdb::ReadOptions ro;
  std::string upper(end);
  rocksdb::Slice upperSlice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upperSlice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(slice(begin)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
  return check(it->status());
}

std::unique_ptr<LomDb::Cursor> LomDb::cursor(std::string_view begin, std::string_view end) const {
  std::unique_ptr<Cursor> c(new Cursor);
  c->upper_ = end;
  c->dir_ = dir_;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a listing passes once: it must not push out what GETs look up
  if (!c->upper_.empty()) {
    c->upperSlice_ = std::make_unique<rocksdb::Slice>(c->upper_);
    ro.iterate_upper_bound = c->upperSlice_.get();
  }
  c->it_.reset(db_->NewIterator(ro));
  c->it_->Seek(slice(begin));
  return c;
}

LomDb::Cursor::~Cursor() = default;
bool LomDb::Cursor::valid() const { return it_->Valid(); }
std::string_view LomDb::Cursor::key() const {
  rocksdb::Slice k = it_->key();
  return std::string_view(k.data(), k.size());
}
std::string_view LomDb::Cursor::value() const {
  rocksdb::Slice v = it_->value();
  return std::string_view(v.data(), v.size());
}
void LomDb::Cursor::next() { it_->Next(); }
Status LomDb::Cursor::status() const { return fromRocks(it_->status(), dir_); }

uint64_t LomDb::estimateKeys() const {
  uint64_t n = 0;
  if (!db_->GetIntProperty("rocksdb.estimate-num-keys", &n)) return 0;
  return n;
}

}  // namespace ais::store
