#include "node/node_server.h"

#include <signal.h>
#include <unistd.h>

#include <set>

#include "common/host_info.h"
#include "common/log.h"
#include "meta/codec.h"
#include "meta/names.h"
#include "node/archive_job_part.h"
#include "node/copy_bucket_part.h"
#include "node/mountpath_overrides.h"
#include "node/promote_part.h"
#include "proto/wire.h"

namespace ais::node {

using proto::setStatus;

namespace {
const Status kNotPrimaryStatus(Code::kNotPrimary, "ask the primary proxy");

template <typename Context>
kj::Promise<void> answer(Context& context, kj::Promise<Status> work) {
  return work.then(
      [context](Status st) mutable { setStatus(context.getResults().initStatus(), st); });
}
}  // namespace

namespace {
// After a mountpath change: starts the resilver job (objects to their mountpaths under the new
// set) and answers with its id, or why it could not start.
template <typename Results>
void startResilver(TargetService& target, Results res) {
  auto id = target.copies().resilver();
  if (!id.ok()) return setStatus(res.initStatus(), id.status());
  res.setJobId(*id);
  setStatus(res.initStatus(), Status::OK());
}
}  // namespace

Status NodeServer::notTarget() const {
  return Status(Code::kStaleSmap, "node " + ctx_.cfg.id + " is not a storage target");
}

namespace {
// The bucket an object call names (in its ref, or as the call's own field).
template <typename Params>
std::string bucketOf(Params params) {
  if constexpr (requires { params.getRef(); }) {
    return proto::str(params.getRef().getBucket());
  } else {
    return proto::str(params.getBucket());
  }
}
}  // namespace

template <typename Handler, typename Context>
kj::Promise<void> NodeServer::toTarget(Handler* handler,
                                       kj::Promise<void> (Handler::*call)(Context),
                                       Context context) {
  if (!handler) return answer(context, notTarget());
  return catchUp_.knowBucket(bucketOf(context.getParams()))
      .then([handler, call, context]() mutable { return (handler->*call)(context); });
}

kj::Promise<void> NodeServer::getMeta(GetMetaContext context) {
  auto r = context.getResults();
  meta::toWire(ctx_.meta.smap(), r.initSmap());
  meta::toWire(ctx_.meta.bmd(), r.initBmd());
  meta::toWire(ctx_.meta.config(), r.initConfig());
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::join(JoinContext context) {
  Primary* p = primaryOrNull();
  if (!p) {
    // With the metadata that names the primary (the joiner goes there next).
    auto r = context.getResults();
    setStatus(r.initStatus(), kNotPrimaryStatus);
    if (ctx_.meta.smap().version > 0) {
      meta::toWire(ctx_.meta.smap(), r.initSmap());
      meta::toWire(ctx_.meta.bmd(), r.initBmd());
      meta::toWire(ctx_.meta.config(), r.initConfig());
    }
    return kj::READY_NOW;
  }
  return p->join(meta::fromWire(context.getParams().getNode()))
      .then([this, context](Status st) mutable {
        auto r = context.getResults();
        setStatus(r.initStatus(), st);
        meta::toWire(ctx_.meta.smap(), r.initSmap());
        meta::toWire(ctx_.meta.bmd(), r.initBmd());
        meta::toWire(ctx_.meta.config(), r.initConfig());
      });
}

kj::Promise<void> NodeServer::metasync(MetasyncContext context) {
  auto p = context.getParams();
  Status st;
  if (p.hasSmap()) {
    meta::Smap smap = meta::fromWire(p.getSmap());
    // A primary takes a Smap naming another one only if it is newer (an election while it was
    // away or cut off): it then follows it.
    if (ctx_.isPrimary() && smap.primaryId != ctx_.cfg.id &&
        smap.version <= ctx_.meta.smap().version) {
      st = Status(Code::kRejectedVersion,
                  "this node is the primary of Smap v" + std::to_string(ctx_.meta.smap().version));
    } else {
      st = ctx_.meta.acceptSmap(std::move(smap));
    }
  }
  if (st.ok() && p.hasBmd()) st = ctx_.meta.acceptBmd(meta::fromWire(p.getBmd()));
  if (st.ok() && p.hasConfig()) st = ctx_.meta.acceptConfig(meta::fromWire(p.getConfig()));
  if (!st.ok()) log::warn("metasync refused: {}", st.toString());
  setStatus(context.getResults().initStatus(), st);
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::keepalive(KeepaliveContext context) {
  Primary* p = primaryOrNull();
  if (!p) {
    auto r = context.getResults();
    setStatus(r.initStatus(), kNotPrimaryStatus);
    r.setSmapVersion(ctx_.meta.smap().version);
    r.setBmdVersion(ctx_.meta.bmd().version);
    r.setConfigVersion(ctx_.meta.config().version);
    return kj::READY_NOW;
  }
  auto params = context.getParams();
  meta::Role role =
      params.getRole() == meta::wire::Role::PROXY ? meta::Role::kProxy : meta::Role::kTarget;
  return p->keepalive(params.getNodeId(), role, params.getSmapVersion())
      .then([this, context](Status st) mutable {
        auto r = context.getResults();
        setStatus(r.initStatus(), st);
        r.setSmapVersion(ctx_.meta.smap().version);
        r.setBmdVersion(ctx_.meta.bmd().version);
        r.setConfigVersion(ctx_.meta.config().version);
      });
}

kj::Promise<void> NodeServer::nodeStatus(NodeStatusContext context) {
  auto s = context.getResults().initStatus();
  meta::Role role = ctx_.cfg.isTarget() ? meta::Role::kTarget : meta::Role::kProxy;
  const meta::NodeInfo* self = ctx_.meta.smap().find(ctx_.cfg.id, role);
  meta::toWire(self ? *self : ctx_.selfInfo(role), s.initNode());
  s.setSmapVersion(ctx_.meta.smap().version);
  s.setSmapPrimary(ctx_.meta.smap().primaryId);
  if (ctx_.store) {
    auto cap = ctx_.store->capacity();
    if (cap.ok()) {
      s.setCapacityBytes(cap->totalBytes);
      s.setAvailableBytes(cap->availBytes);
    }
    s.setObjectCount(ctx_.store->objectCount());
    store::IntegrityStats is = ctx_.store->integrityStats();
    auto out = s.initIntegrity();
    out.setCorruptReads(is.corruptReads);
    out.setMissingFiles(is.missingFiles);
    out.setQuarantined(is.quarantined);
    out.setLomsDropped(is.lomsDropped);
    out.setLomsRebuilt(is.lomsRebuilt);
    out.setOrphans(is.orphans);
  }
  s.setUptimeSec(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  ctx_.started)
                     .count());
  HostInfo host = readHostInfo();
  s.setCpus(host.cpus);
  s.setMemTotalBytes(host.memTotalBytes);
  s.setMemAvailableBytes(host.memAvailableBytes);
  s.setLoadAvgMilli(static_cast<uint32_t>(host.loadAvg1 * 1000));
  s.setProcessRssBytes(host.processRssBytes);
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::createBucket(CreateBucketContext context) {
  Primary* p = primaryOrNull();
  if (!p) return answer(context, kNotPrimaryStatus);
  auto params = context.getParams();
  return answer(context,
                p->createBucket(proto::str(params.getName()), meta::fromWire(params.getProps())));
}

kj::Promise<void> NodeServer::destroyBucket(DestroyBucketContext context) {
  Primary* p = primaryOrNull();
  if (!p) return answer(context, kNotPrimaryStatus);
  auto params = context.getParams();
  return answer(context, p->destroyBucket(proto::str(params.getName()), params.getForce()));
}

kj::Promise<void> NodeServer::setBucketProps(SetBucketPropsContext context) {
  Primary* p = primaryOrNull();
  if (!p) return answer(context, kNotPrimaryStatus);
  auto params = context.getParams();
  std::optional<meta::BucketProps> expected;
  if (params.getCheckExpected()) expected = meta::fromWire(params.getExpected());
  return answer(context, p->setBucketProps(proto::str(params.getName()),
                                           meta::fromWire(params.getProps()), std::move(expected)));
}

kj::Promise<void> NodeServer::setClusterConfig(SetClusterConfigContext context) {
  Primary* p = primaryOrNull();
  if (!p) return answer(context, kNotPrimaryStatus);
  return p->setClusterConfig(meta::fromWire(context.getParams().getConfig()))
      .then([context](Result<uint64_t> version) mutable {
        auto r = context.getResults();
        setStatus(r.initStatus(), version.status());
        if (version.ok()) r.setVersion(*version);
      });
}

kj::Promise<void> NodeServer::bucketEmpty(BucketEmptyContext context) {
  if (!target_) return answer(context, notTarget());
  return target_->bucketEmpty(context);
}
kj::Promise<void> NodeServer::handOver(HandOverContext context) {
  if (!target_) return answer(context, notTarget());
  return target_->handOver(context);
}
kj::Promise<void> NodeServer::moveToOwner(MoveToOwnerContext context) {
  if (!target_) return answer(context, notTarget());
  return target_->moveToOwner(context);
}
// The object calls a target serves, each refused on a proxy and handed over once the bucket is
// known (toTarget): one line per capnp override.
#define AIS_TARGET_CALL(Method, Context, handler, Handler) \
  kj::Promise<void> NodeServer::Method(Context context) {  \
    return toTarget(handler, &Handler::Method, context);   \
  }
AIS_TARGET_CALL(putObject, PutObjectContext, target_, TargetService)
AIS_TARGET_CALL(beginPut, BeginPutContext, target_, TargetService)
AIS_TARGET_CALL(getObject, GetObjectContext, target_, TargetService)
AIS_TARGET_CALL(headObject, HeadObjectContext, target_, TargetService)
AIS_TARGET_CALL(deleteObject, DeleteObjectContext, target_, TargetService)
AIS_TARGET_CALL(renameObject, RenameObjectContext, target_, TargetService)
AIS_TARGET_CALL(listObjects, ListObjectsContext, target_, TargetService)
AIS_TARGET_CALL(bucketChanges, BucketChangesContext, target_, TargetService)
AIS_TARGET_CALL(listArchive, ListArchiveContext, target_, TargetService)
AIS_TARGET_CALL(appendArchive, AppendArchiveContext, target_, TargetService)
AIS_TARGET_CALL(lockObject, LockObjectContext, target_, TargetService)
AIS_TARGET_CALL(setCustom, SetCustomContext, target_, TargetService)
AIS_TARGET_CALL(copyObject, CopyObjectContext, target_, TargetService)
AIS_TARGET_CALL(assembleObject, AssembleObjectContext, assembler_.get(), Assembler)
#undef AIS_TARGET_CALL

kj::Promise<void> NodeServer::putBatch(PutBatchContext context) {
  if (!target_) {
    auto items = context.getParams().getItems();
    auto out = context.getResults().initResults(items.size());
    for (auto r : out) proto::setStatus(r.initStatus(), notTarget());
    return kj::READY_NOW;
  }
  std::set<std::string> buckets;
  for (auto it : context.getParams().getItems())
    buckets.insert(proto::str(it.getRef().getBucket()));
  kj::Vector<kj::Promise<void>> known;
  for (const auto& b : buckets) known.add(catchUp_.knowBucket(b));
  return kj::joinPromises(known.releaseAsArray()).then([this, context]() mutable {
    return target_->putBatch(context);
  });
}
namespace {

void toWire(const store::ValidateReport& report, wire::ValidateReport::Builder out) {
  out.setObjects(report.objects);
  out.setBytes(report.bytes);
  auto list = [](const std::vector<std::string>& names, capnp::List<capnp::Text>::Builder b) {
    for (size_t i = 0; i < names.size(); ++i) b.set(i, names[i]);
  };
  list(report.corrupt, out.initCorrupt(report.corrupt.size()));
  list(report.missing, out.initMissing(report.missing.size()));
  list(report.orphaned, out.initOrphaned(report.orphaned.size()));
  list(report.errors, out.initErrors(report.errors.size()));
  list(report.repaired, out.initRepaired(report.repaired.size()));
}

}  // namespace

kj::Promise<void> NodeServer::startJob(StartJobContext context) {
  auto p = context.getParams();
  std::string id = proto::str(p.getId()), kind = proto::str(p.getKind());
  std::string bucket = proto::str(p.getBucket());
  auto answerNow = [&](Status st) {
    setStatus(context.getResults().initStatus(), st);
    return kj::READY_NOW;
  };
  if (kind != "validate" && kind != "ec-encode" && kind != "archive" && kind != "copy-bck" &&
      kind != "move-bck" && kind != "promote") {
    return answerNow(Status(Code::kInvalidArgument,
                            "unknown job kind '" + kind +
                                "' (startJob runs: validate, ec-encode, archive, copy-bck, "
                                "move-bck, promote)"));
  }
  if (!target_) return answerNow(notTarget());
  if (kind == "archive") return answerNow(startArchivePart(ctx_, id, proto::str(p.getParams())));
  if (kind == "promote") {
    return answerNow(startPromotePart(ctx_, id, bucket, proto::str(p.getParams())));
  }
  if (kind == "copy-bck" || kind == "move-bck") {
    return answerNow(startCopyBucketPart(ctx_, id, kind, bucket, proto::str(p.getParams())));
  }
  if (Status st = meta::validateBucketName(bucket); !st.ok()) return answerNow(st);
  if (!ctx_.meta.bmd().find(bucket)) {
    return answerNow(Status(Code::kBucketNotFound, "ais://" + bucket));
  }
  ObjectService& objects = target_->objects();
  if (kind == "ec-encode") return answerNow(objects.ec().startEncodeJob(id, bucket));
  return answerNow(ctx_.jobs.start(id, kind, bucket, [&objects, bucket](Job& job) {
    return objects.validate(bucket, job.counters)
        .then([&job](Result<store::ValidateReport> report) -> Status {
          if (!report.ok()) return report.status();
          job.report = std::move(*report);
          return Status::OK();
        });
  }));
}

kj::Promise<void> NodeServer::listJobs(ListJobsContext context) {
  auto p = context.getParams();
  auto jobs = ctx_.jobs.list(proto::str(p.getId()), proto::str(p.getKind()));
  auto out = context.getResults().initJobs(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Job& j = *jobs[i];
    auto w = out[i];
    w.setId(j.id);
    w.setKind(j.kind);
    w.setBucket(j.bucket);
    w.setNode(ctx_.cfg.id);
    w.setState(jobStateName(j.state));
    w.setStartNs(j.startNs);
    w.setEndNs(j.endNs);
    w.setObjects(j.counters->objects.load());
    w.setBytes(j.counters->bytes.load());
    w.setErrors(j.counters->damaged.load());
    w.setMessage(j.message);
    if (j.report) toWire(*j.report, w.initReport());
  }
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::stopJob(StopJobContext context) {
  auto p = context.getParams();
  context.getResults().setStopped(ctx_.jobs.stop(proto::str(p.getId()), proto::str(p.getKind())));
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::mountpaths(MountpathsContext context) {
  auto res = context.getResults();
  if (!target_) {
    setStatus(res.initStatus(), notTarget());
    return kj::READY_NOW;
  }
  auto states = ctx_.store->mountpathStates();
  auto out = res.initMountpaths(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    out[i].setPath(states[i].path);
    out[i].setEnabled(states[i].enabled);
    out[i].setFaulted(states[i].faulted);
  }
  setStatus(res.initStatus(), Status::OK());
  return kj::READY_NOW;
}

kj::Promise<void> NodeServer::setMountpath(SetMountpathContext context) {
  if (!target_) return answer(context, notTarget());
  std::string path = proto::str(context.getParams().getPath());
  bool enabled = context.getParams().getEnabled();
  // The marker file is disk work: on an I/O worker.
  return ctx_.io
      ->runAny([store = ctx_.store.get(), path, enabled] {
        return store->setMountpathEnabled(path, enabled);
      })
      .then([this, context](Result<bool> changed) mutable {
        auto res = context.getResults();
        if (!changed.ok()) return setStatus(res.initStatus(), changed.status());
        res.setChanged(*changed);
        if (*changed) return startResilver(*target_, res);
        setStatus(res.initStatus(), Status::OK());
      });
}

kj::Promise<void> NodeServer::attachMountpath(AttachMountpathContext context) {
  if (!target_) return answer(context, notTarget());
  std::string path = proto::str(context.getParams().getPath());
  // Opening and reconciling its LomDb is disk work: on an I/O worker.
  return ctx_.io
      ->runAny(
          [store = ctx_.store.get(), confdir = ctx_.cfg.confdir, path]() -> Result<std::string> {
            auto attached = store->attachMountpath(path);
            AIS_RETURN_IF_ERROR(attached);
            AIS_RETURN_IF_ERROR(recordMountpath(confdir, *attached, true));
            return attached;
          })
      .then([this, context](Result<std::string> attached) mutable {
        auto res = context.getResults();
        if (!attached.ok()) return setStatus(res.initStatus(), attached.status());
        startResilver(*target_, res);
      });
}

kj::Promise<void> NodeServer::detachMountpath(DetachMountpathContext context) {
  if (!target_) return answer(context, notTarget());
  std::string path = proto::str(context.getParams().getPath());
  return ctx_.io
      ->runAny([store = ctx_.store.get(), confdir = ctx_.cfg.confdir, path]() -> Status {
        AIS_RETURN_IF_ERROR(store->detachMountpath(path));
        return recordMountpath(confdir, path, false);
      })
      .then([context](Status st) mutable { setStatus(context.getResults().initStatus(), st); });
}

kj::Promise<void> NodeServer::setNodeState(SetNodeStateContext context) {
  Primary* p = primaryOrNull();
  if (!p) return answer(context, kNotPrimaryStatus);
  auto params = context.getParams();
  return p
      ->setNodeState(proto::str(params.getNodeId()), proto::str(params.getAction()),
                     params.getRmUserData())
      .then([context](Result<uint64_t> version) mutable {
        auto r = context.getResults();
        setStatus(r.initStatus(), version.status());
        if (version.ok()) r.setSmapVersion(*version);
      });
}

kj::Promise<void> NodeServer::shutdown(ShutdownContext context) {
  meta::Role role = ctx_.cfg.isTarget() ? meta::Role::kTarget : meta::Role::kProxy;
  const meta::NodeInfo* self = ctx_.meta.smap().find(ctx_.cfg.id, role);
  // Only a node the primary is decommissioning stops on request.
  if (!self || !self->decommissioning()) {
    setStatus(context.getResults().initStatus(),
              Status(Code::kInvalidArgument, ctx_.cfg.id + " is not being decommissioned"));
    return kj::READY_NOW;
  }
  bool wipe = context.getParams().getRmUserData();
  kj::Promise<Status> wiped = Status::OK();
  if (ctx_.store) {
    std::vector<std::string> buckets, held = ctx_.meta.bmd().objectBuckets();
    for (const auto& [name, props] : ctx_.meta.bmd().buckets) buckets.push_back(name);
    // A write this target took just before it learnt it is leaving may have committed since the
    // primary found it empty: then it does not stop (nor wipe), and its rebalance moves the
    // object before the primary asks again.
    wiped = ctx_.io->runAny([store = ctx_.store.get(), buckets, held, wipe]() -> Status {
      for (const auto& b : held) {
        auto one = store->list(b, "", "", 1);
        if (one.ok() && !one->empty()) {
          return Status(Code::kUnavailable,
                        "still holds ais://" + b + "/" + one->front().name + ": not stopping yet");
        }
      }
      if (!wipe) return Status::OK();
      for (const auto& b : buckets) {
        Status st = store->destroyBucket(b);
        if (!st.ok()) log::warn("decommission: removing the data of {}: {}", b, st.toString());
      }
      return Status::OK();
    });
  }
  return wiped.then([this, context, wipe](Status held) mutable {
    if (!held.ok()) {
      log::info("decommission: {}", held.toString());
      setStatus(context.getResults().initStatus(), held);
      return;
    }
    log::info("decommissioned{}: shutting down", wipe ? " (data removed)" : "");
    setStatus(context.getResults().initStatus(), Status::OK());
    // The answer goes out first; then the usual SIGTERM path stops the node.
    ctx_.leaving = true;
    ctx_.timer()
        .afterDelay(200 * kj::MILLISECONDS)
        .then([] { ::kill(::getpid(), SIGTERM); })
        .detach([](kj::Exception&&) {});
  });
}

kj::Promise<void> NodeServer::requestVote(RequestVoteContext context) {
  auto params = context.getParams();
  if (!election_) {
    auto r = context.getResults();
    setStatus(r.initStatus(), Status(Code::kInvalidArgument, "not a proxy: it has no vote"));
    return kj::READY_NOW;
  }
  return election_->vote(proto::str(params.getCandidateId()), params.getSmapVersion())
      .then([this, context](Status st) mutable {
        auto r = context.getResults();
        setStatus(r.initStatus(), st);
        r.setGranted(st.ok());
        meta::toWire(ctx_.meta.smap(), r.initSmap());
      });
}

}  // namespace ais::node
