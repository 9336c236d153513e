// Client::getStream: a GET whose chunks are handed to the caller's thread as they arrive, with
// flow control: the sink holds at most kWindow chunks; while the caller is behind, the sink's
// write() does not complete, so the fabric stream stops the sender.
#include <kj/debug.h>
#include <xxhash.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "proto/client.h"
#include "proto/client_impl.h"
#include "proto/data_sink.h"
#include "proto/sink_progress.h"

namespace ais {
namespace {

constexpr size_t kWindow = 4;

// Shared by the loop thread (producer: the sink and the reply) and the caller (consumer).
struct StreamQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  bool done = false;
  Result<ObjectInfo> result = Status(Code::kInternal, "stream not finished");
  bool abandoned = false;                                      // the caller stopped reading
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> spaceWaiter;  // a write waiting for room
  // Fulfilled when the caller stops reading: the reply's wait for held-back chunks ends (they
  // will never be taken, and the sink may never hear of them again).
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> abandonSignal;

  // Loop-thread only: what arrived, for the end-to-end check against the sender's checksum.
  XXH64_state_t* hash = XXH64_createState();
  uint64_t bytes = 0;

  StreamQueue() { XXH64_reset(hash, 0); }
  ~StreamQueue() { XXH64_freeState(hash); }

  // A coroutine consumer waiting for a chunk or the end (see waitReady).
  std::function<void()> waker;

  // Under mu: wakes the consumer.
  void notifyLocked() {
    cv.notify_all();
    if (waker) std::exchange(waker, nullptr)();
  }

  void finish(Result<ObjectInfo> r) {
    std::lock_guard lock(mu);
    done = true;
    result = std::move(r);
    notifyLocked();
  }

  bool ready() const { return !chunks.empty() || done; }

  // The consumer (lock held on entry and exit): until a chunk is queued or the reply came. A
  // coroutine consumer is suspended rather than blocking its thread.
  void waitReady(std::unique_lock<std::mutex>& lock) {
    if (!WaitHook::current()) return cv.wait(lock, [&] { return ready(); });
    while (!ready()) {
      lock.unlock();
      awaitCompletion([this](std::function<void()> done) {
        std::lock_guard l(mu);
        if (ready()) return done();
        waker = std::move(done);
      });
      lock.lock();
    }
  }
};

class StreamSink final : public wire::ByteSink::Server {
 public:
  StreamSink(std::shared_ptr<StreamQueue> q, kj::Own<proto::SinkProgress> progress)
      : q_(std::move(q)), progress_(kj::mv(progress)) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    auto chunk = context.getParams().getChunk();
    return push(std::string(reinterpret_cast<const char*>(chunk.begin()), chunk.size()));
  }
  kj::Promise<void> writeZeros(WriteZerosContext context) override {
    uint64_t len = context.getParams().getLength();
    KJ_REQUIRE(len <= proto::kMaxZeroRun, "a run of zeros over 64 MiB");
    return push(std::string(static_cast<size_t>(len), '\0'));
  }

 private:
  kj::Promise<void> push(std::string chunk) {
    XXH64_update(q_->hash, chunk.data(), chunk.size());
    q_->bytes += chunk.size();
    progress_->add(chunk.size());
    std::lock_guard lock(q_->mu);
    if (q_->abandoned) progress_->fail();
    KJ_REQUIRE(!q_->abandoned, "the reader went away");
    q_->chunks.push_back(std::move(chunk));
    q_->notifyLocked();
    if (q_->chunks.size() < kWindow) return kj::READY_NOW;
    auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
    q_->spaceWaiter = kj::mv(paf.fulfiller);
    return kj::mv(paf.promise);
  }

  std::shared_ptr<StreamQueue> q_;
  kj::Own<proto::SinkProgress> progress_;
};

}  // namespace

Result<ObjectInfo> Client::getStream(const std::string& bucket, const std::string& name,
                                     ByteRange range, uint64_t ifVersion,
                                     const std::function<Status(std::string_view)>& consume) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(name));
  auto backoff = impl_->options_.initialBackoff;
  std::string holderEp;  // set when the owner said ObjectMoved: read the holder's copy
  bool ec = impl_->ecEnabled(bucket);
  bool ownerSilent = false;      // the owner did not answer the last attempt
  std::set<std::string> silent;  // targets that did not answer a degraded read
  impl_->refreshIfDegraded();
  for (int attempt = 1;; ++attempt) {
    auto smap = impl_->currentSmap();
    auto owner = impl_->owner(*smap, bucket, name);
    if (!owner.ok()) return owner.status();
    std::string ep = holderEp.empty() ? (*owner)->rpcEndpoint : holderEp;
    bool localOnly = !holderEp.empty();
    // The owner down and the bucket with EC: a degraded read from the target after it.
    bool degraded = false;
    std::string degradedId;
    if (ec && holderEp.empty() && (ownerSilent || impl_->goesAround(**owner))) {
      if (const meta::NodeInfo* d = impl_->degradedTarget(*smap, bucket, name, silent)) {
        ep = d->rpcEndpoint;
        degraded = true;
        degradedId = d->id;
      }
    }
    // A plain bucket's owner the Smap flags down: no copy elsewhere, so not asked (each attempt
    // would wait out the probe of a node that does not answer), as the buffered GET and HEAD.
    if (!ec && holderEp.empty() && (*owner)->down()) {
      if (attempt >= impl_->options_.maxAttempts) return Impl::ownerUnavailable(**owner);
      sleepOrSuspend(std::chrono::duration_cast<std::chrono::milliseconds>(backoff));
      backoff *= 2;
      (void)impl_->refreshMeta();
      continue;
    }
    auto q = std::make_shared<StreamQueue>();
    impl_->runOnLoop([&] {
      auto req = impl_->pool_->get(ep).getObjectRequest();
      impl_->fillRef(req.initRef(), *smap, bucket, name);
      req.getRef().setLocalOnly(localOnly);
      req.getRef().setDegraded(degraded);
      req.setOffset(range.offset);
      req.setToEnd(!range.length.has_value());
      req.setLength(range.length.value_or(0));
      req.setIfVersion(ifVersion);
      req.setIfChecksum(range.ifChecksum);
      if (!range.archpath.empty()) req.setArchpath(range.archpath);
      if (!range.archiveMime.empty()) req.setArchiveMime(range.archiveMime);
      req.setInlineMax(0);
      auto progress = kj::refcounted<proto::SinkProgress>();
      req.setSink(kj::heap<StreamSink>(q, kj::addRef(*progress)));
      auto abandoned = kj::newPromiseAndCrossThreadFulfiller<void>();
      {
        std::lock_guard lock(q->mu);
        q->abandonSignal = kj::mv(abandoned.fulfiller);
      }
      auto call = req.send().then([q, progress = kj::mv(progress),
                                   abandonedPromise = kj::mv(abandoned.promise)](
                                      capnp::Response<wire::Node::GetObjectResults>&& r) mutable
                                  -> kj::Promise<Result<ObjectInfo>> {
        Status s = proto::toStatus(r.getStatus());
        if (!s.ok()) return Result<ObjectInfo>(s);
        // Chunks held back by flow control may still be on their way to the sink.
        uint64_t sent = r.getSentBytes();
        auto resp = kj::heap(kj::mv(r));
        auto arrived = progress->until(sent).exclusiveJoin(kj::mv(abandonedPromise));
        return arrived.attach(kj::mv(progress))
            .then([q, resp = kj::mv(resp)]() -> Result<ObjectInfo> {
              auto& r = *resp;
              auto data = r.getData();  // an empty range comes back inline
              if (data.size() > 0) {
                XXH64_update(q->hash, data.begin(), data.size());
                q->bytes += data.size();
                std::lock_guard lock(q->mu);
                q->chunks.emplace_back(reinterpret_cast<const char*>(data.begin()), data.size());
              }
              if (q->bytes != r.getSentBytes() || XXH64_digest(q->hash) != r.getDataChecksum()) {
                return Status(Code::kChecksumMismatch, "data damaged in transit");
              }
              return proto::fromWire(r.getAttrs());
            });
      });
      impl_->pool_->timer()
          .timeoutAfter(24 * kj::HOURS, impl_->guard<ObjectInfo>(ep, kj::mv(call)))
          .then([q](Result<ObjectInfo> r) { q->finish(std::move(r)); },
                [q](kj::Exception&& e) { q->finish(proto::statusFromException(e)); })
          .detach([](kj::Exception&&) {});
    });

    // Consume on this thread until the reply came and every chunk was handed over.
    uint64_t consumed = 0;
    Status consumeError;
    for (;;) {
      std::unique_lock lock(q->mu);
      q->waitReady(lock);
      if (q->chunks.empty()) break;  // done, all handed over
      std::string chunk = std::move(q->chunks.front());
      q->chunks.pop_front();
      auto waiter = kj::mv(q->spaceWaiter);
      lock.unlock();
      if (waiter) waiter->fulfill();  // room again: the sink's write completes
      consumeError = consume(chunk);
      consumed += chunk.size();
      if (!consumeError.ok()) break;
    }
    if (!consumeError.ok()) {
      // Stop the sender: the waiting write (if any) fails, and so does every later one.
      std::unique_lock lock(q->mu);
      q->abandoned = true;
      auto waiter = kj::mv(q->spaceWaiter);
      auto signal = kj::mv(q->abandonSignal);
      lock.unlock();
      if (waiter) waiter->reject(KJ_EXCEPTION(DISCONNECTED, "the reader went away"));
      if (signal) signal->fulfill();
      return consumeError;
    }
    Result<ObjectInfo> r = [&] {
      std::lock_guard lock(q->mu);
      return q->result;
    }();
    if (r.ok() || consumed > 0 || attempt >= impl_->options_.maxAttempts) return r;
    if (r.code() == Code::kObjectMoved && holderEp.empty()) {
      const meta::NodeInfo* holder = smap->find(r.status().message(), meta::Role::kTarget);
      if (holder) {
        holderEp = holder->rpcEndpoint;
        continue;
      }
    }
    if (!retryable(r.code()) && r.code() != Code::kObjectMoved &&
        !(localOnly && r.code() == Code::kObjectNotFound)) {
      return r;
    }
    bool silentNow = Impl::unreachable(r.code());
    if (degraded && silentNow) silent.insert(degradedId);
    ownerSilent = ownerSilent || (!degraded && silentNow);
    holderEp.clear();
    if (silentNow && ec) continue;  // straight to the (next) degraded read
    sleepOrSuspend(std::chrono::duration_cast<std::chrono::milliseconds>(backoff));
    backoff *= 2;
    (void)impl_->refreshMeta();
  }
}

}  // namespace ais
