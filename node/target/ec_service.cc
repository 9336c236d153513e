#include "node/target/ec_service.h"

#include <fmt/format.h>
#include <kj/vector.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/ec/reed_solomon.h"
#include "node/target/object_attrs.h"
#include "node/target/peer_calls.h"
#include "proto/data_sink.h"
#include "proto/wire.h"

namespace ais::node {

// An object read whole from the local store and cut for its holders.
struct Encoded {
  store::Lom lom;
  std::vector<std::string> parts;  // D + P slices, or the one replica
  bool replica = false;
  uint32_t data = 0, parity = 0;
};

namespace {

// Keys of a held slice's LOM custom map.
constexpr const char* kGen = "ec.gen";          // the object's mtimeNs: its generation
constexpr const char* kIndex = "ec.index";      // slice index, or "replica"
constexpr const char* kData = "ec.data";        // D
constexpr const char* kParity = "ec.parity";    // P
constexpr const char* kSize = "ec.size";        // the object's size
constexpr const char* kChecksum = "ec.xxh64";   // the object's XXH64, hex
constexpr const char* kVersion = "ec.version";  // the object's version
constexpr const char* kCksumType = "ec.ctype";  // the object's checksum type and value
constexpr const char* kCksumValue = "ec.cvalue";
constexpr std::string_view kMetaPrefix = "meta.";  // + a key of the object's custom metadata
constexpr const char* kReplica = "replica";

// Slices up to this size go in one call; larger ones are streamed in chunks of it.
constexpr size_t kInlineSliceBytes = 4 << 20;
constexpr auto kSliceDeadline = 60 * kj::SECONDS;

std::string hex64(uint64_t v) { return fmt::format("{:016x}", v); }

std::optional<uint64_t> parseU64(const std::map<std::string, std::string>& m, const char* key,
                                 int base = 10) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(it->second.c_str(), &end, base);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

std::map<std::string, std::string> sliceMeta(const store::Lom& obj, int index, uint32_t data,
                                             uint32_t parity) {
  std::map<std::string, std::string> m{
      {kGen, std::to_string(obj.mtimeNs)},
      {kIndex, index < 0 ? kReplica : std::to_string(index)},
      {kData, std::to_string(data)},
      {kParity, std::to_string(parity)},
      {kSize, std::to_string(obj.size)},
      {kChecksum, hex64(obj.checksum)},
      {kVersion, std::to_string(obj.version)},
      {kCksumType, obj.checksumType},
      {kCksumValue, obj.checksumValue},
  };
  for (const auto& [k, v] : obj.custom) m[std::string(kMetaPrefix) + k] = v;
  return m;
}

// The targets that hold an object's slices (or replicas), in slice order: those after the owner
// in HRW order, never this target (the owner).
std::vector<const meta::NodeInfo*> placement(const NodeContext& ctx, const std::string& bucket,
                                             const std::string& name, size_t count) {
  auto order = meta::targetsInHrwOrder(ctx.meta.smap(), meta::uname(bucket, name));
  std::vector<const meta::NodeInfo*> out;
  for (size_t i = 1; i < order.size() && out.size() < count; ++i) {
    if (order[i]->id != ctx.cfg.id) out.push_back(order[i]);
  }
  return out;
}

bool encodes(const meta::EcProps& ec, uint64_t size) { return size >= ec.objSizeLimit; }

Result<std::string> readWhole(store::Store& store, const std::string& bucket,
                              const std::string& name, store::Lom* lomOut) {
  auto rd = store.openObject(bucket, name);
  if (!rd.ok()) return rd.status();
  const store::Lom& lom = (*rd)->lom();
  std::string bytes(lom.size, '\0');
  for (uint64_t off = 0; off < lom.size;) {
    auto n = (*rd)->read(bytes.data() + off, lom.size - off, off);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status(Code::kObjectCorrupted, "object file shorter than its metadata");
    off += *n;
  }
  if (XXH64(bytes.data(), bytes.size(), 0) != lom.checksum) {
    return Status(Code::kObjectCorrupted, "ais://" + bucket + "/" + name + " fails its checksum");
  }
  if (lomOut) *lomOut = lom;
  return bytes;
}

// Stores `bytes` as bucket/name on the target behind `node` (localOnly): in one call, or streamed
// in chunks when large. The receiver verifies the checksum before it commits.
kj::Promise<Status> putHeld(wire::Node::Client node, uint64_t smapVersion,
                            const std::string& bucket, const std::string& name,
                            std::shared_ptr<const Encoded> enc, size_t part,
                            std::map<std::string, std::string> meta) {
  const std::string& bytes = enc->parts[part];
  uint64_t sum = XXH64(bytes.data(), bytes.size(), 0);
  // Stamped with its generation: a piece of an older generation (a late commit on a target that
  // hung) never replaces a newer one (store::PutOptions::issuedNs).
  const int64_t gen = static_cast<int64_t>(parseU64(meta, kGen).value_or(0));
  if (bytes.size() <= kInlineSliceBytes) {
    auto req = node.putObjectRequest();
    setLocalRef(req.initRef(), bucket, name);
    req.getRef().setSmapVersion(smapVersion);
    req.getRef().setIssuedNs(gen);
    req.setData(kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    req.setChecksum(sum);
    proto::toWire(meta, req.initCustom(meta.size()));
    return req.send().then([](auto&& r) { return proto::toStatus(r.getStatus()); });
  }
  auto req = node.beginPutRequest();
  setLocalRef(req.initRef(), bucket, name);
  req.getRef().setSmapVersion(smapVersion);
  req.getRef().setIssuedNs(gen);
  proto::toWire(meta, req.initCustom(meta.size()));
  return req.send().then([enc, part, sum](auto&& r) -> kj::Promise<Status> {
    Status st = proto::toStatus(r.getStatus());
    if (!st.ok()) return st;
    struct Pump {
      wire::PutStream::Client stream;
      std::shared_ptr<const Encoded> enc;
      size_t part;
      uint64_t sum;
      size_t off = 0;
      kj::Promise<Status> run() {
        const std::string& b = enc->parts[part];
        if (off >= b.size()) {
          auto c = stream.commitRequest();
          c.setChecksum(sum);
          return c.send().then([](auto&& r) { return proto::toStatus(r.getStatus()); });
        }
        size_t n = std::min(kInlineSliceBytes, b.size() - off);
        auto w = stream.writeRequest();
        w.setChunk(kj::arrayPtr(reinterpret_cast<const kj::byte*>(b.data() + off), n));
        off += n;
        return w.send().then([this] { return run(); });
      }
    };
    auto pump = kj::heap<Pump>(Pump{r.getStream(), enc, part, sum});
    auto& p = *pump;
    return p.run().attach(kj::mv(pump));
  });
}

}  // namespace

struct EcService::Holding {
  std::string targetId;  // empty: this target
  std::string endpoint;
  int index = -1;  // -1: a full replica
  uint32_t data = 0, parity = 0;
  uint64_t size = 0, checksum = 0, version = 0, heldBytes = 0, heldChecksum = 0;
  int64_t gen = 0;
  std::string ctype, cvalue;
  std::map<std::string, std::string> custom;  // the object's

  // Parses a held LOM; nullopt if it is not a well-formed slice or replica.
  static std::optional<Holding> of(const store::Lom& held) {
    const auto& m = held.custom;
    auto gen = parseU64(m, kGen), data = parseU64(m, kData), parity = parseU64(m, kParity),
         size = parseU64(m, kSize), sum = parseU64(m, kChecksum, 16),
         version = parseU64(m, kVersion);
    auto idx = m.find(kIndex);
    if (!gen || !data || !parity || !size || !sum || !version || idx == m.end()) {
      return std::nullopt;
    }
    Holding h;
    h.gen = static_cast<int64_t>(*gen);
    h.data = static_cast<uint32_t>(*data);
    h.parity = static_cast<uint32_t>(*parity);
    if (h.data < 1 || h.parity < 1 || h.data + h.parity > ec::ReedSolomon::kMaxSlices) {
      return std::nullopt;
    }
    if (idx->second != kReplica) {
      auto i = parseU64(m, kIndex);
      if (!i || *i >= h.data + h.parity) return std::nullopt;
      h.index = static_cast<int>(*i);
    }
    h.size = *size;
    h.checksum = *sum;
    h.version = *version;
    h.heldBytes = held.size;
    h.heldChecksum = held.checksum;
    if (auto it = m.find(kCksumType); it != m.end()) h.ctype = it->second;
    if (auto it = m.find(kCksumValue); it != m.end()) h.cvalue = it->second;
    for (const auto& [k, v] : m) {
      if (k.starts_with(kMetaPrefix)) h.custom[k.substr(kMetaPrefix.size())] = v;
    }
    return h;
  }

  bool sameObject(const Holding& o) const {
    return gen == o.gen && size == o.size && checksum == o.checksum && data == o.data &&
           parity == o.parity;
  }

  store::Lom lom(const std::string& name) const {
    store::Lom l;
    l.name = name;
    l.size = size;
    l.checksum = checksum;
    l.version = version;
    l.mtimeNs = gen;
    l.atimeNs = gen;
    if (!ctype.empty()) l.checksumType = ctype;
    l.checksumValue = cvalue;
    l.custom = custom;
    return l;
  }
};

struct EcService::Plan {
  std::string bucket, name;
  std::vector<Holding> candidates;  // the newest generation: replicas, data slices, parity slices
  std::vector<std::optional<std::string>> slices;
  int have = 0;
  std::vector<std::string> failures;
  bool changed = false;  // a piece was replaced since it was asked for (placed again meanwhile)
};

std::optional<store::Lom> EcService::objectOf(const store::Lom& held) {
  auto h = Holding::of(held);
  if (!h) return std::nullopt;
  return h->lom(held.name);
}

const meta::EcProps* EcService::propsOf(const std::string& bucket) const {
  if (meta::isEcBucket(bucket)) return nullptr;
  const meta::BucketProps* p = ctx_.meta.bmd().find(bucket);
  return p && p->ec.enabled ? &p->ec : nullptr;
}

namespace {

// The object's slices (or its replica) for a bucket's EC props.
Status cut(Encoded& enc, const meta::EcProps& ec, std::string_view bytes) {
  enc.data = ec.dataSlices;
  enc.parity = ec.paritySlices;
  if (!encodes(ec, bytes.size())) {
    enc.replica = true;
    enc.parts.emplace_back(bytes);
    return Status::OK();
  }
  auto rs =
      ec::ReedSolomon::make(static_cast<int>(ec.dataSlices), static_cast<int>(ec.paritySlices));
  if (!rs.ok()) return rs.status();
  enc.parts = rs->encode(bytes);
  return Status::OK();
}

}  // namespace

kj::Promise<Status> EcService::protect(std::string bucket, std::string name) {
  const meta::EcProps* props = propsOf(bucket);
  if (!props) return Status::OK();
  meta::EcProps ec = *props;
  return ctx_.io
      ->run(ctx_.store->mountpathIndex(bucket, name),
            [store = ctx_.store.get(), bucket, name, ec]() -> Result<std::shared_ptr<Encoded>> {
              auto enc = std::make_shared<Encoded>();
              auto bytes = readWhole(*store, bucket, name, &enc->lom);
              if (!bytes.ok()) return bytes.status();
              AIS_RETURN_IF_ERROR(cut(*enc, ec, *bytes));
              return enc;
            })
      .then([this, bucket, name](Result<std::shared_ptr<Encoded>> encoded) {
        return place(bucket, name, std::move(encoded));
      });
}

kj::Promise<Status> EcService::protectBytes(std::string bucket, store::Lom lom,
                                            kj::ArrayPtr<const kj::byte> bytes) {
  const meta::EcProps* props = propsOf(bucket);
  if (!props) return Status::OK();
  meta::EcProps ec = *props;
  std::string name = lom.name;
  return ctx_.io
      ->runAny([lom = std::move(lom), bytes, ec]() mutable -> Result<std::shared_ptr<Encoded>> {
        auto enc = std::make_shared<Encoded>();
        enc->lom = std::move(lom);
        AIS_RETURN_IF_ERROR(
            cut(*enc, ec,
                std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size())));
        return enc;
      })
      .then([this, bucket, name](Result<std::shared_ptr<Encoded>> encoded) {
        return place(bucket, name, std::move(encoded));
      });
}

kj::Promise<Status> EcService::place(std::string bucket, std::string name,
                                     Result<std::shared_ptr<Encoded>> encoded) {
  std::string ecb = meta::ecBucket(bucket);
  if (!encoded.ok()) return encoded.status();
  std::shared_ptr<const Encoded> enc = std::move(*encoded);
  size_t count = enc->replica ? enc->parity : enc->data + enc->parity;
  // Every other candidate in HRW order: the first `count` are the placement, the rest stand in
  // for holders that fail (restore asks every target; ec-encode moves pieces back in place).
  auto all = placement(ctx_, bucket, name, SIZE_MAX);
  auto spares = std::make_shared<std::deque<std::pair<std::string, std::string>>>();
  for (size_t i = count; i < all.size(); ++i) spares->emplace_back(all[i]->id, all[i]->rpcEndpoint);
  kj::Vector<kj::Promise<Status>> sends;
  for (size_t i = 0; i < std::min(count, all.size()); ++i) {
    sends.add(placePart(ecb, name, enc, enc->replica ? -1 : int(i), all[i]->id, all[i]->rpcEndpoint,
                        spares, ""));
  }
  return kj::joinPromises(sends.releaseAsArray())
      .then([bucket, name, enc, count](kj::Array<Status>&& results) -> Status {
        size_t placed = 0;
        std::string failed;
        for (auto& st : results) {
          if (st.ok()) {
            ++placed;
          } else {
            failed += (failed.empty() ? "" : "; ") + st.message();
          }
        }
        size_t needed = enc->replica ? 1 : enc->data;
        std::string what = fmt::format("ais://{}/{}", bucket, name);
        if (placed < count) {
          log::warn("{}: {} of {} EC {} placed ({}); ec-encode completes them", what, placed, count,
                    enc->replica ? "replicas" : "slices",
                    failed.empty() ? "too few targets" : failed);
        }
        if (placed >= needed) return Status::OK();
        return Status(Code::kUnavailable,
                      fmt::format("{} is stored but not protected: {} of {} EC {} placed, "
                                  "{} needed ({})",
                                  what, placed, count, enc->replica ? "replicas" : "slices", needed,
                                  failed.empty() ? "too few targets" : failed));
      });
}

kj::Promise<Status> EcService::placePart(
    std::string ecb, std::string name, std::shared_ptr<const Encoded> enc, int index,
    std::string id, std::string ep,
    std::shared_ptr<std::deque<std::pair<std::string, std::string>>> spares, std::string failed) {
  uint64_t smapVersion = ctx_.meta.smap().version;
  auto meta = sliceMeta(enc->lom, index, enc->data, enc->parity);
  size_t part = index < 0 ? 0 : size_t(index);
  return callPeer(
             ctx_, ep, kSliceDeadline,
             [smapVersion, ecb, name, enc, part, meta = std::move(meta)](wire::Node::Client node) {
               return putHeld(node, smapVersion, ecb, name, enc, part, meta);
             })
      .catch_([](kj::Exception&& e) { return proto::statusFromException(e); })
      .then([this, ecb, name, enc, index, id, spares,
             failed](Status st) mutable -> kj::Promise<Status> {
        if (st.ok()) return st;
        failed += (failed.empty() ? "" : "; ") + ("target " + id + ": " + st.message());
        if (spares->empty()) return Status(st.code(), failed);
        auto [nextId, nextEp] = spares->front();
        spares->pop_front();
        return placePart(ecb, name, enc, index, nextId, nextEp, spares, failed);
      });
}

kj::Promise<bool> EcService::isProtected(std::string bucket, store::Lom lom) {
  const meta::EcProps* props = propsOf(bucket);
  if (!props) return true;
  bool replica = !encodes(*props, lom.size);
  size_t count = replica ? props->paritySlices : props->dataSlices + props->paritySlices;
  auto holders = placement(ctx_, bucket, lom.name, count);
  if (holders.size() < count) return false;
  std::string ecb = meta::ecBucket(bucket);
  std::vector<int> expected;
  for (size_t i = 0; i < holders.size(); ++i) expected.push_back(replica ? -1 : int(i));
  // Each holder answers the slice index it holds of this generation (-2: none or another).
  auto answers = askEach(ctx_, holders, -2, [ecb, lom](wire::Node::Client node, std::string) {
    auto req = node.headObjectRequest();
    setLocalRef(req.initRef(), ecb, lom.name);
    return req.send().then([gen = lom.mtimeNs, sum = lom.checksum](auto&& r) {
      if (!proto::toStatus(r.getStatus()).ok()) return -2;
      auto h = Holding::of(lomFromInfo(proto::fromWire(r.getAttrs())));
      if (!h || h->gen != gen || h->checksum != sum) return -2;
      return h->index;
    });
  });
  return answers.then([expected](kj::Array<int>&& got) {
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] != expected[i]) return false;
    }
    return true;
  });
}

kj::Promise<std::vector<EcService::Holding>> EcService::gather(const std::string& bucket,
                                                               const std::string& name) {
  std::string ecb = meta::ecBucket(bucket);
  std::vector<const meta::NodeInfo*> peers;
  for (const meta::NodeInfo* t : ctx_.meta.smap().allTargets()) {
    if (t->id != ctx_.cfg.id && !t->down()) peers.push_back(t);
  }
  auto remote = askEach(ctx_, peers, std::optional<Holding>(),
                        [ecb, name](wire::Node::Client node, std::string id) {
                          auto req = node.headObjectRequest();
                          setLocalRef(req.initRef(), ecb, name);
                          return req.send().then([id](auto&& r) -> std::optional<Holding> {
                            if (!proto::toStatus(r.getStatus()).ok()) return std::nullopt;
                            auto h = Holding::of(lomFromInfo(proto::fromWire(r.getAttrs())));
                            if (h) h->targetId = id;
                            return h;
                          });
                        });
  auto local = ctx_.headLocal(ecb, name).then([](Result<store::Lom> lom) -> std::optional<Holding> {
    if (!lom.ok()) return std::nullopt;
    return Holding::of(*lom);
  });
  return local.then([this, remote = kj::mv(remote)](std::optional<Holding> mine) mutable {
    return remote.then([this, mine = std::move(mine)](kj::Array<std::optional<Holding>>&& theirs) {
      std::vector<Holding> all;
      if (mine) all.push_back(std::move(*mine));
      for (auto& h : theirs) {
        if (!h) continue;
        if (auto* t = ctx_.meta.smap().find(h->targetId, meta::Role::kTarget)) {
          h->endpoint = t->rpcEndpoint;
          all.push_back(std::move(*h));
        }
      }
      return all;
    });
  });
}

Result<std::vector<EcService::Holding>> EcService::newestRestorable(std::vector<Holding> all,
                                                                    const std::string& what) {
  const Holding* newest = nullptr;
  for (const auto& h : all) {
    if (!newest || h.gen > newest->gen) newest = &h;
  }
  if (!newest) return Status(Code::kObjectNotFound, what);
  Holding ref = *newest;
  std::vector<Holding> out;
  std::set<int> seen;
  bool replica = false;
  for (auto& h : all) {
    if (!h.sameObject(ref)) continue;  // another generation: never combined
    if (h.index >= 0 && !seen.insert(h.index).second) continue;
    replica |= h.index < 0;
    out.push_back(std::move(h));
  }
  // Fewer pieces than a rebuild needs: leftovers (say, of a delete a holder missed while it was
  // down), not an object.
  if (!replica && seen.size() < ref.data) {
    return Status(Code::kObjectNotFound,
                  fmt::format("{} (only {} of the {} slices a rebuild needs are left)", what,
                              seen.size(), ref.data));
  }
  return out;
}

kj::Promise<Result<store::Lom>> EcService::restoreMeta(std::string bucket, std::string name) {
  return gather(bucket, name).then([bucket, name](std::vector<Holding> all) -> Result<store::Lom> {
    auto pieces = newestRestorable(std::move(all), "ais://" + bucket + "/" + name);
    if (!pieces.ok()) return pieces.status();
    return pieces->front().lom(name);
  });
}

kj::Promise<Result<EcRestored>> EcService::restore(std::string bucket, std::string name) {
  // (Pieces placed again while they were fetched, e.g. by a write-back's protection: the same
  // generation may land under other slice indexes, so the round starts over, once.)
  return restoreOnce(bucket, name).then([this, bucket, name](Result<EcRestored> r) {
    if (r.code() != Code::kVersionChanged) return kj::Promise<Result<EcRestored>>(kj::mv(r));
    return restoreOnce(bucket, name);
  });
}

kj::Promise<Result<EcRestored>> EcService::restoreOnce(std::string bucket, std::string name) {
  return gather(bucket, name)
      .then([this, bucket, name](std::vector<Holding> all) -> kj::Promise<Result<EcRestored>> {
        auto pieces = newestRestorable(std::move(all), "ais://" + bucket + "/" + name);
        if (!pieces.ok()) return Result<EcRestored>(pieces.status());
        auto plan = std::make_shared<Plan>();
        plan->bucket = bucket;
        plan->name = name;
        plan->candidates = std::move(*pieces);
        plan->slices.resize(plan->candidates.front().data + plan->candidates.front().parity);
        // Replicas first (no decoding), then data slices (none to rebuild), then parity.
        std::stable_sort(plan->candidates.begin(), plan->candidates.end(),
                         [](const Holding& a, const Holding& b) { return a.index < b.index; });
        return rebuild(plan, 0);
      });
}

kj::Promise<Result<EcRestored>> EcService::restoreDegraded(std::string bucket, std::string name,
                                                           bool keepAtOnce) {
  return restoring_.run(std::make_pair(bucket, name),
                        [&] { return rebuildOrKept(bucket, name, keepAtOnce); });
}

kj::Promise<Result<EcRestored>> EcService::rebuildOrKept(std::string bucket, std::string name,
                                                         bool keepAtOnce) {
  auto rebuildAndKeep = [this, bucket, name, keepAtOnce]() {
    return restore(bucket, name).then([this, bucket, name, keepAtOnce](Result<EcRestored> r) {
      if (r.ok()) kept_.offer(bucket, name, *r, keepAtOnce);
      return r;
    });
  };
  kj::Promise<Result<EcRestored>> restoring = nullptr;
  if (auto kept = kept_.find(bucket, name)) {
    // A degraded PUT or delete through another target (its Smap differed) leaves no trace
    // here: the slices' metadata, not the cache, say which version is the object.
    restoring = restoreMeta(bucket, name)
                    .then([this, bucket, name, kept = std::move(*kept), rebuildAndKeep](
                              Result<store::Lom> now) mutable -> kj::Promise<Result<EcRestored>> {
                      if (now.ok() && now->version == kept.lom.version &&
                          now->checksum == kept.lom.checksum && now->mtimeNs == kept.lom.mtimeNs) {
                        return Result<EcRestored>(std::move(kept));
                      }
                      kept_.forget(bucket, name);
                      if (!now.ok() && now.code() == Code::kObjectNotFound) {
                        return Result<EcRestored>(now.status());
                      }
                      return rebuildAndKeep();
                    });
  } else {
    restoring = rebuildAndKeep();
  }
  return restoring;
}

void EcService::forgetRestored(const std::string& bucket, const std::string& name) {
  kept_.forget(bucket, name);
}

kj::Promise<Result<EcRestored>> EcService::rebuild(std::shared_ptr<Plan> plan, size_t next) {
  const Holding& first = plan->candidates.front();
  std::string what = "ais://" + plan->bucket + "/" + plan->name;
  std::string ecb = meta::ecBucket(plan->bucket);
  bool replicas = first.index < 0;
  size_t want = replicas ? 1 : first.data - plan->have;
  if (next >= plan->candidates.size()) {
    return Result<EcRestored>(Status(
        plan->changed ? Code::kVersionChanged : Code::kObjectCorrupted,
        fmt::format("{}: cannot restore: {} of {} slices of its newest version are readable ({})",
                    what, plan->have, first.data, fmt::join(plan->failures, "; "))));
  }
  // The next `want` candidates, fetched at once (a replica alone).
  size_t end = std::min(plan->candidates.size(), next + want);
  if (replicas) end = next + 1;
  kj::Vector<kj::Promise<Result<std::string>>> fetches;
  for (size_t i = next; i < end; ++i) {
    const Holding& h = plan->candidates[i];
    if (h.targetId.empty()) {
      fetches.add(ctx_.io->run(ctx_.store->mountpathIndex(ecb, plan->name),
                               [store = ctx_.store.get(), ecb, name = plan->name] {
                                 return readWhole(*store, ecb, name, nullptr);
                               }));
      continue;
    }
    auto fetchOnce = [ecb, name = plan->name, expect = h.heldChecksum](wire::Node::Client node) {
      auto state = std::make_shared<proto::SinkState>();
      auto req = node.getObjectRequest();
      setLocalRef(req.initRef(), ecb, name);
      req.setToEnd(true);
      req.setInlineMax(1 << 20);
      req.setSink(kj::heap<proto::DataSink>(state));
      return req.send().then([state, expect](auto&& r) -> Result<std::string> {
        Status s = proto::toStatus(r.getStatus());
        if (!s.ok()) return s;
        auto data = r.getData();
        if (data.size() > 0) {
          AIS_RETURN_IF_ERROR(state->consume(data.begin(), data.size()));
        }
        state->closed = true;
        AIS_RETURN_IF_ERROR(state->error);
        if (state->bytes != r.getSentBytes() || state->digest() != r.getDataChecksum() ||
            state->digest() != r.getAttrs().getChecksum()) {
          return Status(Code::kChecksumMismatch, "slice damaged in transit");
        }
        if (state->digest() != expect) {
          return Status(Code::kVersionChanged, "piece replaced since it was asked for");
        }
        return std::move(state->buffer);
      });
    };
    fetches.add(callPeer(ctx_, h.endpoint, kSliceDeadline, fetchOnce)
                    .catch_([](kj::Exception&& e) -> Result<std::string> {
                      return proto::statusFromException(e);
                    }));
  }
  return kj::joinPromises(fetches.releaseAsArray())
      .then([this, plan, next, end,
             replicas](kj::Array<Result<std::string>>&& got) -> kj::Promise<Result<EcRestored>> {
        const Holding& first = plan->candidates.front();
        uint64_t sliceBytes = 0;
        if (!replicas) {
          auto rs = ec::ReedSolomon::make(int(first.data), int(first.parity));
          sliceBytes = rs.ok() ? rs->sliceSize(first.size) : 0;
        }
        std::optional<std::string> replica;
        for (size_t i = next; i < end; ++i) {
          const Holding& h = plan->candidates[i];
          auto& r = got[i - next];
          std::string who = h.targetId.empty() ? std::string("this target") : h.targetId;
          if (!r.ok()) {
            plan->failures.push_back(who + ": " + r.status().message());
            plan->changed |= r.code() == Code::kVersionChanged;
            continue;
          }
          if (h.index < 0) {
            if (r->size() == first.size) replica = std::move(*r);
            continue;
          }
          if (r->size() != sliceBytes) {
            plan->failures.push_back(who + ": slice of " + std::to_string(r->size()) + " bytes");
            continue;
          }
          plan->slices[h.index] = std::move(*r);
          ++plan->have;
        }
        if (!replica && plan->have < int(first.data)) return rebuild(plan, end);
        return ctx_.io->runAny(
            [plan, replica = std::move(replica)]() mutable -> Result<EcRestored> {
              const Holding& first = plan->candidates.front();
              std::string bytes;
              if (replica) {
                bytes = std::move(*replica);
              } else {
                auto rs = ec::ReedSolomon::make(int(first.data), int(first.parity));
                if (!rs.ok()) return rs.status();
                bool missingData = false;
                for (uint32_t i = 0; i < first.data; ++i)
                  missingData |= !plan->slices[i].has_value();
                if (missingData) AIS_RETURN_IF_ERROR(rs->reconstruct(plan->slices));
                bytes = ec::ReedSolomon::join(plan->slices, int(first.data), first.size);
              }
              if (bytes.size() != first.size ||
                  XXH64(bytes.data(), bytes.size(), 0) != first.checksum) {
                return Status(Code::kObjectCorrupted, "ais://" + plan->bucket + "/" + plan->name +
                                                          ": the restored bytes fail its checksum");
              }
              return EcRestored{first.lom(plan->name),
                                std::make_shared<const std::string>(std::move(bytes))};
            });
      });
}

void EcService::writeBack(std::string bucket, EcRestored restored) {
  background_.add(writeBackNow(std::move(bucket), std::move(restored)));
}

kj::Promise<void> EcService::writeBackNow(std::string bucket, EcRestored restored) {
  store::PutOptions opts;
  if (const auto* props = ctx_.meta.bmd().find(bucket)) opts.fsync = props->fsync;
  opts.custom = restored.lom.custom;
  opts.mtimeNs = restored.lom.mtimeNs;
  opts.ifAbsent = true;
  std::string name = restored.lom.name;
  return ctx_.io
      ->run(ctx_.store->mountpathIndex(bucket, name),
            [store = ctx_.store.get(), bucket, name, restored,
             opts = std::move(opts)]() mutable -> std::optional<store::Lom> {
              std::string what = "ais://" + bucket + "/" + name;
              auto cur = store->head(bucket, name);
              if (cur.ok() && cur->mtimeNs > restored.lom.mtimeNs) return {};  // written meanwhile
              if (cur.ok()) {
                Status st = store->remove(bucket, name);  // the damaged copy
                if (!st.ok() && st.code() != Code::kObjectNotFound) {
                  log::error("{}: restore: removing the damaged copy: {}", what, st.toString());
                  return {};
                }
              }
              auto writer = store->beginPut(bucket, name, std::move(opts));
              if (!writer.ok()) {
                log::error("{}: writing back the restored copy: {}", what,
                           writer.status().toString());
                return {};
              }
              Status st = (*writer)->write(restored.bytes->data(), restored.bytes->size());
              Result<store::Lom> lom = st.ok() ? (*writer)->commit(restored.lom.checksum) : st;
              if (lom.ok()) {
                log::info("{}: restored from erasure coding", what);
                return *lom;
              }
              if (lom.code() != Code::kObjectExists) {
                log::error("{}: writing back the restored copy: {}", what, lom.status().toString());
              }
              return {};
            })
      .then([this, bucket](std::optional<store::Lom> lom) -> kj::Promise<void> {
        // Restored after a target holding some of it left: the placement wants them elsewhere.
        if (!lom) return kj::READY_NOW;
        return isProtected(bucket, *lom).then([this, bucket, name = lom->name](bool done) {
          if (done) return kj::Promise<void>(kj::READY_NOW);
          return protect(bucket, name).then([bucket, name](Status st) {
            if (!st.ok()) log::warn("ais://{}/{}: re-protect: {}", bucket, name, st.toString());
          });
        });
      });
}

kj::Promise<void> EcService::dropSlices(std::string bucket, std::string name) {
  std::string ecb = meta::ecBucket(bucket);
  std::vector<const meta::NodeInfo*> peers;
  for (const meta::NodeInfo* t : ctx_.meta.smap().allTargets()) {
    if (t->id != ctx_.cfg.id) peers.push_back(t);
  }
  auto remote = askEach(ctx_, peers, false, [ecb, name](wire::Node::Client node, std::string) {
    auto req = node.deleteObjectRequest();
    setLocalRef(req.initRef(), ecb, name);
    return req.send().then([](auto&&) { return true; });
  });
  auto local =
      ctx_.io->run(ctx_.store->mountpathIndex(ecb, name),
                   [store = ctx_.store.get(), ecb, name] { (void)store->remove(ecb, name); });
  return local.then(
      [remote = kj::mv(remote)]() mutable { return remote.then([](kj::Array<bool>&&) {}); });
}

struct EncodeState {
  std::string bucket, after;
  std::shared_ptr<JobCounters> counters;
  std::vector<store::Lom> page;
  size_t pos = 0;
  bool lastPage = false;
};

Status EcService::startEncodeJob(const std::string& id, const std::string& bucket) {
  if (!propsOf(bucket)) {
    return Status(Code::kInvalidArgument, "ais://" + bucket + " does not have EC enabled");
  }
  return ctx_.jobs.start(id, "ec-encode", bucket, [this, bucket](Job& job) {
    auto st = std::make_shared<EncodeState>();
    st->bucket = bucket;
    st->counters = job.counters;
    auto counters = job.counters;
    // Then the objects whose main copy is gone from their owner (restored there).
    return encodeLoop(st).then([this, bucket, counters](Status s) -> kj::Promise<Status> {
      if (!s.ok()) return s;
      return rebuildMissing(
                 bucket,
                 [counters] { return counters->stopRequested && counters->stopRequested(); })
          .then([bucket](uint64_t restored) {
            if (restored > 0) log::info("ais://{}: {} objects restored from EC", bucket, restored);
            return Status::OK();
          });
    });
  });
}

void EcService::repairCluster(const std::string& why) {
  for (const auto& [bucket, props] : ctx_.meta.bmd().buckets) {
    if (!props.ec.enabled) continue;
    std::string id = fmt::format("ec-encode-{}-{}-{}", bucket, ctx_.cfg.id, unixNowNs() / 1000000);
    log::warn("{}: ec-encode of ais://{} on every target ({})", why, bucket, id);
    Status st = startEncodeJob(id, bucket);
    if (!st.ok()) log::error("ec-encode of ais://{}: {}", bucket, st.toString());
    std::vector<const meta::NodeInfo*> peers;
    for (const meta::NodeInfo* t : ctx_.meta.smap().activeTargets()) {
      if (t->id != ctx_.cfg.id) peers.push_back(t);
    }
    background_.add(askEach(ctx_, peers, false, [id, bucket](wire::Node::Client node, std::string) {
                      auto req = node.startJobRequest();
                      req.setId(id);
                      req.setKind("ec-encode");
                      req.setBucket(bucket);
                      return req.send().then(
                          [](auto&& r) { return proto::toStatus(r.getStatus()).ok(); });
                    }).then([id](kj::Array<bool>&& started) {
      for (bool s : started) {
        if (!s) log::warn("{}: a target did not start its part", id);
      }
    }));
  }
}

kj::Promise<Status> EcService::encodeLoop(std::shared_ptr<EncodeState> st) {
  if (st->counters->stopRequested && st->counters->stopRequested()) return Status::OK();
  if (!propsOf(st->bucket))
    return Status(Code::kInvalidArgument, "EC was turned off for the bucket");
  if (st->pos >= st->page.size()) {
    if (st->lastPage) return Status::OK();
    constexpr size_t kPage = 256;
    return ctx_.io
        ->runAny([store = ctx_.store.get(), bucket = st->bucket, after = st->after] {
          return store->list(bucket, "", after, kPage);
        })
        .then([this, st](Result<std::vector<store::Lom>> page) -> kj::Promise<Status> {
          if (!page.ok()) return page.status();
          st->lastPage = page->size() < kPage;
          st->page = std::move(*page);
          st->pos = 0;
          if (st->page.empty()) return Status::OK();
          st->after = st->page.back().name;
          return encodeLoop(st);
        });
  }
  store::Lom lom = st->page[st->pos++];
  const meta::NodeInfo* owner =
      meta::ownerTarget(ctx_.meta.smap(), meta::uname(st->bucket, lom.name));
  if (!owner || owner->id != ctx_.cfg.id) return encodeLoop(st);  // misplaced: its owner's job
  return isProtected(st->bucket, lom)
      .then([this, st, lom](bool done) -> kj::Promise<Status> {
        if (done) return Status::OK();
        return protect(st->bucket, lom.name);
      })
      .then([this, st, lom](Status s) {
        st->counters->objects.fetch_add(1);
        st->counters->bytes.fetch_add(lom.size);
        if (!s.ok()) {
          st->counters->damaged.fetch_add(1);
          log::warn("ec-encode ais://{}/{}: {}", st->bucket, lom.name, s.toString());
        }
        return encodeLoop(st);
      });
}

kj::Promise<uint64_t> EcService::rebuildMissing(std::string bucket, std::function<bool()> stop) {
  if (!propsOf(bucket)) return uint64_t(0);
  return rebuildFrom(std::move(bucket), "", std::move(stop), 0);
}

kj::Promise<uint64_t> EcService::rebuildFrom(std::string bucket, std::string after,
                                             std::function<bool()> stop, uint64_t restored) {
  constexpr size_t kPage = 256;
  return ctx_.io
      ->runAny([store = ctx_.store.get(), ecb = meta::ecBucket(bucket), after] {
        return store->list(ecb, "", after, kPage);
      })
      .then([this, bucket, stop,
             restored](Result<std::vector<store::Lom>> page) -> kj::Promise<uint64_t> {
        if (!page.ok() || page->empty() || stop()) return restored;
        auto names = std::make_shared<std::vector<std::string>>();
        for (const auto& l : *page) names->push_back(l.name);
        bool more = page->size() == kPage;
        auto count = std::make_shared<uint64_t>(restored);
        kj::Promise<void> chain = kj::READY_NOW;
        for (size_t i = 0; i < names->size(); ++i) {
          chain = chain.then([this, bucket, names, i, count, stop]() -> kj::Promise<void> {
            if (stop()) return kj::READY_NOW;
            return ensureMain(bucket, (*names)[i]).then([count](bool did) { *count += did; });
          });
        }
        return chain.then([this, bucket, stop, names, more, count]() -> kj::Promise<uint64_t> {
          if (!more || stop()) return *count;
          return rebuildFrom(bucket, names->back(), stop, *count);
        });
      });
}

kj::Promise<bool> EcService::ensureMain(const std::string& bucket, const std::string& name) {
  const meta::NodeInfo* owner = meta::ownerTarget(ctx_.meta.smap(), meta::uname(bucket, name));
  // (Asked even if marked down: a target that just came back may not be marked up yet.)
  if (!owner) return false;
  if (owner->id == ctx_.cfg.id) {
    return ctx_.io
        ->run(ctx_.store->mountpathIndex(bucket, name),
              [store = ctx_.store.get(), bucket, name] { return store->head(bucket, name).ok(); })
        .then([this, bucket, name](bool here) -> kj::Promise<bool> {
          if (here) return false;
          return restore(bucket, name).then([this, bucket](Result<EcRestored> r) {
            if (!r.ok()) return kj::Promise<bool>(false);
            return writeBackNow(bucket, std::move(*r)).then([] { return true; });
          });
        });
  }
  // The owner's GET of one byte restores (and writes back) what it lacks.
  return callPeer(
             ctx_, owner->rpcEndpoint, kSliceDeadline,
             [bucket, name](wire::Node::Client node) {
               auto head = node.headObjectRequest();
               setLocalRef(head.initRef(), bucket, name);
               return head.send().then([node, bucket, name](auto&& r) mutable -> kj::Promise<bool> {
                 if (proto::toStatus(r.getStatus()).code() != Code::kObjectNotFound) {
                   return false;
                 }
                 auto get = node.getObjectRequest();
                 get.initRef().setBucket(bucket);
                 get.getRef().setName(name);
                 get.setLength(1);
                 get.setInlineMax(1);
                 return get.send().then(
                     [](auto&& r) { return proto::toStatus(r.getStatus()).ok(); });
               });
             })
      .catch_([](kj::Exception&&) { return false; });
}

void EcService::onBmdChange(const meta::BMD& before, const meta::BMD& after) {
  for (const auto& [name, props] : after.buckets) {
    const meta::BucketProps* old = before.find(name);
    if (!props.ec.enabled || (old && old->ec.enabled)) continue;
    // Every target derives the same id from the BMD: the cluster sees one job.
    std::string id = fmt::format("ec-encode-{}-v{}", name, after.version);
    Status st = startEncodeJob(id, name);
    if (!st.ok()) log::error("ais://{}: ec-encode: {}", name, st.toString());
  }
}

void EcService::taskFailed(kj::Exception&& e) {
  log::error("EC background task: {}", e.getDescription().cStr());
}

}  // namespace ais::node
