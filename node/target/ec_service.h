// Erasure coding across targets (bucket prop `ec`). After the owner target commits an object, it
// is protected: at or above ec.objsize_limit it is cut into D data + P parity slices (ISA-L
// Reed-Solomon, ec/reed_solomon.h), below it P full replicas are made; they go to the D + P
// (or P) targets that follow the owner in the object's HRW order. Each target keeps what it
// holds for others in its internal bucket meta::ecBucket(bucket), under the object's name, with
// the slice's metadata in the LOM's custom map (which slice, the object's size, checksum,
// version, custom metadata and generation: its modification time).
//
// A read whose main copy is missing or damaged, or that was sent past a dead owner (a degraded
// read), restores the object: every reachable target is asked for what it holds, the newest
// generation is picked (slices of different generations are never combined), D slices (or one
// replica) are fetched and decoded, and the result is served only if it matches the object's
// checksum. The owner writes the restored copy back. The ec-encode job protects what a target
// owns and finds unprotected (EC just enabled, slices lost with a target, placement changed).
// Loop-thread only.
#pragma once

#include <kj/async.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "meta/bmd.h"
#include "node/node_context.h"
#include "node/single_flight.h"
#include "node/store/lom.h"
#include "node/target/kept_restores.h"

namespace ais::node {

class EcService final : private kj::TaskSet::ErrorHandler {
 public:
  explicit EcService(NodeContext& ctx) : ctx_(ctx), background_(*this) {}

  // The object a held piece (a LOM of the EC bucket) is part of, as its metadata says; nullopt
  // if the piece's metadata is malformed.
  static std::optional<store::Lom> objectOf(const store::Lom& held);
  // The bucket's EC props if EC is on for it, else nullptr.
  const meta::EcProps* propsOf(const std::string& bucket) const;

  // Protects the local object bucket/name (its current version): slices or replicas onto the
  // targets after the owner. OK once the object survives the loss of this target (at least D
  // slices or one replica placed; the rest is logged and left to ec-encode); kUnavailable
  // otherwise. OK at once for a bucket without EC.
  kj::Promise<Status> protect(std::string bucket, std::string name);
  // The same for an object just committed whose bytes are at hand (a one-message PUT): no read
  // back. `bytes` must stay valid until the promise resolves.
  kj::Promise<Status> protectBytes(std::string bucket, store::Lom lom,
                                   kj::ArrayPtr<const kj::byte> bytes);
  // True if every target of the placement holds its slice (or replica) of the object's
  // generation `lom` (this target being the owner).
  kj::Promise<bool> isProtected(std::string bucket, store::Lom lom);
  // The object's metadata as its newest slices carry it (no bytes moved).
  kj::Promise<Result<store::Lom>> restoreMeta(std::string bucket, std::string name);
  // The object rebuilt from what the other targets (and this one) hold. kObjectNotFound if no
  // one holds anything of it; kObjectCorrupted if too few slices of its newest generation are
  // readable or the rebuilt bytes fail the checksum.
  kj::Promise<Result<EcRestored>> restore(std::string bucket, std::string name);
  // The same for a degraded read (the owner down; this target answers for it): an object read
  // again within 30 s is kept (KeptRestores), and a kept copy serves while the slices'
  // metadata, asked again, still describe its version (one metadata round instead of D slice
  // fetches and a decode); concurrent reads of one object share one rebuild. `keepAtOnce`: kept
  // from the first rebuild (a shard: its index, then its members, are read).
  kj::Promise<Result<EcRestored>> restoreDegraded(std::string bucket, std::string name,
                                                  bool keepAtOnce = false);
  // A degraded PUT or delete of bucket/name went through this target: its kept copy is old.
  void forgetRestored(const std::string& bucket, const std::string& name);
  // In the background: stores a restored object as this target's main copy, unless a newer one
  // was written meanwhile (the damaged copy it replaces is removed first).
  void writeBack(std::string bucket, EcRestored restored);
  kj::Promise<void> writeBackNow(std::string bucket, EcRestored restored);  // the same, awaited
  // Removes what every target (this one too) holds of bucket/name in the EC bucket.
  kj::Promise<void> dropSlices(std::string bucket, std::string name);
  // Job "ec-encode": protects every object of `bucket` that this target owns and that is not
  // fully protected, then has the owners restore the objects this target holds pieces of and
  // they lack (rebuildMissing); progress in the job's counters (damaged = objects that failed).
  Status startEncodeJob(const std::string& id, const std::string& bucket);
  // After a rebalance pass (a target left or joined): for every piece this target holds of
  // `bucket`'s objects, the object's owner under the current Smap is asked whether it has the main
  // copy; if not (its old owner left with it), the owner is made to restore it (a one-byte GET,
  // which restores, writes back and re-protects). Stops early when `stop` says so; how many
  // objects were restored.
  kj::Promise<uint64_t> rebuildMissing(std::string bucket, std::function<bool()> stop);
  // Every EC bucket's ec-encode job on every active target (this one included): after this
  // target lost a mountpath, its objects there and the pieces it held come back.
  void repairCluster(const std::string& why);
  // A bucket's EC turned on: its ec-encode job (the same id on every target).
  void onBmdChange(const meta::BMD& before, const meta::BMD& after);

 private:
  struct Holding;  // what one target holds of an object (a slice or replica)
  struct Plan;     // the newest generation's holdings, and how to rebuild from them

  // Sends an object's slices or replicas (cut from its bytes) to the placement's targets.
  kj::Promise<Status> place(std::string bucket, std::string name,
                            Result<std::shared_ptr<struct Encoded>> encoded);
  // One slice (index) or replica (-1) to the target id at ep; if it fails, to the next spare.
  kj::Promise<Status> placePart(
      std::string ecb, std::string name, std::shared_ptr<const struct Encoded> enc, int index,
      std::string id, std::string ep,
      std::shared_ptr<std::deque<std::pair<std::string, std::string>>> spares, std::string failed);

  kj::Promise<std::vector<Holding>> gather(const std::string& bucket, const std::string& name);
  // The pieces of the newest generation, one per slice index; kObjectNotFound if there are none
  // or too few to rebuild from.
  static Result<std::vector<Holding>> newestRestorable(std::vector<Holding> all,
                                                       const std::string& what);
  kj::Promise<Result<EcRestored>> rebuild(std::shared_ptr<Plan> plan, size_t next);
  // One gather and rebuild; kVersionChanged if a piece changed while it was fetched.
  kj::Promise<Result<EcRestored>> restoreOnce(std::string bucket, std::string name);
  kj::Promise<Status> encodeLoop(std::shared_ptr<struct EncodeState> st);
  // Whether the owner holds the object's main copy; if not, it restores it. True if it did.
  kj::Promise<bool> ensureMain(const std::string& bucket, const std::string& name);
  kj::Promise<uint64_t> rebuildFrom(std::string bucket, std::string after,
                                    std::function<bool()> stop, uint64_t restored);
  // restoreDegraded's one run: the kept copy if the slices still describe it, else a rebuild.
  kj::Promise<Result<EcRestored>> rebuildOrKept(std::string bucket, std::string name,
                                                bool keepAtOnce);
  void taskFailed(kj::Exception&& exception) override;

  NodeContext& ctx_;
  kj::TaskSet background_;  // write-backs, and the ends of restoring_'s runs
  static constexpr size_t kKeptRestoreBytes = size_t{1} << 30;
  static constexpr auto kKeptRestoreFor = std::chrono::seconds(30);
  KeptRestores kept_{kKeptRestoreBytes, kKeptRestoreFor};
  // Degraded rebuilds under way, by bucket and name.
  SingleFlight<std::pair<std::string, std::string>, Result<EcRestored>> restoring_{background_};
};

}  // namespace ais::node
