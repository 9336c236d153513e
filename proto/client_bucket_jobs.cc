// Bucket-wide jobs: those a props change starts (ec-encode, make-n-copies: the change goes
// through the primary, every target starts its part when the new BMD reaches it, before the
// primary acknowledges), and the copy and move of a bucket (a part on every target). The caller
// gets the job's id to follow.
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {
namespace {

// The newest job of `kind` on `bucket` (the one a props change just started).
Result<std::string> newestJob(Client& c, const std::string& kind, const std::string& bucket) {
  auto list = c.listJobs("", kind);
  if (!list.ok()) return list.status();
  const JobSummary* newest = nullptr;
  auto jobs = summarizeJobs(*list);
  for (const auto& m : jobs) {
    if (m.bucket == bucket && (!newest || m.startNs >= newest->startNs)) newest = &m;
  }
  if (!newest) {
    return Status(Code::kInternal,
                  "ais://" + bucket + ": the props changed but no " + kind + " job started");
  }
  return newest->id;
}

}  // namespace

Result<std::string> Client::ecEncode(const std::string& bucket, std::optional<uint32_t> data,
                                     std::optional<uint32_t> parity) {
  auto props = bucketProps(bucket);
  if (!props.ok()) return props.status();
  bool changes =
      (data && *data != props->ec.dataSlices) || (parity && *parity != props->ec.paritySlices);
  if (!props->ec.enabled || changes) {
    meta::BucketProps next = *props;
    next.ec.enabled = true;
    if (data) next.ec.dataSlices = *data;
    if (parity) next.ec.paritySlices = *parity;
    AIS_RETURN_IF_ERROR(setBucketProps(bucket, next, &*props));
    return newestJob(*this, "ec-encode", bucket);
  }
  std::string id = newJobId("ec-encode");
  AIS_RETURN_IF_ERROR(startJob(id, "ec-encode", bucket));
  return id;
}

Result<std::string> Client::makeNCopies(const std::string& bucket, uint32_t copies) {
  auto props = bucketProps(bucket);
  if (!props.ok()) return props.status();
  if (props->mirrorCopies == copies) return std::string();
  meta::BucketProps next = *props;
  next.mirrorCopies = copies;
  AIS_RETURN_IF_ERROR(setBucketProps(bucket, next, &*props));
  return newestJob(*this, "make-n-copies", bucket);
}

Result<std::string> Client::copyBucket(const std::string& src, const std::string& dst,
                                       const std::string& prefix, bool dryRun) {
  return startBucketTransfer("copy-bck", src, dst, prefix, dryRun);
}

Result<std::string> Client::moveBucket(const std::string& src, const std::string& dst) {
  return startBucketTransfer("move-bck", src, dst, "", false);
}

Result<std::string> Client::startBucketTransfer(const std::string& kind, const std::string& src,
                                                const std::string& dst, const std::string& prefix,
                                                bool dryRun) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, src));
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, dst));
  if (src == dst) {
    return Status(Code::kInvalidArgument, "ais://" + src + ": source and destination are the same");
  }
  auto props = bucketProps(src);
  if (!props.ok()) return props.status();
  bool move = kind == "move-bck";
  if (move && !props->objectVersioning.empty()) {
    return Status(Code::kInvalidArgument,
                  "ais://" + src +
                      " keeps S3 object versions, which a move would not carry: "
                      "copy it (copy-bck) instead");
  }
  // The destination is made with the source's props (AIStore's); a move wants a new one.
  meta::BucketProps made = *props;
  made.createdNs = 0;
  Status created = dryRun ? Status::OK() : createBucket(dst, made);
  if (created.code() == Code::kBucketExists && move) {
    return Status(Code::kBucketExists, "ais://" + dst + " exists: a bucket is moved to a new name");
  }
  if (!created.ok() && created.code() != Code::kBucketExists) return created;
  nlohmann::json params{{"to", dst}, {"prefix", prefix}, {"dry_run", dryRun}};
  std::map<std::string, std::string> parts;
  for (const auto* t : impl_->currentSmap()->activeTargets()) parts[t->id] = params.dump();
  std::string id = newJobId(kind);
  AIS_RETURN_IF_ERROR(startJob(id, kind, src, parts));
  return id;
}

Result<std::string> Client::promote(const std::string& bucket, const std::string& src,
                                    const std::string& objName, const PromoteOptions& o) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  if (src.empty() || src.front() != '/') {
    return Status(Code::kInvalidArgument, "promote: '" + src + "' is not an absolute path");
  }
  bool one = !o.target.empty();
  nlohmann::json params{{"src", src},         {"obj", objName},
                        {"rcr", o.recursive}, {"ovw", o.overwrite},
                        {"dls", o.deleteSrc}, {"shared", !one && !o.notFileShare}};
  std::map<std::string, std::string> parts;
  for (const auto* t : impl_->currentSmap()->activeTargets()) {
    if (!one || t->id == o.target) parts[t->id] = params.dump();
  }
  if (one && parts.empty()) {
    return Status(Code::kNodeNotFound, o.target + " is not an active target");
  }
  std::string id = newJobId("promote");
  AIS_RETURN_IF_ERROR(startJob(id, "promote", bucket, parts));
  return id;
}

Status Client::finishMove(const std::string& jobId, const std::string& src,
                          std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto list = listJobs(jobId);
    if (!list.ok()) return list.status();
    auto jobs = summarizeJobs(*list);
    if (jobs.empty()) return Status(Code::kObjectNotFound, "no job " + jobId);
    const JobSummary& m = jobs.front();
    if (m.state != "running") {
      if (m.state != "finished" || m.errors > 0 || !list->unreachable.empty()) {
        return Status(Code::kInternal, "move " + jobId + " " + m.state + " with " +
                                           std::to_string(m.errors) + " errors: ais://" + src +
                                           " is kept with what was not moved");
      }
      // Only an empty source goes: an object written to it meanwhile keeps it (BucketNotEmpty).
      return destroyBucket(src, /*force=*/false);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status(Code::kTimeout, "move " + jobId + " still runs");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace ais
