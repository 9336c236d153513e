// Internals of the client library shared by its .cc files (client.cc, and per-feature files that
// add Client methods): the loop thread, retries, Smap snapshots, chunked streaming helpers.
// Not part of the public surface: only proto/*.cc include it.
#pragma once

#include <fcntl.h>
#include <fmt/format.h>
#include <kj/vector.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/zeros.h"
#include "meta/codec.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "proto/client.h"
#include "proto/connection_pool.h"
#include "proto/data_sink.h"
#include "proto/list_cursor.h"
#include "proto/loop_mailbox.h"
#include "proto/mailbox_call.h"
#include "proto/wait_hook.h"
#include "proto/wire.h"

namespace ais {

using proto::asBytes;
using proto::fromWire;
using proto::toStatus;

namespace client_detail {

constexpr size_t kChunkBytes = 1 << 20;        // stream chunk size
constexpr uint32_t kInlineGetMax = 256 << 10;  // GET replies up to this size come inline
constexpr size_t kInlinePutMax = 1 << 20;      // PUTs up to this size go in one message

inline bool retryable(Code code) {
  return code == Code::kStaleSmap || code == Code::kNotPrimary || code == Code::kUnavailable ||
         code == Code::kTimeout;
}

// A bucket name this client may use: valid, and not reserved unless the client is a gateway's.
// (A gateway's also the kept versions of a bucket, meta::versionsBucket.)
inline Status checkBucket(const Client::Options& options, const std::string& bucket) {
  if (options.reservedBuckets && meta::isVersionsBucket(bucket)) {
    return meta::validateBucketName(meta::bucketOfVersions(bucket));
  }
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  return options.reservedBuckets ? Status::OK() : meta::refuseReservedBucket(bucket);
}
inline Status checkNames(const Client::Options& options, const std::string& bucket,
                         const std::string& name) {
  AIS_RETURN_IF_ERROR(checkBucket(options, bucket));
  return meta::validateNameIn(bucket, name);
}

// Reads a file or a memory buffer chunk by chunk while hashing, for streamed PUTs.
class ChunkSource {
 public:
  ChunkSource(std::string_view mem) : mem_(mem), fd_(-1) {}
  ChunkSource(int fd, uint64_t total) : fd_(fd), total_(total) {}
  ~ChunkSource() {
    if (state_) XXH64_freeState(state_);
  }
  Status reset() {
    if (!state_) state_ = XXH64_createState();
    XXH64_reset(state_, 0);
    done_ = 0;
    dataEnd_ = 0;
    return Status::OK();
  }
  // Next chunk: bytes, or (from a file) a hole of `zeros` bytes that the target stores without
  // their being sent; both empty at the end. Holes come from SEEK_DATA, so a sparse file (a
  // truncate up, a punched range) sends only its data.
  struct Chunk {
    kj::ArrayPtr<const kj::byte> bytes;
    uint64_t zeros = 0;
  };
  Result<Chunk> next() {
    if (fd_ < 0) {
      size_t n = std::min(kChunkBytes, mem_.size() - done_);
      auto chunk = asBytes(mem_.substr(done_, n));
      XXH64_update(state_, chunk.begin(), n);
      done_ += n;
      return Chunk{chunk};
    }
    if (done_ >= dataEnd_ && done_ < total_) {
      uint64_t hole = holeAt();
      if (hole > 0) {
        xxh64UpdateZeros(state_, hole);
        done_ += hole;
        return Chunk{{}, hole};
      }
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, dataEnd_ - done_));
    if (done_ >= dataEnd_) want = kChunkBytes;  // past the end as the file was seen: read on
    buf_.resize(want);
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(done_ + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(Code::kIoError, std::string("read: ") + std::strerror(errno));
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    XXH64_update(state_, buf_.data(), got);
    done_ += got;
    return Chunk{kj::ArrayPtr<const kj::byte>(buf_.data(), got)};
  }
  uint64_t digest() const { return XXH64_digest(state_); }
  uint64_t done() const { return done_; }
  uint64_t total() const { return fd_ < 0 ? mem_.size() : total_; }

  ProgressFn progress;  // called from the loop thread after each chunk

 private:
  std::string_view mem_;
  int fd_;
  // A hole at done_ (SEEK_DATA), counted up to total_; 0 if data starts there. Sets dataEnd_ to
  // where the data run starting at or after done_ ends (SEEK_HOLE), so reads stop at the next
  // hole. Holes under kMinHole are read as bytes: not worth a call of their own.
  uint64_t holeAt() {
    static constexpr uint64_t kMinHole = 64 << 10;
    off_t data = ::lseek(fd_, static_cast<off_t>(done_), SEEK_DATA);
    uint64_t dataAt = data < 0 ? total_ : std::min<uint64_t>(static_cast<uint64_t>(data), total_);
    if (data < 0 && errno != ENXIO) dataAt = done_;  // no SEEK_DATA here: read everything
    off_t hole = dataAt < total_ ? ::lseek(fd_, static_cast<off_t>(dataAt), SEEK_HOLE) : -1;
    dataEnd_ = hole < 0 ? std::max<uint64_t>(total_, dataAt) : static_cast<uint64_t>(hole);
    if (dataAt - done_ < kMinHole) {
      dataEnd_ = std::max(dataEnd_, dataAt);
      return 0;
    }
    return dataAt - done_;
  }
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  uint64_t dataEnd_ = 0;  // reads before this offset need no hole check
  XXH64_state_t* state_ = nullptr;
  std::vector<kj::byte> buf_;
};

}  // namespace client_detail

using namespace client_detail;

class Client::Impl {
 public:
  explicit Impl(const Options& options) : options_(options) {
    std::promise<void> ready;
    auto readyFuture = ready.get_future();
    thread_ = std::thread([this, &ready] {
      auto io = kj::setupAsyncIo();
      pool_ = kj::heap<proto::ConnectionPool>(*io.provider);
      auto paf = kj::newPromiseAndFulfiller<void>();
      stop_ = kj::mv(paf.fulfiller);
      executor_ = &kj::getCurrentThreadExecutor();
      auto pump = mailbox_.run().eagerlyEvaluate(nullptr);
      background_ = kj::heap<kj::TaskSet>(ignoreFailures_);
      ready.set_value();
      paf.promise.wait(io.waitScope);
      mailbox_.close();
      pump = nullptr;
      background_ = nullptr;
      pool_ = nullptr;
    });
    readyFuture.wait();
  }

  ~Impl() {
    cursors_.clear();  // their fetches live on the loop
    executor_->executeSync([this] { stop_->fulfill(); });
    thread_.join();
  }

  // Runs `attempt` (returning kj::Promise<Result<T>>) on the loop thread and waits for it.
  // timeout: the whole attempt's limit (default options_.requestTimeout).
  template <typename T, typename F>
  Result<T> onLoop(F&& attempt, std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    auto limit = timeout.value_or(options_.requestTimeout);
    if (WaitHook::current()) {
      // A coroutine caller: hand the attempt over and suspend until its result is in (the
      // caller's stack, which `attempt` may use, stays put while it is suspended).
      auto start = [&] {
        return pool_->timer().timeoutAfter(limit.count() * kj::MILLISECONDS, attempt());
      };
      return proto::callThroughMailbox<T>(mailbox_, start);
    }
    try {
      return executor_->executeSync([&]() -> kj::Promise<Result<T>> {
        return pool_->timer()
            .timeoutAfter(limit.count() * kj::MILLISECONDS, attempt())
            .catch_([](kj::Exception&& e) -> Result<T> { return proto::statusFromException(e); });
      });
    } catch (const kj::Exception& e) {
      return proto::statusFromException(e);
    }
  }

  // One attempt per Smap; refreshes the Smap and backs off on retryable failures.
  template <typename T, typename F>
  Result<T> withRetry(F&& attempt,
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    auto backoff = options_.initialBackoff;
    refreshIfDegraded();
    for (int i = 1;; ++i) {
      std::shared_ptr<const meta::Smap> smap = currentSmap();
      Result<T> r = onLoop<T>([&] { return attempt(*smap); }, timeout);
      if (r.ok() || i >= options_.maxAttempts || !retryable(r.code())) return r;
      sleepOrSuspend(std::chrono::duration_cast<std::chrono::milliseconds>(backoff));
      backoff *= 2;
      (void)refreshMeta();
    }
  }

  // withRetry for a call to the primary: while no primary answers (an election takes a few
  // seconds after the old one died), keeps trying for up to 20 s, refreshing the Smap.
  template <typename T, typename F>
  Result<T> withPrimary(F&& attempt) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      Result<T> r = withRetry<T>(attempt);
      if (r.ok() || !retryable(r.code()) || std::chrono::steady_clock::now() >= deadline) return r;
      sleepOrSuspend(std::chrono::milliseconds(500));
      (void)refreshMeta();
    }
  }

  std::shared_ptr<const meta::Smap> currentSmap() {
    std::lock_guard lock(mu_);
    return smap_;
  }
  meta::ClusterConfig currentConfig() {
    std::lock_guard lock(mu_);
    return config_;
  }
  void adoptSmap(std::shared_ptr<const meta::Smap> smap) {
    std::lock_guard lock(mu_);
    if (smap && (!smap_ || smap->version > smap_->version)) setSmapLocked(std::move(smap));
  }
  // Under mu_: the Smap from now on, and whether it flags a target down.
  void setSmapLocked(std::shared_ptr<const meta::Smap> smap) {
    bool down = false;
    for (const auto& n : smap->nodes) down |= n.isTarget() && n.down();
    smap_ = std::move(smap);
    targetDown_.store(down, std::memory_order_relaxed);
  }

  // Asks the Smap's primary, else the configured endpoints, else any node of the Smap for the
  // newest metadata (each endpoint once, 3 s each: a frozen node must not hold the caller long).
  Status refreshMeta() {
    std::vector<std::string> candidates;
    auto add = [&](const std::string& ep) {
      if (std::find(candidates.begin(), candidates.end(), ep) == candidates.end()) {
        candidates.push_back(ep);
      }
    };
    auto s = currentSmap();
    if (s) {
      if (auto* p = s->primary()) add(p->rpcEndpoint);
    }
    for (const auto& ep : splitEndpoints(options_.endpoint)) add(ep);
    if (s) {
      for (const auto& n : s->nodes) add(n.rpcEndpoint);
    }
    Status last(Code::kUnavailable, "no node answered");
    for (const auto& ep : candidates) {
      auto r = onLoop<bool>(
          [&] {
            return pool_->get(ep).getMetaRequest().send().then(
                [this](capnp::Response<wire::Node::GetMetaResults>&& resp) -> Result<bool> {
                  auto smap = std::make_shared<const meta::Smap>(meta::fromWire(resp.getSmap()));
                  auto bmd = std::make_shared<const meta::BMD>(meta::fromWire(resp.getBmd()));
                  std::lock_guard lock(mu_);
                  if (!smap_ || smap->version >= smap_->version) setSmapLocked(smap);
                  if (!bmd_ || bmd->version >= bmd_->version) bmd_ = bmd;
                  config_ = meta::fromWire(resp.getConfig());
                  return true;
                });
          },
          std::chrono::milliseconds(3000));
      if (r.ok()) return Status::OK();
      dropOnLoop(ep);
      last = Status(r.code(), ep + ": " + r.status().message());
    }
    return last;
  }

  void dropOnLoop(const std::string& ep) {
    runOnLoop([&] { pool_->drop(ep); });
  }

  // Runs fn (short, synchronous) on the loop thread and returns when it ran; a coroutine caller
  // is suspended meanwhile instead of blocking its thread.
  template <typename F>
  void runOnLoop(F&& fn) {
    if (!WaitHook::current()) return executor_->executeSync(fn);
    awaitCompletion([&](std::function<void()> done) {
      mailbox_.post([&fn, done = std::move(done)] {
        fn();
        done();
      });
    });
  }

  // Continuation helper for a call to the node at ep: drops the connection on transport faults
  // so the next attempt redials, and fails the call when the node stops answering (see
  // whileAnswering): a hung node (stopped, its loop stuck, its network black-holed) then costs
  // seconds instead of the request's whole timeout, and the retry routes around it (with EC, a
  // degraded PUT or read at the next target).
  template <typename T>
  kj::Promise<Result<T>> guard(const std::string& ep, kj::Promise<Result<T>> p) {
    return p.exclusiveJoin(whileAnswering<T>(ep))
        .then([this, ep](Result<T> r) {
          if (r.ok() && suspectCount_.load(std::memory_order_relaxed) != 0) clearSuspect(ep);
          return r;
        })
        .catch_([this, ep](kj::Exception&& e) -> Result<T> {
          pool_->drop(ep);
          return proto::statusFromException(e);
        });
  }

  // whileAnswering's probe, asked on demand by a caller that saw the node fall silent another way
  // (the gateway relaying to the node's HTTP port): true if the node at ep answers within
  // limit; else it is suspected, like after an unanswered probe, and false.
  bool probe(const std::string& ep, std::chrono::milliseconds limit) {
    auto r = onLoop<bool>(
        [&] {
          return answers(ep, limit.count() * kj::MILLISECONDS).then([](bool a) -> Result<bool> {
            return a;
          });
        },
        limit);
    if (r.ok() && *r) {
      if (suspectCount_.load(std::memory_order_relaxed) != 0) clearSuspect(ep);
      return true;
    }
    dropOnLoop(ep);
    suspect(ep);
    return false;
  }

  // Never resolves while the node at ep answers: once a call to it has been out for
  // kProbeEvery, and every kProbeEvery after, the node is asked a cheap question (getMeta, the
  // primary's liveness check too) on the same connection. No answer within kProbeLimit (an
  // answer that is an error counts as one): kUnavailable. A node merely busy answers: its loop
  // does no disk work.
  static constexpr auto kProbeEvery = 5 * kj::SECONDS;
  static constexpr auto kProbeLimit = 5 * kj::SECONDS;
  // The probe's question to the node at ep (loop thread): true once it answers (an answer that
  // is an error counts: the node is there), false when it does not within `limit` or its
  // connection drops. whileAnswering, probe and reprobe ask it.
  kj::Promise<bool> answers(const std::string& ep, kj::Duration limit = kProbeLimit) {
    auto asked = pool_->get(ep).getMetaRequest().send().then(
        [](auto&&) { return true; },
        [](kj::Exception&& e) { return e.getType() != kj::Exception::Type::DISCONNECTED; });
    return pool_->timer().timeoutAfter(limit, kj::mv(asked)).catch_([](kj::Exception&&) {
      return false;
    });
  }
  template <typename T>
  kj::Promise<Result<T>> whileAnswering(std::string ep) {
    return pool_->timer()
        .afterDelay(kProbeEvery)
        .then([this, ep] { return answers(ep); })
        .then([this, ep](bool answered) -> kj::Promise<Result<T>> {
          if (answered) return whileAnswering<T>(ep);
          pool_->drop(ep);
          suspect(ep);
          return Result<T>(Status(
              Code::kUnavailable,
              fmt::format("node at {} stopped answering (a call to it was out and a probe got no "
                          "reply within {} s)",
                          ep, kProbeLimit / kj::SECONDS)));
        });
  }

  Result<const meta::NodeInfo*> owner(const meta::Smap& smap, const std::string& bucket,
                                      const std::string& name) {
    const meta::NodeInfo* t = meta::ownerTarget(smap, meta::uname(bucket, name));
    if (!t) return Status(Code::kNoTargets);
    return t;
  }

  // A control call to the primary whose reply is a status: `send(node)` makes and sends the
  // request. Retried like every call (a new primary, a stale map).
  template <typename Send>
  Status askPrimary(Send send) {
    auto r = withPrimary<bool>([&](const meta::Smap& smap) -> kj::Promise<Result<bool>> {
      auto p = primary(smap);
      if (!p.ok()) return Result<bool>(p.status());
      const std::string& ep = (*p)->rpcEndpoint;
      return guard<bool>(ep, send(pool_->get(ep)).then([](auto&& r) -> Result<bool> {
        Status s = toStatus(r.getStatus());
        if (!s.ok()) return s;
        return true;
      }));
    });
    return r.status();
  }

  Result<const meta::NodeInfo*> primary(const meta::Smap& smap) {
    const meta::NodeInfo* p = smap.primary();
    if (!p) return Status(Code::kUnavailable, "the cluster map names no primary proxy");
    return p;
  }

  // A write's issue time as an attempt sends it (PutOptions::issuedNs): the caller's, else now.
  static int64_t issuedAt(const PutOptions& opts) {
    return opts.issuedNs ? opts.issuedNs : unixNowNs();
  }

  void fillRef(wire::ObjectRef::Builder ref, const meta::Smap& smap, const std::string& bucket,
               const std::string& name) {
    ref.setBucket(bucket);
    ref.setName(name);
    ref.setSmapVersion(smap.version);
    ref.setWriter(options_.changeWriter);
  }

  // Streams `src` into a PutStream then commits with the sender's checksum.
  kj::Promise<Result<ObjectInfo>> streamPut(wire::Node::Client target, const meta::Smap& smap,
                                            const std::string& bucket, const std::string& name,
                                            const PutOptions& opts, ChunkSource& src,
                                            bool degraded = false) {
    auto req = target.beginPutRequest();
    fillRef(req.initRef(), smap, bucket, name);
    req.getRef().setIfAbsent(opts.ifAbsent);
    req.getRef().setIfVersion(opts.ifVersion);
    req.getRef().setDegraded(degraded);
    req.getRef().setIssuedNs(opts.issuedNs);
    if (!opts.custom.empty()) proto::toWire(opts.custom, req.initCustom(opts.custom.size()));
    // Wait for the target's go-ahead: a refused PUT (no bucket, stale Smap) must not look like a
    // broken stream.
    return req.send().then([this, &src, &opts](capnp::Response<wire::Node::BeginPutResults>&& r)
                               -> kj::Promise<Result<ObjectInfo>> {
      Status s = toStatus(r.getStatus());
      if (!s.ok()) return Result<ObjectInfo>(s);
      wire::PutStream::Client stream = r.getStream();
      return writeChunks(stream, src)
          .then([stream, &src, &opts](Status st) mutable -> kj::Promise<Result<ObjectInfo>> {
            if (!st.ok()) return Result<ObjectInfo>(st);
            auto commit = stream.commitRequest();
            commit.setChecksum(src.digest());
            commit.setIssuedNs(issuedAt(opts));
            return commit.send().then(
                [](capnp::Response<wire::PutStream::CommitResults>&& r) -> Result<ObjectInfo> {
                  Status s = toStatus(r.getStatus());
                  if (!s.ok()) return s;
                  return fromWire(r.getAttrs());
                });
          });
    });
  }

  kj::Promise<Status> writeChunks(wire::PutStream::Client stream, ChunkSource& src) {
    auto chunk = src.next();
    if (!chunk.ok()) return chunk.status();
    if (chunk->bytes.size() == 0 && chunk->zeros == 0) return Status::OK();
    if (src.progress) src.progress(src.done(), src.total());
    if (chunk->zeros > 0) {
      auto req = stream.writeZerosRequest();
      req.setLength(chunk->zeros);
      return req.send().then([this, stream, &src]() mutable { return writeChunks(stream, src); });
    }
    auto req = stream.writeRequest();
    req.setChunk(chunk->bytes);
    return req.send().then([this, stream, &src]() mutable { return writeChunks(stream, src); });
  }

  // GET into `sink`; verifies the bytes against the target's checksum of what it sent.
  kj::Promise<Result<ObjectInfo>> getInto(wire::Node::Client target, const meta::Smap& smap,
                                          const std::string& bucket, const std::string& name,
                                          std::optional<ByteRange> range,
                                          std::shared_ptr<proto::SinkState> state, bool localOnly,
                                          bool degraded = false) {
    auto req = target.getObjectRequest();
    fillRef(req.initRef(), smap, bucket, name);
    req.getRef().setLocalOnly(localOnly);
    req.getRef().setDegraded(degraded);
    if (range) {
      req.setOffset(range->offset);
      req.setToEnd(!range->length.has_value());
      req.setLength(range->length.value_or(0));
      if (!range->archpath.empty()) req.setArchpath(range->archpath);
      req.setIfChecksum(range->ifChecksum);
    } else {
      req.setToEnd(true);
    }
    // (The cluster config's fabric.inline_max_bytes once a node sent it; 0: always streamed.)
    meta::ClusterConfig config = currentConfig();
    uint32_t inlineMax = config.version ? config.inlineMaxBytes : kInlineGetMax;
    req.setInlineMax(inlineMax);
    req.setSink(kj::heap<proto::DataSink>(state));
    return req.send()
        .then([state](capnp::Response<wire::Node::GetObjectResults>&& r) -> Result<ObjectInfo> {
          Status s = toStatus(r.getStatus());
          if (!s.ok()) return s;
          auto data = r.getData();
          if (data.size() > 0) {
            Status st = state->consume(data.begin(), data.size());
            if (!st.ok()) return st;
          }
          state->closed = true;
          if (!state->error.ok()) return state->error;
          if (state->bytes != r.getSentBytes() || state->digest() != r.getDataChecksum()) {
            return Status(Code::kChecksumMismatch, "data damaged in transit");
          }
          return fromWire(r.getAttrs());
        })
        .catch_([state](kj::Exception&& e) -> Result<ObjectInfo> {
          // A failing local write aborts the stream; report it rather than the transport error.
          if (!state->error.ok()) return state->error;
          kj::throwFatalException(kj::mv(e));
        });
  }

  // The holder's copy went away between the owner's answer and our read: the move finished, so
  // the owner has it now. StaleSmap makes withRetry() ask the owner again.
  static Result<ObjectInfo> movedMeanwhile(Result<ObjectInfo> r) {
    if (r.code() == Code::kObjectNotFound) {
      return Status(Code::kStaleSmap, "object moved to its owner during the read");
    }
    return r;
  }

  // True if the bucket has erasure coding in this client's BMD: its objects can be read while
  // their owner is down.
  bool ecEnabled(const std::string& bucket) {
    std::lock_guard lock(mu_);
    const meta::BucketProps* p = bmd_ ? bmd_->find(bucket) : nullptr;
    return p && p->ec.enabled;
  }
  // The bucket's EC parity slices P in this client's BMD (0 without EC): a listing missing up
  // to P targets is completed from the pieces the others hold.
  uint32_t ecParity(const std::string& bucket) {
    std::lock_guard lock(mu_);
    const meta::BucketProps* p = bmd_ ? bmd_->find(bucket) : nullptr;
    return p && p->ec.enabled ? p->ec.paritySlices : 0;
  }
  static bool unreachable(Code code) {
    return code == Code::kUnavailable || code == Code::kTimeout;
  }
  // Where a degraded read goes (the owner is down or did not answer): the first target after
  // the owner in HRW order that is not marked down nor in `silent` (did not answer this read),
  // and not suspected unless every such target is; it rebuilds the object from the EC slices.
  const meta::NodeInfo* degradedTarget(const meta::Smap& smap, const std::string& bucket,
                                       const std::string& name,
                                       const std::set<std::string>& silent = {}) {
    auto order = meta::targetsInHrwOrder(smap, meta::uname(bucket, name));
    const meta::NodeInfo* suspect = nullptr;
    for (size_t i = 1; i < order.size(); ++i) {
      if (order[i]->down() || silent.count(order[i]->id)) continue;
      if (!suspected(order[i]->rpcEndpoint)) return order[i];
      if (!suspect) suspect = order[i];
    }
    return suspect;
  }
  // Where a PUT goes: the owner; in a bucket with EC whose owner is marked down or did not answer
  // (`silent`), the next target after it in HRW order that may answer, which stores the object,
  // protects it, and hands it to the owner once it is back (a degraded PUT).
  struct PutRoute {
    const meta::NodeInfo* target;
    bool degraded;
  };
  Result<PutRoute> putRoute(const meta::Smap& smap, const std::string& bucket,
                            const std::string& name, const std::set<std::string>& silent) {
    auto t = owner(smap, bucket, name);
    if (!t.ok()) return t.status();
    if (!(goesAround(**t) || silent.count((*t)->id)) || !ecEnabled(bucket)) {
      return PutRoute{*t, false};
    }
    const meta::NodeInfo* d = degradedTarget(smap, bucket, name, silent);
    if (!d) return Status(Code::kUnavailable, "no target answers");
    return PutRoute{d, true};
  }
  // Notes in `silent` a target that did not answer the call.
  template <typename T>
  static kj::Promise<Result<T>> noteSilent(kj::Promise<Result<T>> p, std::set<std::string>& silent,
                                           std::string id) {
    return p.then([&silent, id](Result<T> r) {
      if (unreachable(r.code())) silent.insert(id);
      return r;
    });
  }

  kj::Promise<Result<ObjectInfo>> getDegraded(const meta::Smap& smap, const std::string& bucket,
                                              const std::string& name,
                                              std::optional<ByteRange> range,
                                              std::shared_ptr<proto::SinkState> state,
                                              std::set<std::string> silent = {}) {
    const meta::NodeInfo* t = degradedTarget(smap, bucket, name, silent);
    if (!t) return Result<ObjectInfo>(Status(Code::kUnavailable, "no target answers"));
    const std::string& ep = t->rpcEndpoint;
    return guard(ep, getInto(pool_->get(ep), smap, bucket, name, range, state, false, true))
        .then([this, &smap, &bucket, &name, range, state, silent,
               id = t->id](Result<ObjectInfo> r) mutable -> kj::Promise<Result<ObjectInfo>> {
          if (!unreachable(r.code()) || state->bytes != 0) return r;
          silent.insert(id);  // down too: the next one
          return getDegraded(smap, bucket, name, range, state, std::move(silent));
        });
  }

  kj::Promise<Result<ObjectInfo>> headAt(const std::string& ep, const meta::Smap& smap,
                                         const std::string& bucket, const std::string& name,
                                         bool localOnly, bool degraded) {
    auto req = pool_->get(ep).headObjectRequest();
    fillRef(req.initRef(), smap, bucket, name);
    req.getRef().setLocalOnly(localOnly);
    req.getRef().setDegraded(degraded);
    return guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
      Status s = toStatus(r.getStatus());
      if (!s.ok()) return s;
      return fromWire(r.getAttrs());
    }));
  }
  // A degraded HEAD: each target after the owner in turn until one answers (see getDegraded).
  kj::Promise<Result<ObjectInfo>> headDegraded(const meta::Smap& smap, const std::string& bucket,
                                               const std::string& name,
                                               std::set<std::string> silent) {
    const meta::NodeInfo* t = degradedTarget(smap, bucket, name, silent);
    if (!t) return Result<ObjectInfo>(Status(Code::kUnavailable, "no target answers"));
    return headAt(t->rpcEndpoint, smap, bucket, name, false, true)
        .then([this, &smap, &bucket, &name, silent,
               id = t->id](Result<ObjectInfo> r) mutable -> kj::Promise<Result<ObjectInfo>> {
          if (!unreachable(r.code())) return r;
          silent.insert(id);
          return headDegraded(smap, bucket, name, std::move(silent));
        });
  }

  // A whole GET into memory (*out), started again from the owner if the Smap changes: what
  // Client::get and Client::getRange share.
  Result<ObjectInfo> getBuffered(const std::string& bucket, const std::string& name,
                                 std::optional<ByteRange> range, std::string* out) {
    AIS_RETURN_IF_ERROR(checkNames(options_, bucket, name));
    std::shared_ptr<proto::SinkState> state;
    auto r = withRetry<ObjectInfo>([&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
      auto t = owner(smap, bucket, name);
      if (!t.ok()) return Result<ObjectInfo>(t.status());
      state = std::make_shared<proto::SinkState>();
      return getFollowingMoves(smap, **t, bucket, name, range, state);
    });
    if (r.ok()) *out = std::move(state->buffer);
    return r;
  }

  // GET from the owner; if a rebalance has not moved the object there yet, from its holder; if
  // the owner is down and the bucket has EC, a degraded read from the target after it.
  kj::Promise<Result<ObjectInfo>> getFollowingMoves(const meta::Smap& smap,
                                                    const meta::NodeInfo& owner,
                                                    const std::string& bucket,
                                                    const std::string& name,
                                                    std::optional<ByteRange> range,
                                                    std::shared_ptr<proto::SinkState> state) {
    bool ec = ecEnabled(bucket);
    if (ec && goesAround(owner)) return getDegraded(smap, bucket, name, range, state);
    // (No copy elsewhere. Only when flagged down: a node merely suspected may answer again.)
    if (owner.down()) return Result<ObjectInfo>(ownerUnavailable(owner));
    const std::string& ep = owner.rpcEndpoint;
    return guard(ep, getInto(pool_->get(ep), smap, bucket, name, range, state, false))
        .then([this, &smap, &bucket, &name, range, state,
               ec](Result<ObjectInfo> r) -> kj::Promise<Result<ObjectInfo>> {
          if (ec && unreachable(r.code()) && state->bytes == 0) {
            return getDegraded(smap, bucket, name, range, state);
          }
          if (r.code() != Code::kObjectMoved) return r;
          const meta::NodeInfo* holder = smap.find(r.status().message(), meta::Role::kTarget);
          if (!holder) return Result<ObjectInfo>(Status(Code::kStaleSmap, "unknown holder"));
          const std::string& hep = holder->rpcEndpoint;
          return guard(hep, getInto(pool_->get(hep), smap, bucket, name, range, state, true))
              .then([](Result<ObjectInfo> r) { return movedMeanwhile(std::move(r)); });
        });
  }

  Options options_;
  std::thread thread_;
  const kj::Executor* executor_ = nullptr;
  proto::LoopMailbox mailbox_;  // work from coroutine callers (see WaitHook)
  kj::Own<kj::PromiseFulfiller<void>> stop_;
  kj::Own<proto::ConnectionPool> pool_;  // loop thread only
  // Calls nobody waits for (reprobe), loop thread only; gone before the pool they use.
  struct IgnoreFailures : kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&&) override {}
  } ignoreFailures_;
  kj::Own<kj::TaskSet> background_;

  std::mutex mu_;  // guards the metadata snapshots below, and the suspects
  std::shared_ptr<const meta::Smap> smap_;
  std::shared_ptr<const meta::BMD> bmd_;
  meta::ClusterConfig config_;
  std::chrono::steady_clock::time_point metaAt_{};  // the last refreshMeta (or try of one)
  // Nodes whose probe went unanswered (whileAnswering), until when: listings that ask every
  // target skip them (fanOutSkips) rather than wait out the probe again on every page. A node is
  // suspected for longer than the primary takes to flag a silent node down (10 s of silence),
  // so that the Smap refreshed meanwhile (refreshIfDegraded) takes over.
  static constexpr auto kSuspectFor = std::chrono::seconds(15);
  std::map<std::string, std::chrono::steady_clock::time_point> suspects_;
  std::atomic<size_t> suspectCount_{0};  // suspects_.size(), read without the lock
  std::atomic<bool> targetDown_{false};  // smap_ flags a target down (setSmapLocked)

  void suspect(const std::string& ep) {
    std::lock_guard lock(mu_);
    suspects_[ep] = std::chrono::steady_clock::now() + kSuspectFor;
    suspectCount_ = suspects_.size();
  }
  // A call to it succeeded: it answers again.
  void clearSuspect(const std::string& ep) {
    std::lock_guard lock(mu_);
    suspects_.erase(ep);
    suspectCount_ = suspects_.size();
  }
  // A target a listing across all targets does not ask: flagged down in the Smap, or (but on a
  // listing's last try, which asks it anyway) suspected here. Its part is then missing: answered
  // from EC pieces, or an error that says which target (Client::list).
  bool fanOutSkips(const meta::NodeInfo& t, bool lastTry = false) {
    return t.down() || (!lastTry && suspected(t.rpcEndpoint));
  }
  // An owner a read or write of a bucket with EC goes around (degraded) without asking it first.
  bool goesAround(const meta::NodeInfo& owner) {
    return owner.down() || suspected(owner.rpcEndpoint);
  }
  // What a listing gets for a target it skipped (fanOutSkips).
  static Status notAsked(const std::string& id) {
    return Status(Code::kUnavailable,
                  "target " + id + " is flagged down or did not answer a probe: not asked");
  }
  // What a read of a plain bucket's object gets while the Smap flags its owner down: at once,
  // rather than each attempt waiting out the probe of a node that does not answer.
  static Status ownerUnavailable(const meta::NodeInfo& owner) {
    return Status(Code::kUnavailable,
                  "target " + owner.id + " (the owner) is down or does not answer");
  }
  bool suspected(const std::string& ep) {
    if (suspectCount_.load(std::memory_order_relaxed) == 0) return false;
    std::lock_guard lock(mu_);
    auto it = suspects_.find(ep);
    if (it == suspects_.end()) return false;
    if (std::chrono::steady_clock::now() < it->second) return true;
    suspects_.erase(it);
    suspectCount_ = suspects_.size();
    return false;
  }
  // While a target is flagged down or suspected, asks for the Smap again, at most once a second
  // (every call through withRetry, and listings, call this first): a node the primary flags
  // down, or back up, is known soon, not only when a call fails.
  void refreshIfDegraded() {
    // (Every call comes here first: a healthy cluster costs two atomic loads, no lock.)
    if (suspectCount_.load(std::memory_order_relaxed) == 0 &&
        !targetDown_.load(std::memory_order_relaxed)) {
      return;
    }
    {
      std::lock_guard lock(mu_);
      auto now = std::chrono::steady_clock::now();
      std::erase_if(suspects_, [&](const auto& kv) { return kv.second <= now; });
      suspectCount_ = suspects_.size();
      bool degraded = !suspects_.empty() || targetDown_.load(std::memory_order_relaxed);
      if (!degraded || now - metaAt_ < std::chrono::seconds(1)) return;
      metaAt_ = now;  // (one caller refreshes; the others go on with the map they have)
      for (const auto& kv : suspects_) reprobe(kv.first);
    }
    (void)refreshMeta();
  }
  // Asks a suspected node again without waiting for the answer (refreshIfDegraded, at most once
  // a second): a node that only missed a probe (a long pause, a burst of load) is trusted again
  // as soon as it answers, not only when its suspicion runs out (kSuspectFor): EC reads and
  // writes stop going degraded around an owner that is fine.
  void reprobe(std::string ep) {
    mailbox_.post([this, ep = std::move(ep)] {
      background_->add(answers(ep).then([this, ep](bool answered) {
        if (answered) clearSuspect(ep);
      }));
    });
  }

  // A page of a listing without a delimiter from the cursor of the listing that stopped at the
  // page's token, or a new one (client_list_cursor.cc); nullopt if a target did not answer.
  std::optional<ListPage> pageFromCursor(const std::string& bucket, const ListOptions& options,
                                         uint32_t pageSize);
  std::mutex cursorsMu_;
  std::map<std::string, std::unique_ptr<ListCursor>> cursors_;  // by bucket, prefix, position
};

}  // namespace ais
