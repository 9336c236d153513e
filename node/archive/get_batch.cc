#include "node/archive/get_batch.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "node/archive/archive_writer.h"
#include "proto/wait_hook.h"

namespace ais::archive {
namespace {

constexpr uint64_t kBlock = 512;

uint64_t padding(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

std::string where(const BatchItem& it) {
  return "ais://" + it.bucket + "/" + it.name + (it.archpath.empty() ? "" : "/" + it.archpath);
}

// Threads running `body`, waited for through the caller's WaitHook (a gateway's coroutine
// yields to its other connections meanwhile; a plain thread blocks).
class Workers {
 public:
  Workers(size_t count, std::function<void()> body) : left_(count) {
    for (size_t t = 0; t < count; ++t) {
      threads_.emplace_back([this, body] {
        body();
        std::function<void()> done;
        {
          std::lock_guard lock(mu_);
          if (--left_ == 0) done = std::move(done_);
        }
        if (done) done();
      });
    }
  }
  ~Workers() { join(); }
  // Returns once every body returned.
  void join() {
    if (threads_.empty()) return;
    awaitCompletion([this](std::function<void()> done) {
      {
        std::lock_guard lock(mu_);
        if (left_ > 0) {
          done_ = std::move(done);
          return;
        }
      }
      done();
    });
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  std::mutex mu_;
  size_t left_;
  std::function<void()> done_;
  std::vector<std::thread> threads_;
};

// Runs fn(i) for every i in [0, n) on up to `parallel` threads.
void forEachParallel(size_t n, int parallel, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  Workers workers(std::min<size_t>(n, static_cast<size_t>(std::max(1, parallel))), [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  });
  workers.join();
}

// The item's size (of its range), version and mtime from its owner.
Status describe(Client& client, GetBatch::Entry& e) {
  const BatchItem& it = e.item;
  uint64_t whole = 0;
  if (it.archpath.empty()) {
    auto info = client.head(it.bucket, it.name);
    if (!info.ok()) return info.status();
    whole = info->size;
    e.version = info->version;
    e.checksum = info->checksum;
    e.mtimeSec = info->mtimeNs / 1'000'000'000;
  } else {
    auto listing = client.memberToRead(it.bucket, it.name, it.archpath);
    if (!listing.ok()) return listing.status();
    const ArchiveMember& m = listing->members.at(0);
    if (m.type != ArchiveMember::Type::kFile) {
      return Status(Code::kInvalidArgument, "not a regular file");
    }
    whole = m.size;
    e.version = listing->shard.version;
    e.checksum = listing->shard.checksum;
    e.mtimeSec = m.mtimeSec;
  }
  if (it.start > whole) {
    return Status(Code::kRangeNotSatisfiable, "start " + std::to_string(it.start) +
                                                  " is past its end (" + std::to_string(whole) +
                                                  " bytes)");
  }
  e.size = it.length == 0 ? whole - it.start : std::min(it.length, whole - it.start);
  return Status::OK();
}

bool missingKind(Code c) {
  return c == Code::kObjectNotFound || c == Code::kMemberNotFound || c == Code::kBucketNotFound ||
         c == Code::kRangeNotSatisfiable || c == Code::kInvalidArgument || c == Code::kBadArchive;
}

}  // namespace

Result<BatchRequest> parseBatchRequest(std::string_view text, const std::string& defaultBucket) {
  using nlohmann::json;
  auto bad = [](const std::string& why) {
    return Status(Code::kInvalidArgument, "GetBatch request: " + why);
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  BatchRequest req;
  try {
    std::string mime = j.value("mime", "");
    if (!mime.empty() && mime != ".tar" && mime != "tar" && mime != "application/x-tar") {
      return bad("output format '" + mime + "': only TAR (\".tar\") is served");
    }
    req.options.continueOnError = j.value("coer", false);
    req.options.onlyObjName = j.value("onob", false);
    req.streaming = j.value("strm", true);
    if (!j.contains("in") || !j["in"].is_array() || j["in"].empty()) {
      return bad("\"in\" must be a non-empty list of items");
    }
    for (const json& in : j["in"]) {
      size_t i = req.items.size();
      if (!in.is_object()) return bad("item " + std::to_string(i) + " is not an object");
      BatchItem it;
      it.name = in.value("objname", "");
      it.bucket = in.value("bucket", defaultBucket);
      it.archpath = in.value("archpath", "");
      int64_t start = in.value("start", int64_t{0}), length = in.value("length", int64_t{0});
      if (it.name.empty()) return bad("item " + std::to_string(i) + " has no \"objname\"");
      if (it.bucket.empty()) return bad("item " + std::to_string(i) + " has no \"bucket\"");
      if (start < 0 || length < 0) return bad("item " + std::to_string(i) + ": negative range");
      it.start = static_cast<uint64_t>(start);
      it.length = static_cast<uint64_t>(length);
      req.items.push_back(std::move(it));
    }
  } catch (const json::exception& e) {
    return bad(std::string("a field of the wrong type (") + e.what() + ")");
  }
  return req;
}

Result<GetBatch> GetBatch::plan(Client& client, std::vector<BatchItem> items,
                                const BatchOptions& options) {
  if (items.empty()) return Status(Code::kInvalidArgument, "GetBatch: no items");
  GetBatch batch;
  batch.options_ = options;
  batch.entries_.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    BatchItem& it = items[i];
    if (it.bucket.empty() || it.name.empty()) {
      return Status(Code::kInvalidArgument,
                    "GetBatch item " + std::to_string(i) + ": a bucket and an object name");
    }
    if (it.archpath.find('\0') != std::string::npos) {
      return Status(Code::kInvalidArgument,
                    "GetBatch item " + std::to_string(i) + ": archpath holds a NUL byte");
    }
    batch.entries_[i].item = std::move(it);
  }
  std::vector<Status> results(batch.entries_.size());
  forEachParallel(batch.entries_.size(), options.parallel,
                  [&](size_t i) { results[i] = describe(client, batch.entries_[i]); });
  for (size_t i = 0; i < batch.entries_.size(); ++i) {
    Entry& e = batch.entries_[i];
    if (!results[i].ok()) {
      if (!options.continueOnError || !missingKind(results[i].code())) {
        return Status(results[i].code(), where(e.item) + ": " + results[i].message());
      }
      e.missing = results[i];
      e.size = 0;
    }
    std::string name = options.onlyObjName ? e.item.name : e.item.bucket + "/" + e.item.name;
    if (!e.item.archpath.empty()) name += "/" + e.item.archpath;
    if (!e.missing.ok()) name = std::string(kBatchMissingDir) + "/" + name;
    e.tarName = std::move(name);
    e.headers = tarHeaders(e.tarName, e.size, 0644, e.mtimeSec);
    batch.tarSize_ += e.headers.size() + e.size + padding(e.size);
  }
  batch.tarSize_ += 2 * kBlock;
  return batch;
}

Status GetBatch::stream(Client& client, const Sink& sink) const {
  // Read-ahead slots: item i's bytes once fetched (small items), filled by the workers in any
  // order, written here in order. A worker takes item i only while i < written + parallel.
  struct Slot {
    bool done = false;
    Status status;
    std::string bytes;
    std::function<void()> waiter;  // the writer, waiting for this slot
  };
  const size_t n = entries_.size();
  const size_t window = static_cast<size_t>(std::max(1, options_.parallel));
  std::vector<Slot> slots(n);
  std::mutex mu;
  std::condition_variable cv;
  size_t nextToFetch = 0, written = 0;
  bool stopping = false;
  auto readAhead = [&](const Entry& e) {
    return e.missing.ok() && e.size > 0 && e.size <= options_.readAheadMax;
  };
  auto fetch = [&client](const Entry& e, const std::function<Status(std::string_view)>& out) {
    ByteRange range;
    range.offset = e.item.start;
    range.length = e.size;
    range.archpath = e.item.archpath;
    range.ifChecksum = e.checksum;
    uint64_t got = 0;
    auto info =
        client.getStream(e.item.bucket, e.item.name, range, e.version, [&](std::string_view chunk) {
          got += chunk.size();
          return out(chunk);
        });
    if (!info.ok()) return Status(info.code(), where(e.item) + ": " + info.status().message());
    if (got != e.size) {
      return Status(Code::kVersionChanged, where(e.item) + ": " + std::to_string(got) +
                                               " bytes where " + std::to_string(e.size) +
                                               " were planned");
    }
    return Status::OK();
  };
  auto worker = [&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || nextToFetch >= n || nextToFetch < written + window; });
      if (stopping || nextToFetch >= n) return;
      size_t i = nextToFetch++;
      if (!readAhead(entries_[i])) continue;
      lock.unlock();
      std::string bytes;
      bytes.reserve(entries_[i].size);
      Status st = fetch(entries_[i], [&bytes](std::string_view c) {
        bytes.append(c);
        return Status::OK();
      });
      lock.lock();
      slots[i].bytes = std::move(bytes);
      slots[i].status = st;
      slots[i].done = true;
      if (auto waiter = std::move(slots[i].waiter)) {
        lock.unlock();
        waiter();
        lock.lock();
      }
    }
  };
  Workers workers(std::min(window, n), worker);
  auto stopWorkers = [&] {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    workers.join();
  };
  static const std::string zeros(2 * kBlock, '\0');
  Status st;
  for (size_t i = 0; i < n && st.ok(); ++i) {
    const Entry& e = entries_[i];
    st = sink(e.headers);
    if (!st.ok()) break;
    if (readAhead(e)) {
      awaitCompletion([&](std::function<void()> done) {
        {
          std::lock_guard lock(mu);
          if (!slots[i].done) {
            slots[i].waiter = std::move(done);
            return;
          }
        }
        done();
      });
      Slot slot;
      {
        std::lock_guard lock(mu);
        slot = std::move(slots[i]);
      }
      st = slot.status.ok() ? sink(slot.bytes) : slot.status;
    } else if (e.missing.ok() && e.size > 0) {
      st = fetch(e, sink);
    }
    if (st.ok() && padding(e.size) > 0) st = sink(std::string_view(zeros.data(), padding(e.size)));
    {
      std::lock_guard lock(mu);
      written = i + 1;
    }
    cv.notify_all();
  }
  stopWorkers();
  if (!st.ok()) return st;
  return sink(zeros);
}

}  // namespace ais::archive
