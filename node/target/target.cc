#include "node/target/target.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "node/metrics.h"
#include "node/target/object_attrs.h"
#include "proto/wire.h"

namespace ais::node {

using proto::setStatus;

namespace {

template <typename Ref>
ObjectRef objectRef(Ref ref) {
  return ObjectRef{proto::str(ref.getBucket()), proto::str(ref.getName()), ref.getLocalOnly(),
                   ref.getIfAbsent(),           ref.getMtimeNs(),          ref.getDegraded(),
                   ref.getIfVersion(),          ref.getWriter(),           ref.getIssuedNs()};
}

// Fills the results' attrs from a LOM, or their status from the error.
template <typename Results>
void answerLom(Results results, const Result<store::Lom>& lom, const std::string& targetId) {
  if (!lom.ok()) return setStatus(results.initStatus(), lom.status());
  toAttrs(*lom, targetId, results.initAttrs());
}

// Counts a client's object operation in the node's metrics; the targets' calls to each other
// (localOnly: rebalance moves, searches for a moved object) are not counted.
template <typename Ref>
void countOp(Metrics& metrics, MetricOp op, Ref ref, uint64_t bytes,
             Metrics::Clock::time_point start, const Status& result) {
  if (!ref.getLocalOnly()) metrics.record(op, proto::str(ref.getBucket()), bytes, start, result);
}

}  // namespace

kj::Promise<void> TargetService::putObject(PutObjectContext context) {
  auto p = context.getParams();
  auto start = Metrics::Clock::now();
  // The data is read by an I/O worker; the call's params outlive the promise.
  return objects_
      .put(objectRef(p.getRef()), p.getData(), p.getChecksum(), proto::fromWire(p.getCustom()))
      .then([this, context, start](Result<store::Lom> lom) mutable {
        auto p = context.getParams();
        countOp(ctx_.metrics, MetricOp::kPut, p.getRef(), p.getData().size(), start, lom.status());
        answerLom(context.getResults(), lom, ctx_.cfg.id);
      });
}

kj::Promise<void> TargetService::putBatch(PutBatchContext context) {
  auto in = context.getParams().getItems();
  std::vector<ObjectService::BatchItem> items;
  items.reserve(in.size());
  for (auto it : in) {
    // The data is read by I/O workers; the call's params outlive the promise.
    items.push_back(
        {objectRef(it.getRef()), it.getData(), it.getChecksum(), proto::fromWire(it.getCustom())});
  }
  auto start = Metrics::Clock::now();
  return objects_.putBatch(std::move(items))
      .then([this, context, start](std::vector<Result<store::Lom>> results) mutable {
        auto in = context.getParams().getItems();
        auto out = context.getResults().initResults(static_cast<unsigned>(results.size()));
        for (size_t i = 0; i < results.size(); ++i) {
          countOp(ctx_.metrics, MetricOp::kPut, in[i].getRef(), in[i].getData().size(), start,
                  results[i].status());
          answerLom(out[i], results[i], ctx_.cfg.id);
        }
      });
}

kj::Promise<void> TargetService::beginPut(BeginPutContext context) {
  auto p = context.getParams();
  return objects_.beginPut(objectRef(p.getRef()), proto::fromWire(p.getCustom()))
      .then([context](Result<kj::Own<wire::PutStream::Server>> stream) mutable {
        auto results = context.getResults();
        if (!stream.ok()) return setStatus(results.initStatus(), stream.status());
        results.setStream(kj::mv(*stream));
      });
}

kj::Promise<void> TargetService::getObject(GetObjectContext context) {
  auto p = context.getParams();
  GetRange range{p.getOffset(), p.getLength(), p.getToEnd(), p.getIfVersion(), p.getInlineMax()};
  range.ifChecksum = p.getIfChecksum();
  kj::Maybe<wire::ByteSink::Client> sink;
  if (p.hasSink()) sink = p.getSink();
  auto reply = p.getArchpath().size() > 0
                   ? archives_.getMember(objectRef(p.getRef()), proto::str(p.getArchpath()),
                                         proto::str(p.getArchiveMime()), range, kj::mv(sink))
                   : objects_.get(objectRef(p.getRef()), range, kj::mv(sink));
  return reply.then([this, context, start = Metrics::Clock::now()](Result<GetReply> reply) mutable {
    countOp(ctx_.metrics, MetricOp::kGet, context.getParams().getRef(),
            reply.ok() ? reply->sentBytes : 0, start, reply.status());
    auto results = context.getResults();
    if (!reply.ok()) return setStatus(results.initStatus(), reply.status());
    if (reply->inlined) results.setData(proto::asBytes(*reply->inlined));
    results.setSentBytes(reply->sentBytes);
    results.setDataChecksum(reply->dataChecksum);
    toAttrs(reply->lom, ctx_.cfg.id, results.initAttrs());
  });
}

kj::Promise<void> TargetService::appendArchive(AppendArchiveContext context) {
  auto p = context.getParams();
  return archives_.beginAppend(objectRef(p.getRef()), proto::str(p.getArchiveMime()))
      .then([context](Result<kj::Own<wire::PutStream::Server>> stream) mutable {
        auto results = context.getResults();
        if (!stream.ok()) return setStatus(results.initStatus(), stream.status());
        results.setStream(kj::mv(*stream));
      });
}

namespace {

// How long a target takes back held locks (ais.capnp, lockObject): three of the mounts' longest
// renewal period (5 s).
constexpr auto kLockGrace = std::chrono::seconds(15);

void fillLockResults(wire::Node::LockObjectResults::Builder results,
                     const std::optional<HeldLock>& conflict) {
  results.setGranted(!conflict);
  if (conflict) {
    results.setHolder(conflict->owner);
    results.setHolderWrite(conflict->write);
    results.setHolderStart(conflict->start);
    results.setHolderEnd(conflict->end);
    results.setHolderPid(conflict->pid);
  }
}

// An empty file, durable (the file and its directory entry) before it is relied on.
Status writeMarkerFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status(Code::kIoError, "creating " + path + ": " + strerror(errno));
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ok = ::fsync(dfd) == 0 && ok;
    ::close(dfd);
  }
  return ok ? Status::OK() : Status(Code::kIoError, "syncing " + path);
}

}  // namespace

TargetService::TargetService(NodeContext& ctx)
    : ctx_(ctx), objects_(ctx), copies_(ctx), archives_(ctx, objects_) {
  // Granted locks before it stopped: their holders get the grace period to take them back.
  // (Once, at start-up: a stat of a file in the config directory.)
  std::error_code ec;
  grantMarked_ = std::filesystem::exists(locksGrantedMarker(), ec);
  if (grantMarked_) graceUntil_ = LockTable::Clock::now() + kLockGrace;
}

std::string TargetService::locksGrantedMarker() const {
  return ctx_.cfg.confdir + "/locks-granted";
}

void TargetService::noteTargetSet(LockTable::Clock::time_point now) {
  std::string ids;
  for (const auto* t : ctx_.meta.smap().activeTargets()) ids += t->id + ',';
  // Objects may have a new owner, which does not know their locks yet.
  if (!lastTargets_.empty() && ids != lastTargets_) graceUntil_ = now + kLockGrace;
  lastTargets_ = std::move(ids);
}

kj::Promise<void> TargetService::lockObject(LockObjectContext context) {
  auto p = context.getParams();
  auto results = context.getResults();
  ObjectRef ref = objectRef(p.getRef());
  ref.localOnly = false;
  Status st = objects_.checkRouted(ref);
  if (!st.ok()) {
    setStatus(results.initStatus(), st);
    return kj::READY_NOW;
  }
  auto op = static_cast<LockOp>(p.getOp());
  if (p.getOp() > static_cast<uint8_t>(LockOp::kRenew) || p.getStart() > p.getEnd() ||
      proto::str(p.getOwner()).empty() ||
      (p.getReclaim() && op != LockOp::kRead && op != LockOp::kWrite)) {
    setStatus(results.initStatus(), Status(Code::kInvalidArgument, "bad lock request"));
    return kj::READY_NOW;
  }
  auto now = LockTable::Clock::now();
  noteTargetSet(now);
  bool taking = op == LockOp::kRead || op == LockOp::kWrite;
  bool inGrace = now < graceUntil_;
  std::string key = ref.bucket + '\0' + ref.name;
  std::string owner = proto::str(p.getOwner());
  auto lease = std::chrono::milliseconds(std::clamp<uint32_t>(p.getLeaseMs(), 1000, 600000));
  if (op == LockOp::kRenew) {
    results.setGranted(locks_.renew(key, p.getFlock(), owner, lease, now));
    return kj::READY_NOW;
  }
  if (taking && inGrace && !p.getReclaim()) {  // (tests too: a lock not yet reclaimed is unseen)
    results.setInGrace(true);
    return kj::READY_NOW;
  }
  if (p.getReclaim() && !inGrace) {  // another owner may have had it since: the lock is lost
    results.setHolder("(grace period over)");
    return kj::READY_NOW;
  }
  HeldLock want{
      .owner = owner, .write = false, .start = p.getStart(), .end = p.getEnd(), .pid = p.getPid()};
  auto apply = [this, context, key, op, want = std::move(want), lease, test = p.getTest(),
                flock = p.getFlock()]() mutable {
    auto results = context.getResults();
    auto conflict =
        locks_.apply(key, flock, op, std::move(want), lease, test, LockTable::Clock::now());
    fillLockResults(results, conflict);
  };
  if (taking && !p.getTest() && !grantMarked_) {
    // Before the first grant: the marker that gives a restarted target its grace period.
    std::string path = locksGrantedMarker();
    return ctx_.io->runAny([path] { return writeMarkerFile(path); })
        .then([this, apply = kj::mv(apply), context](Status written) mutable {
          if (!written.ok()) {
            setStatus(context.getResults().initStatus(), written);
            return;
          }
          grantMarked_ = true;
          apply();
        });
  }
  apply();
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::listArchive(ListArchiveContext context) {
  auto p = context.getParams();
  std::string archpath = proto::str(p.getArchpath());
  ObjectRef ref = objectRef(p.getRef());
  std::string shardName = "ais://" + ref.bucket + "/" + ref.name;
  return archives_.index(std::move(ref), proto::str(p.getArchiveMime()))
      .then([this, context, archpath, shardName](Result<ArchiveService::Indexed> ix) mutable {
        auto results = context.getResults();
        if (!ix.ok()) return setStatus(results.initStatus(), ix.status());
        std::vector<const archive::Member*> out;
        if (archpath.empty()) {
          for (const auto& m : ix->index->members()) out.push_back(&m);
        } else if (const archive::Member* m = ix->index->find(archpath)) {
          out.push_back(m);
        } else {
          return setStatus(
              results.initStatus(),
              Status(Code::kMemberNotFound, shardName + " has no member '" + archpath + "'"));
        }
        toAttrs(ix->lom, ctx_.cfg.id, results.initAttrs());
        results.setFormat(std::string(archive::formatName(ix->index->format())));
        auto members = results.initMembers(out.size());
        for (size_t i = 0; i < out.size(); ++i) {
          const archive::Member& m = *out[i];
          auto w = members[i];
          w.setName(m.name);
          w.setOffset(m.offset);
          w.setSize(m.size);
          w.setMtimeSec(m.mtimeSec);
          w.setMode(m.mode);
          w.setType(static_cast<uint8_t>(m.type));
          if (!m.linkTarget.empty()) w.setLinkTarget(m.linkTarget);
        }
      });
}

kj::Promise<void> TargetService::headObject(HeadObjectContext context) {
  return objects_.head(objectRef(context.getParams().getRef()))
      .then([this, context, start = Metrics::Clock::now()](Result<store::Lom> lom) mutable {
        countOp(ctx_.metrics, MetricOp::kHead, context.getParams().getRef(), 0, start,
                lom.status());
        answerLom(context.getResults(), lom, ctx_.cfg.id);
      });
}

kj::Promise<void> TargetService::deleteObject(DeleteObjectContext context) {
  auto p = context.getParams();
  return objects_.removeObject(objectRef(p.getRef()), proto::str(p.getVersionId()))
      .then(
          [this, context, start = Metrics::Clock::now()](Result<store::Store::Removed> r) mutable {
            countOp(ctx_.metrics, MetricOp::kDelete, context.getParams().getRef(), 0, start,
                    r.status());
            auto results = context.getResults();
            setStatus(results.initStatus(), r.status());
            if (!r.ok()) return;
            results.setVersionId(r->versionId);
            results.setDeleteMarker(r->deleteMarker);
          });
}

kj::Promise<void> TargetService::renameObject(RenameObjectContext context) {
  auto p = context.getParams();
  return objects_
      .rename(objectRef(p.getRef()), proto::str(p.getNewName()), proto::fromWire(p.getCustom()))
      .then([this, context, start = Metrics::Clock::now()](Result<store::Lom> moved) mutable {
        countOp(ctx_.metrics, MetricOp::kRename, context.getParams().getRef(), 0, start,
                moved.status());
        answerLom(context.getResults(), moved, ctx_.cfg.id);
      });
}

kj::Promise<void> TargetService::listObjects(ListObjectsContext context) {
  auto p = context.getParams();
  ListQuery q{proto::str(p.getBucket()),
              proto::str(p.getPrefix()),
              proto::str(p.getStartAfter()),
              proto::str(p.getDelimiter()),
              p.getLimit(),
              p.getMarkers(),
              p.getWriter()};
  // What it will list, as of before the page is read (bucketChanges).
  auto changes = ctx_.store->changes(q.bucket, q.prefix, q.writer);
  return objects_.list(std::move(q))
      .then([this, context, changes, start = Metrics::Clock::now()](Result<ListPage> page) mutable {
        ctx_.metrics.record(MetricOp::kList, proto::str(context.getParams().getBucket()), 0, start,
                            page.status());
        auto results = context.getResults();
        if (!page.ok()) return setStatus(results.initStatus(), page.status());
        results.setBoot(changes.boot);
        results.setFingerprint(changes.fingerprint);
        auto entries = results.initEntries(page->entries.size());
        for (size_t i = 0; i < page->entries.size(); ++i) {
          toAttrs(page->entries[i], ctx_.cfg.id, entries[i]);
        }
        if (!page->prefixes.empty()) {
          auto prefixes = results.initPrefixes(page->prefixes.size());
          for (size_t i = 0; i < page->prefixes.size(); ++i) prefixes.set(i, page->prefixes[i]);
        }
      });
}

// One bucketChanges call answers at most this many directories (aisfs asks for up to 1,024).
constexpr uint32_t kMaxChangePrefixes = 65536;

kj::Promise<void> TargetService::bucketChanges(BucketChangesContext context) {
  auto p = context.getParams();
  std::string bucket = proto::str(p.getBucket());
  auto results = context.getResults();
  if (p.getPrefixes().size() > kMaxChangePrefixes) {
    setStatus(results.initStatus(),
              Status(Code::kInvalidArgument,
                     fmt::format("bucketChanges: more than {} prefixes", kMaxChangePrefixes)));
    return kj::READY_NOW;
  }
  auto fingerprints = results.initFingerprints(p.getPrefixes().size());
  uint64_t boot = 0;
  for (uint32_t i = 0; i < fingerprints.size(); ++i) {
    auto changes = ctx_.store->changes(bucket, proto::str(p.getPrefixes()[i]), p.getWriter());
    boot = changes.boot;
    fingerprints.set(i, changes.fingerprint);
  }
  setStatus(results.initStatus(), Status::OK());
  results.setBoot(boot);
  return kj::READY_NOW;
}

kj::Promise<void> TargetService::setCustom(SetCustomContext context) {
  auto p = context.getParams();
  std::optional<store::CustomCounters> counters;
  if (p.hasAdd() && p.getAdd().size() > 0) {
    counters.emplace();
    counters->missingAs = p.getAddMissing();
    counters->opId = p.getOpId();
    for (auto kv : p.getAdd()) {
      std::string_view v(kv.getValue().cStr(), kv.getValue().size());
      int64_t delta = 0;
      auto [end, ec] =
          std::from_chars(v.data() + (v.starts_with('+') ? 1 : 0), v.data() + v.size(), delta);
      if (ec != std::errc() || end != v.data() + v.size()) {
        auto results = context.getResults();
        proto::setStatus(results.initStatus(),
                         Status(Code::kInvalidArgument, "setCustom: the add of " +
                                                            std::string(kv.getKey().cStr()) +
                                                            " is not a number: " + std::string(v)));
        return kj::READY_NOW;
      }
      counters->deltas[kv.getKey().cStr()] = delta;
    }
  }
  return objects_
      .setCustom(objectRef(p.getRef()), proto::fromWire(p.getCustom()), p.getMerge(),
                 std::move(counters))
      .then([this, context](Result<store::Lom> lom) mutable {
        answerLom(context.getResults(), lom, ctx_.cfg.id);
      });
}

kj::Promise<void> TargetService::copyObject(CopyObjectContext context) {
  auto p = context.getParams();
  std::optional<std::map<std::string, std::string>> replaced;
  if (p.getReplaceCustom()) replaced = proto::fromWire(p.getCustom());
  return objects_
      .copy(objectRef(p.getRef()), proto::str(p.getDstBucket()), proto::str(p.getDstName()),
            std::move(replaced), p.getDstIfAbsent(), p.getDstIfVersion())
      .then([context](Result<store::Lom> lom) mutable {
        answerLom(context.getResults(), lom, "");  // the copy may live on another target
      });
}

kj::Promise<void> TargetService::bucketEmpty(BucketEmptyContext context) {
  return objects_.bucketEmpty(proto::str(context.getParams().getName()))
      .then([context](Result<bool> empty) mutable {
        auto results = context.getResults();
        if (!empty.ok()) return setStatus(results.initStatus(), empty.status());
        results.setEmpty(*empty);
      });
}

kj::Promise<void> TargetService::moveToOwner(MoveToOwnerContext context) {
  return objects_.moveHeld(objectRef(context.getParams().getRef()))
      .then([context](Status st) mutable { setStatus(context.getResults().initStatus(), st); });
}

kj::Promise<void> TargetService::handOver(HandOverContext context) {
  return objects_.handOverTo(proto::str(context.getParams().getTargetId()))
      .then([context](ObjectService::HandOverReport r) mutable {
        auto results = context.getResults();
        results.setDone(r.done);
        results.setLeft(r.left);
      });
}

}  // namespace ais::node
