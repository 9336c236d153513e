// ObjectService: a target's object logic as a plain domain class. It checks that a request is
// routed right (bucket known, names valid, this target the HRW owner under its Smap) on the loop
// thread, runs the Store work on the object's mountpath I/O workers (io_workers.h), streams bytes
// to a sink, and makes the few calls to peer targets (finding or removing a misplaced copy,
// sending an object to its owner). Data is verified end to end: every read is block-verified by
// the Store, whole-object reads are checked against the object checksum, PUTs against the
// sender's.
//
// No capnp call contexts here: TargetService (target.h) translates the fabric's calls, and the
// unit tests drive this class directly, without a network, over a disk that fails or lies
// (store/disk_faults.h). Loop-thread only.
#pragma once

#include <kj/async.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "node/node_context.h"
#include "node/target/ec_service.h"
#include "node/target/io_workers.h"
#include "proto/ais.capnp.h"

namespace ais::node {

// StaleSmap unless this target is the HRW owner of the name under its Smap.
Status checkOwnedHere(const NodeContext& ctx, const std::string& bucket, const std::string& name);

struct ObjectRef {
  std::string bucket;
  std::string name;
  bool localOnly = false;  // this target's own copy: no owner check, no search elsewhere
  bool ifAbsent = false;   // PUT: ObjectExists if there is one (rebalance never overwrites)
  int64_t mtimeNs = 0;     // PUT: the modification time to keep (a moved object); 0: now
  bool degraded = false;   // GET/HEAD: the owner is down; serve from EC slices or replicas
  uint64_t ifVersion = 0;  // PUT/DELETE: VersionChanged unless the object is this version now
  uint64_t writer = 0;     // the aisfs mount making the change (store/change_writer.h); 0: anyone
  int64_t issuedNs = 0;  // PUT: when the client issued it (store::PutOptions::issuedNs); 0: unknown
};

// Which bytes a GET wants and how they travel.
struct GetRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool toEnd = true;        // from offset to the end (length ignored)
  uint64_t ifVersion = 0;   // non-zero: VersionChanged if the object is another version
  uint64_t inlineMax = 0;   // replies up to this many bytes come back inline, larger ones stream
  uint64_t ifChecksum = 0;  // non-zero: VersionChanged unless the object's xxhash64 is this
};

struct GetReply {
  store::Lom lom;
  std::optional<std::string> inlined;  // the bytes, if they came back inline
  uint64_t sentBytes = 0;              // inline or streamed
  uint64_t dataChecksum = 0;           // xxhash64 of exactly those bytes
};

struct ListQuery {
  std::string bucket, prefix, startAfter, delimiter;
  size_t limit = 1000;
  bool markers = false;  // a rolled-up prefix's own object is listed too (listObjects)
  uint64_t writer = 0;   // the asking aisfs mount: its change token leaves its own writes out
};

struct ListPage {
  std::vector<store::Lom> entries;
  std::vector<std::string> prefixes;  // common prefixes rolled up at the delimiter
};

class ObjectService final : private kj::TaskSet::ErrorHandler {
 public:
  using ReaderPtr = std::shared_ptr<store::ObjectReader>;

  explicit ObjectService(NodeContext& ctx) : ctx_(ctx), ec_(ctx), background_(*this) {}
  // At start-up, before serving: the handovers and repeated deletes a previous run left
  // unfinished (its notes) are resumed.
  void resumePending();

  EcService& ec() { return ec_; }
  // After a commit of ref's object on its owner: the bucket's EC protection of it (the result as
  // is without EC, for a target's own copies, or if the commit failed).
  kj::Promise<Result<store::Lom>> protectCommitted(const ObjectRef& ref, Result<store::Lom> lom);

  // One-shot PUT of `data`, which must stay valid until the promise resolves. The commit fails
  // (ChecksumMismatch, nothing stored) unless the bytes hash to `checksum`.
  kj::Promise<Result<store::Lom>> put(ObjectRef ref, kj::ArrayPtr<const kj::byte> data,
                                      uint64_t checksum, std::map<std::string, std::string> custom);
  // Many one-shot PUTs (putBatch in ais.capnp); every item's data stays valid until the promise
  // resolves. Plain objects are committed in groups per bucket and mountpath (Store::putGroup);
  // the others (EC buckets, moved copies, conditional or degraded PUTs) one by one as put().
  struct BatchItem {
    ObjectRef ref;
    kj::ArrayPtr<const kj::byte> data;
    uint64_t checksum = 0;
    std::map<std::string, std::string> custom;
  };
  kj::Promise<std::vector<Result<store::Lom>>> putBatch(std::vector<BatchItem> items);
  // Streaming PUT: the returned stream takes chunks, then commit (see PutStream in ais.capnp).
  kj::Promise<Result<kj::Own<wire::PutStream::Server>>> beginPut(
      ObjectRef ref, std::map<std::string, std::string> custom);
  // The range's bytes, inline or written to `sink` chunk by chunk, every one verified before it
  // leaves; a miss that another target can answer is ObjectMoved(holder).
  kj::Promise<Result<GetReply>> get(ObjectRef ref, GetRange range,
                                    kj::Maybe<wire::ByteSink::Client> sink);
  // The range of bytes already in memory (restored, or decoded from an archive) as get() answers
  // it: inline, or streamed to the sink. restored.lom describes those bytes.
  kj::Promise<Result<GetReply>> sendMemory(const ObjectRef& ref, const GetRange& range,
                                           kj::Maybe<wire::ByteSink::Client> sink,
                                           EcRestored restored);
  kj::Promise<Result<store::Lom>> head(ObjectRef ref);
  // Also removes misplaced copies on other targets (unless localOnly).
  kj::Promise<Status> remove(ObjectRef ref);
  // A delete as the fabric's deleteObject has it: remove(), unless it is a client's delete in a
  // bucket with S3 object versioning (Store::removeVersioned) or of the version versionId
  // (Store::removeVersion), done on the owner alone (a key's versions live there). Moves, a
  // target's own copies and kept versions themselves are plain deletes.
  kj::Promise<Result<store::Store::Removed>> removeObject(ObjectRef ref, std::string versionId);
  // custom: merged into the moved object's metadata in the same step ("" deletes a key).
  // A `from` that has not reached this target (its owner) yet is fetched first (fetchHeld);
  // so is the object of setCustom and copy.
  kj::Promise<Result<store::Lom>> rename(ObjectRef ref, std::string to,
                                         std::map<std::string, std::string> custom = {});
  // An object this target owns but does not hold yet, held by another target (a rebalance pass
  // has not come to it, a target in maintenance holds it, a handover is on its way): that one
  // moves it here now (moveToOwner). OK: here now (or gone meanwhile); ObjectNotFound: no target
  // holds it; Unavailable: the holder could not move it.
  kj::Promise<Status> fetchHeld(const ObjectRef& ref);
  // The fabric's moveToOwner: this target's copy of ref's object, which another target owns,
  // moved to it now (moveToOwner; a pending handover of it counts as done).
  kj::Promise<Status> moveHeld(ObjectRef ref);
  kj::Promise<Result<ListPage>> list(ListQuery query);
  kj::Promise<Result<bool>> bucketEmpty(std::string bucket);
  // merge: keys are added or replaced, an empty value removes its key; else all are replaced.
  // counters (if any): changed atomically after the merge (store::CustomCounters).
  kj::Promise<Result<store::Lom>> setCustom(ObjectRef ref,
                                            std::map<std::string, std::string> custom, bool merge,
                                            std::optional<store::CustomCounters> counters = {});
  // custom: the copy's metadata (nullopt: the source's). dstIfAbsent / dstIfVersion: the copy is
  // committed only if the destination is free / is that version (S3 conditional copy).
  kj::Promise<Result<store::Lom>> copy(ObjectRef ref, std::string dstBucket, std::string dstName,
                                       std::optional<std::map<std::string, std::string>> custom,
                                       bool dstIfAbsent = false, uint64_t dstIfVersion = 0);
  // Scrub of the bucket on every mountpath, merged; `counters` runs while it goes and its
  // stopRequested is polled between objects.
  kj::Promise<Result<store::ValidateReport>> validate(
      std::string bucket, std::shared_ptr<store::ScrubCounters> counters);

  // What this target holds for targetId, written or deleted here while it was away (degraded
  // PUTs and deletes), sent to it now rather than at the next round: the objects handed over,
  // the deletes repeated there. done: delivered; left: failed (the rounds go on).
  struct HandOverReport {
    uint32_t done = 0, left = 0;
  };
  kj::Promise<HandOverReport> handOverTo(const std::string& targetId);
  // At start-up, before this target joins (and is sent reads as a member): every peer is asked to
  // hand over what it holds for it (handOverTo). Until the answers are in, GETs and HEADs of
  // objects of EC buckets compare the local copy with the slices' newest generation and serve
  // the newer (a restart faster than the primary's keepalive leaves this target a member). Peers
  // that do not answer within 10 s (down, hung) or fail part of it are asked again every 2 s
  // (recatchRound), and the reads keep comparing until each has answered in full or left the
  // cluster: what such a peer holds for this target may be newer than the local copy. The same
  // again, in the background, whenever this target's loop stood still for seconds (stopped,
  // paused: watchStalls), since clients then took its writes elsewhere.
  kj::Promise<void> catchUp();
  // True while catchUp() has peers left; read by the node's gateway threads, whose own-disk GETs
  // would otherwise serve the local copy unchecked (they go through get() meanwhile).
  bool catchingUp() const { return catchingUp_.load(std::memory_order_acquire); }
  // Whether the local copy of ref's object may not be served as it is: while catching up, an EC
  // object whose slices hold a newer generation (or none is here). False at once otherwise.
  kj::Promise<bool> staleHere(const ObjectRef& ref);

  // Rebalance and handovers: sends a local object to its HRW owner (never overwriting a newer
  // copy there), then deletes it here if it is still the copy sent; kVersionChanged if it was
  // written here again meanwhile (that copy stays).
  kj::Promise<Status> moveToOwner(const std::string& bucket, const std::string& name);
  // Up to `limit` local LOMs of a bucket after `after`, read on an I/O worker (rebalance scans).
  kj::Promise<Result<std::vector<store::Lom>>> listLocal(const std::string& bucket,
                                                         const std::string& after, size_t limit);
  // Removes local data of buckets that the new BMD no longer has (in the background).
  void onBmdChange(const meta::BMD& before, const meta::BMD& after);

  const std::string& targetId() const { return ctx_.cfg.id; }
  Metrics& metrics() { return ctx_.metrics; }  // any thread

  // Bucket known, names valid, and (unless localOnly) this target is the HRW owner.
  Status checkRouted(const ObjectRef& ref);
  // A degraded read comes from a client that found the object's owner silent (its probe went
  // unanswered, or the Smap flags the owner down): this target's rounds about the object's
  // copies give the owner a short deadline for a while (peer_calls.h, kSilentPeerFor), instead
  // of the first of them waiting out the whole deadline on a node that may hang.
  void takeOwnerSilent(const ObjectRef& ref);
  // The bucket's options for a PUT of an object with this metadata (fsync).
  store::PutOptions putOptions(const std::string& bucket,
                               std::map<std::string, std::string> custom) const;
  // Store::openObject on the object's I/O worker.
  kj::Promise<Result<ReaderPtr>> openOnDisk(const std::string& bucket, const std::string& name);

 private:
  // What a GET's worker call brings back: the open object and, for a reply small enough to go
  // inline, its (verified) bytes or the reason they could not be read.
  struct Inline {
    std::string bytes;
    uint64_t digest = 0;
    Status error;
  };
  struct Opened {
    ReaderPtr reader;
    std::optional<Inline> inlined;
  };

  Status checkBucket(const std::string& bucket);
  std::vector<const meta::NodeInfo*> otherTargets() const;
  // On a local miss: ObjectMoved(holder id) if another target holds a copy, else ObjectNotFound.
  kj::Promise<Status> findElsewhere(const std::string& bucket, const std::string& name);
  // Deletes the name's copies (and EC pieces) on every other target: whether any existed, and
  // which targets did not answer.
  struct RemovedElsewhere {
    bool removed = false;
    std::set<std::string> silent;
  };
  kj::Promise<RemovedElsewhere> removeElsewhere(const std::string& bucket, const std::string& name);
  // A delete of an EC object that some targets missed (down): repeated there every 2 s, for
  // what was written before it only, until each answered; meanwhile the pieces they may still
  // hold never bring the object back (tombstoned). Kept as a note: a restart resumes it.
  kj::Promise<void> remember(const std::string& bucket, const std::string& name, int64_t deletedNs,
                             std::set<std::string> silent);
  bool tombstoned(const std::string& bucket, const std::string& name) const;
  // A target a tombstone still waits for (what it holds of the object is not the object).
  bool tombstonedAt(const std::string& bucket, const std::string& name,
                    const std::string& targetId) const;
  kj::Promise<void> tombstoneRound();
  void dropSilent(const std::pair<std::string, std::string>& key, const std::string& id);
  // The object written again: its tombstone (if any) goes.
  void forgetTombstone(const std::string& bucket, const std::string& name);
  // The durable notes (Store::putNote) behind tombstones_ and handoffs_: written one after
  // another in the order asked, on an I/O worker, so a drop never overtakes the put before it.
  // A failure is logged (the queue still runs; only a restart would forget).
  kj::Promise<void> keepNote(std::string kind, std::string bucket, std::string name,
                             std::string value);
  void dropNote(std::string kind, std::string bucket, std::string name);
  kj::Promise<void> noteOp(std::function<Status(store::Store&)> op, std::string what);
  size_t mountpathOf(const std::string& bucket, const std::string& name) const;
  uint32_t chunkBytes() const;  // of a streamed GET
  // Opens ref for a GET and, when the reply goes inline, reads (verifies) its bytes. cachedOnly:
  // on the loop thread, from memory only (kWouldBlock if any of it would wait for the disk or
  // if anything is wrong); else on an I/O worker.
  static Result<Opened> openForGet(store::Store& store, const ObjectRef& ref, const GetRange& range,
                                   bool cachedOnly);
  // The length a GET of `range` reads from `lom` (from offset, cut at the end); or why it cannot
  // (offset past the end, another version wanted).
  Result<uint64_t> rangeLength(const ObjectRef& ref, const GetRange& range,
                               const store::Lom& lom) const;
  // Restores ref's object from EC slices or replicas and serves the range from memory: the
  // owner's copy is missing or damaged (the owner stores the restored copy), or a degraded read
  // (EcService::restoreDegraded: nothing stored). `original` is the local failure, answered if
  // there is nothing to restore from.
  kj::Promise<Result<GetReply>> restoreAndServe(const ObjectRef& ref, const GetRange& range,
                                                kj::Maybe<wire::ByteSink::Client> sink,
                                                Status original);
  // The bytes of an open object: inline or streamed to the sink (`streamed`, if given, gets how
  // many went to it, also when the stream failed).
  kj::Promise<Result<GetReply>> sendBytes(const ObjectRef& ref, const GetRange& range,
                                          kj::Maybe<wire::ByteSink::Client> sink, Opened opened,
                                          std::shared_ptr<uint64_t> streamed = nullptr);
  // Stores the reader's object as bucket/name on its owner target (this one or another).
  // keepMtime: the copy keeps the source's modification time (the object moves). ifVersion
  // (non-zero): committed only over that version of bucket/name (S3 If-Match on a copy).
  // changeWriter: the aisfs mount whose rename this is (ObjectRef::writer).
  kj::Promise<Result<store::Lom>> sendObject(ReaderPtr reader, std::string bucket, std::string name,
                                             std::map<std::string, std::string> custom,
                                             bool ifAbsent, bool keepMtime, uint64_t ifVersion = 0,
                                             uint64_t changeWriter = 0);
  // The scrub's damaged objects of an EC bucket, one after another: restored from the slices,
  // written back, and moved in the report from corrupt/missing to repaired.
  kj::Promise<void> restoreDamaged(std::string bucket,
                                   std::shared_ptr<store::ValidateReport> report,
                                   std::vector<std::string> names, size_t next);
  // A degraded PUT stored here (its owner did not answer): the object is moved to its owner once
  // that answers (tried every second, the newer copy wins there), then removed here. Kept as a
  // note: a restart resumes it. Resolves once the note is written.
  kj::Promise<void> handOff(const std::string& bucket, const std::string& name);
  // A client's write committed here though the current Smap gives the name to another target:
  // this target took it under the Smap before (a target joined, or this one is leaving, while
  // it was under way), and the rebalance pass may have gone past the name already. It is
  // handed off like a degraded PUT, the note written before the write is answered, so the
  // acknowledged bytes reach the owner within a second and never stay stranded here.
  bool committedAway(const ObjectRef& ref, const Result<store::Lom>& lom) const;
  kj::Promise<Result<store::Lom>> handOffIfAway(const ObjectRef& ref, Result<store::Lom> lom);
  // A protected commit's answer: lom, or the protection's failure; a degraded PUT's handover
  // noted first.
  kj::Promise<Result<store::Lom>> afterProtect(const ObjectRef& ref, store::Lom lom,
                                               Status protectStatus);
  void handedOver(const std::string& bucket, const std::string& name);
  kj::Promise<void> handOffRound();
  // `first`, an operation's answer on ref's object here; if ObjectNotFound and the object was
  // fetched (fetchHeld), `again`'s answer instead.
  template <class T>
  kj::Promise<Result<T>> orFetched(const ObjectRef& ref, Result<T> first,
                                   kj::Function<kj::Promise<Result<T>>()> again) {
    if (first.code() != Code::kObjectNotFound || ref.localOnly) return kj::mv(first);
    return fetchHeld(ref).then([first = kj::mv(first), again = kj::mv(again)](
                                   Status st) mutable -> kj::Promise<Result<T>> {
      if (st.ok()) return again();
      if (st.code() == Code::kObjectNotFound) return kj::mv(first);
      return Result<T>(st);
    });
  }
  kj::Promise<Result<store::Lom>> setCustomHere(const ObjectRef& ref,
                                                std::map<std::string, std::string> incoming,
                                                bool merge,
                                                std::optional<store::CustomCounters> counters);
  // rename() of an object this target holds (ObjectNotFound if not here).
  kj::Promise<Result<store::Lom>> renameHere(ObjectRef ref, std::string to,
                                             std::map<std::string, std::string> custom);
  // catchUp's ask of `peers`, each answer in order (nullopt: none within the deadline).
  kj::Promise<kj::Array<std::optional<HandOverReport>>> askHandOver(
      std::vector<const meta::NodeInfo*> peers, kj::Duration deadline);
  // uncaught_ asked (after `delay`), then every 2 s until it is empty.
  kj::Promise<void> recatchRound(kj::Duration delay);
  // Every 500 ms: a loop that stood still for seconds catches up again (catchUp's check).
  kj::Promise<void> watchStalls(std::chrono::steady_clock::time_point last);
  // While catching up: whether the slices' newest generation of ref's object is newer than the
  // local copy (or there is none here), i.e. it was written while this target was away.
  enum class Staleness { kNewerInSlices, kNewestHere, kUnknown };
  kj::Promise<Staleness> newerInSlices(const ObjectRef& ref);
  void beginCatchingUp();  // catchingUp_ set, confirmedNewest_ emptied
  // get() and head() of the local copy (with its failover to other targets and EC).
  kj::Promise<Result<GetReply>> getHere(ObjectRef ref, GetRange range,
                                        kj::Maybe<wire::ByteSink::Client> sink);
  kj::Promise<Result<store::Lom>> headHere(const ObjectRef& ref);
  // One handover (moveToOwner, 30 s at most); true once the owner has it (or it is gone here).
  kj::Promise<bool> handOverOne(const std::string& bucket, const std::string& name);
  // A delete noted while target `id` (at ep) was away, repeated there; true once it answered.
  kj::Promise<bool> repeatDelete(const std::pair<std::string, std::string>& key, int64_t deletedNs,
                                 const std::string& id, const std::string& ep);
  // The scrub of the EC pieces this target holds of the bucket's objects: a damaged or missing
  // piece is removed and its owner re-protects the object (listed in the report as repaired).
  kj::Promise<void> scrubHeld(std::string bucket, std::shared_ptr<store::ValidateReport> report);
  // Has the owner of bucket/name place its EC pieces again.
  kj::Promise<Status> reprotect(const std::string& bucket, const std::string& name);
  // Moves a destroyed bucket's tree aside and deletes it in the background.
  void detachBucketData(const std::string& name);
  void taskFailed(kj::Exception&& exception) override;

  NodeContext& ctx_;
  EcService ec_;
  std::atomic<bool> catchingUp_{false};  // catchUp() under way
  // Peers that have not handed over yet what they hold for this target (catchUp).
  std::set<std::string> uncaught_;
  // While catching up: objects whose local copy a check found the newest (bucket NUL name); their
  // reads skip the metadata round until the next catch-up begins (no degraded write of them can
  // happen while this target answers). Emptied when it reaches kConfirmedMax.
  std::unordered_set<std::string> confirmedNewest_;
  static constexpr size_t kConfirmedMax = size_t{1} << 20;
  kj::Promise<void> recatchLoop_ = nullptr;                 // runs while uncaught_ is not empty
  kj::Promise<void> stallWatch_ = nullptr;                  // watchStalls, from the first catchUp
  std::set<std::pair<std::string, std::string>> handoffs_;  // (bucket, name) held for owners
  kj::Promise<void> handoffLoop_ = nullptr;                 // runs while handoffs_ is not empty
  struct Tombstone {
    int64_t deletedNs;
    std::set<std::string> silent;  // targets the delete is still to reach
  };
  // A tombstone as its note's value: the time, then one target id per line.
  static std::string encodeTombstone(const Tombstone& stone);
  static std::optional<Tombstone> decodeTombstone(std::string_view value);
  static constexpr const char* kHandoffNote = "handoff";
  static constexpr const char* kDeleteNote = "delete";
  std::map<std::pair<std::string, std::string>, Tombstone> tombstones_;
  kj::Promise<void> tombstoneLoop_ = nullptr;    // runs while tombstones_ is not empty
  kj::Promise<void> notesTail_ = kj::READY_NOW;  // the last note operation asked
  kj::TaskSet background_;                       // bucket data removal
};

}  // namespace ais::node
