// The client library that ais, aisloader, aisfs and tests share: holds the Smap, routes each object
// request straight to its HRW owner target, pools connections, refreshes the Smap and retries on
// "stale Smap", retries transient failures with backoff. Thread-safe: every method may be called
// from any thread (calls are executed on the client's own KJ event-loop thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "meta/bmd.h"
#include "meta/config.h"
#include "meta/smap.h"

namespace ais {

struct ObjectInfo {
  std::string name;
  uint64_t size = 0;
  uint64_t holeBytes = 0;  // of size, bytes stored as holes (a sparse object), else 0
  uint64_t checksum = 0;   // xxhash64 of the whole object (always kept; transfers check it)
  // The bucket's checksum type (checksum.type) when the object was stored, and its digest of the
  // content in lowercase hex ("" for "none"): what users see and compare.
  std::string checksumType = "xxhash64";
  std::string checksumValue;
  uint64_t version = 0;
  int64_t atimeNs = 0;
  int64_t mtimeNs = 0;                        // time of the last PUT
  std::map<std::string, std::string> custom;  // user/POSIX metadata
  std::string targetId;                       // the target that holds it

  bool operator==(const ObjectInfo&) const = default;
};

struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // nullopt: to the end of the object
  // Non-empty: the range is of this member of the archive shard (TAR, TGZ, TAR.LZ4, ZIP), not of
  // the shard; the ObjectInfo returned is the shard's with the member's size and no checksum.
  std::string archpath;
  // The shard's format (tar, tgz, tar.gz, tar.lz4, zip or a MIME type); empty: by the name's
  // extension, else by its first bytes.
  std::string archiveMime;
  // Non-zero: VersionChanged unless the object's xxhash64 is this (with a version to match, the
  // very object a reader took its attributes or first piece from: version numbers can repeat).
  uint64_t ifChecksum = 0;
};

// One member of an archive shard (Client::listArchive).
struct ArchiveMember {
  enum class Type : uint8_t { kFile, kDir, kSymlink, kHardlink, kOther };
  std::string name;  // sanitized: no leading '/', no '.' or '..' components
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t mtimeSec = 0;
  uint32_t mode = 0;
  Type type = Type::kFile;
  std::string linkTarget;
};
// "file", "dir", "symlink", "hardlink" or "other": how listings (CLI, REST) name a member's type.
const char* memberTypeName(ArchiveMember::Type t);

struct ArchiveListing {
  ObjectInfo shard;
  std::vector<ArchiveMember> members;
  std::string format;  // what the shard was read as: tar, tgz, tar.lz4 or zip
};

struct PutOptions {
  std::map<std::string, std::string> custom;
  // Store only if the object does not exist yet (atomic with the commit): ObjectExists otherwise
  // (S3 `If-None-Match: *`).
  bool ifAbsent = false;
  // Store only if the object is this version now (atomic with the commit): VersionChanged
  // otherwise (S3 `If-Match`, after a HEAD that found the ETag). 0: whatever is there.
  uint64_t ifVersion = 0;
  // When the write was issued (ns since the epoch, this host's clock); 0: when each attempt
  // sends it (a streamed PUT: its commit). The version's modification time, and a commit issued
  // before the current version was made does not replace it (ais.capnp ObjectRef.issuedNs).
  int64_t issuedNs = 0;
};

// One object of a putBatch: its bytes must stay valid for the call.
struct BatchPut {
  std::string name;
  std::string_view data;
  PutOptions options;
};

struct LockRequest {
  std::string owner;  // unique across clients (aisfs: its mount's id and the kernel's owner)
  bool flock = false;
  uint8_t op = 0;  // 0 unlock, 1 read, 2 write, 3 renew
  uint64_t start = 0;
  uint64_t end = UINT64_MAX;
  uint32_t pid = 0;
  uint32_t leaseMs = 30000;
  bool test = false;     // F_GETLK: only look
  bool reclaim = false;  // a lock held before the target forgot it (grace period, ais.capnp)
};

struct LockReply {
  bool granted = false;
  std::string holder;
  bool holderWrite = false;
  uint64_t holderStart = 0;
  uint64_t holderEnd = 0;
  uint32_t holderPid = 0;
  bool inGrace = false;  // not granted: the target is taking back held locks, ask again
};

struct ListOptions {
  std::string prefix;
  std::string continuationToken;  // from the previous page; empty for the first
  uint32_t pageSize = 1000;       // 0 means the default (1000); counts entries + prefixes
  // If set (e.g. "/"), names with the delimiter after the prefix are rolled up into
  // commonPrefixes ("prefix...delimiter"), as S3 does; the page then holds each once.
  std::string delimiter;
  // A target that cannot be reached (after the retries) does not fail the listing: the page
  // comes from the others and names it in missingTargets. Off: the listing fails.
  bool allowPartial = false;
  // With a delimiter: a rolled-up prefix's own object ("d/", a directory marker) is listed as an
  // entry too (its attributes with the directory: aisfs).
  bool dirMarkers = false;
};

struct ListPage {
  std::vector<ObjectInfo> entries;          // sorted by name
  std::vector<std::string> commonPrefixes;  // sorted; only with a delimiter
  std::string continuationToken;            // opaque; empty when this is the last page
  // With ListOptions::allowPartial: targets that could not be asked (id, why); their objects
  // are missing from this page.
  std::vector<std::pair<std::string, Status>> missingTargets;
  // Every target's bucketChanges of the prefix, as they were before it listed this page, in
  // bucketChanges' form ("" when a target did not give one, or some were missing).
  std::string changeStamp;
};

struct BucketInfo {
  std::string name;
  meta::BucketProps props;
};

// Damage a target found since it started (see IntegrityStats in ais.capnp).
struct IntegrityCounts {
  uint64_t corruptReads = 0, missingFiles = 0, quarantined = 0, lomsDropped = 0, lomsRebuilt = 0,
           orphans = 0;
};

// One target's scrub of a bucket (lists capped at 1,000 names each).
struct ValidateResult {
  std::string targetId;
  Status status;  // the target could not scrub (unreachable, ...): the counts are empty
  uint64_t objects = 0;
  uint64_t bytes = 0;
  std::vector<std::string> corrupt, missing, orphaned, errors;
  std::vector<std::string> repaired;  // damaged copies rewritten from an intact one
};

// One node's part of a job (see JobInfo in ais.capnp).
struct JobInfo {
  std::string id, kind, bucket, node;
  std::string state;  // "running" | "finished" | "aborted" | "failed"
  int64_t startNs = 0, endNs = 0;
  uint64_t objects = 0, bytes = 0, errors = 0;
  std::string message;
  std::optional<ValidateResult> report;  // validate, once finished
  bool running() const { return state == "running"; }
};

struct MountpathInfo {
  std::string path;
  bool enabled = true;
  bool faulted = false;  // its file system takes no write: out of placement until repaired
};

// The jobs of every node that answered, and the nodes that did not.
struct JobList {
  std::vector<JobInfo> parts;
  std::vector<std::pair<std::string, Status>> unreachable;  // node id, why
};

// The elements of an endpoint list "a,b,..." (empty ones dropped), in order.
std::vector<std::string> splitEndpoints(const std::string& list);

// A job as the cluster sees it: its parts' counts summed; running if any part runs, else failed
// or aborted if any part was, else finished.
struct JobSummary {
  std::string id, kind, bucket, state;
  int64_t startNs = 0, endNs = 0;  // earliest start; latest end (0 while running)
  uint64_t objects = 0, bytes = 0, errors = 0;
  std::vector<JobInfo> parts;
};
// The jobs of a listing, oldest first.
std::vector<JobSummary> summarizeJobs(const JobList& list);

struct NodeStatus {
  meta::NodeInfo node;
  bool reachable = false;
  uint64_t smapVersion = 0;
  std::string smapPrimary;     // the primary the node's own Smap names
  uint64_t capacityBytes = 0;  // targets only
  uint64_t availableBytes = 0;
  uint64_t objectCount = 0;
  int64_t uptimeSec = 0;
  IntegrityCounts integrity;  // targets only
  // The node's host (AIStore's sysinfo).
  uint32_t cpus = 0;
  uint64_t memTotalBytes = 0, memAvailableBytes = 0, processRssBytes = 0;
  double loadAvg1 = 0;
};

// Called during long transfers with bytes done so far and the total (0 if unknown).
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

class Client;

// A streamed PUT in progress: write() chunks in order, then commit(). Dropping it (or abort())
// without commit stores nothing. Not thread-safe; whatever made it (the Client) must outlive it.
// Client::beginPut gives one that streams over the fabric; a gateway's in-process PUTs to its own
// target are another kind.
class PutHandle {
 public:
  PutHandle() = default;
  virtual ~PutHandle() = default;
  PutHandle(const PutHandle&) = delete;
  PutHandle& operator=(const PutHandle&) = delete;
  virtual Status write(std::string_view chunk) = 0;
  // custom, if given, replaces the metadata of beginPut and is committed with the bytes in one
  // step (readers never see the object without it).
  virtual Result<ObjectInfo> commit(
      std::optional<std::map<std::string, std::string>> custom = std::nullopt) = 0;
  virtual void abort() = 0;
  virtual uint64_t bytesWritten() const = 0;
};

class Client {
 public:
  struct Options {
    // host:port of any node's fabric endpoint (AIS_ENDPOINT), or several, comma-separated: the
    // first that answers gives the cluster map, which then names every node.
    std::string endpoint;
    int maxAttempts = 5;  // per request, for transient failures and stale Smaps
    std::chrono::milliseconds initialBackoff{50};
    std::chrono::milliseconds requestTimeout{60000};
    // The S3 gateways only: may list and use reserved buckets (meta::isReservedBucket).
    bool reservedBuckets = false;
    // aisfs only: the mount's random id, sent with every change it makes (ObjectRef.writer) and
    // with its listings and bucketChanges, whose tokens then leave its own writes out: the
    // listings it caches, and edits as it writes, stay valid. 0: none.
    uint64_t changeWriter = 0;
  };

  // Connects and fetches the Smap; fails with kUnavailable if the endpoint does not answer.
  static Result<std::unique_ptr<Client>> connect(const Options& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Cluster
  Result<meta::Smap> smap(bool refresh = false);
  // The cluster-wide config (keepalive, fabric message sizes, down grace), as a node last sent it
  // with the Smap; fetched anew.
  Result<meta::ClusterConfig> clusterConfig();
  // Sets config keys by name (meta::applyConfigKey: "keepalive.interval_ms" = "500ms", ...) at
  // run time: the primary publishes the result to every node. Returns the new config.
  Result<meta::ClusterConfig> setClusterConfig(
      const std::vector<std::pair<std::string, std::string>>& edits);
  // The client's current Smap without a copy (per-request routing decisions).
  std::shared_ptr<const meta::Smap> smapSnapshot();
  // A Smap learned out of band (the node this client runs in got it from the primary): used
  // from now on if newer than the client's. Requests never fail against a target that was
  // added (a listing would just not ask it), so a client inside a node must be told.
  void adoptSmap(std::shared_ptr<const meta::Smap> smap);
  // Asks the node at rpcEndpoint a cheap question: false if no answer came within limit, and the
  // node is then suspected, as after a call's unanswered probe (requests go around it for a
  // while: docs/architecture.md). For a caller that saw the node fall silent another way.
  bool probe(const std::string& rpcEndpoint, std::chrono::milliseconds limit);
  // True while the node at rpcEndpoint is suspected (no call made).
  bool suspected(const std::string& rpcEndpoint);
  // True if the bucket has erasure coding in the client's BMD (no call made).
  bool ecEnabled(const std::string& bucket);
  // Asks every node of the Smap (onlyNode: that one, if in the Smap).
  Result<std::vector<NodeStatus>> clusterStatus(const std::string& onlyNode = "");

  // Buckets (served by the primary proxy)
  Status createBucket(const std::string& bucket, const meta::BucketProps& props = {});
  // Fails with kBucketNotEmpty unless force, which destroys the bucket with its objects.
  Status destroyBucket(const std::string& bucket, bool force = false);
  Result<std::vector<BucketInfo>> listBuckets();
  Result<meta::BucketProps> bucketProps(const std::string& bucket);
  // expected (if given): the props read before; VersionChanged, nothing changed, if the bucket's
  // props are others by now (read again and retry).
  Status setBucketProps(const std::string& bucket, const meta::BucketProps& props,
                        const meta::BucketProps* expected = nullptr);

  // Objects (served by the owner target)
  Result<ObjectInfo> put(const std::string& bucket, const std::string& name, std::string_view data,
                         const PutOptions& options = {});
  // Many objects at once (client_batch.cc): one putBatch call per owner target carries many
  // small objects (over 1 MiB: one put each), which the target commits in groups. Every object
  // has its own result, in order, and is retried on its own like put() (a new owner, a down one).
  std::vector<Result<ObjectInfo>> putBatch(const std::string& bucket,
                                           const std::vector<BatchPut>& items);
  // Streams the file in chunks; large files never sit whole in memory.
  Result<ObjectInfo> putFile(const std::string& bucket, const std::string& name,
                             const std::string& path, const PutOptions& options = {},
                             ProgressFn progress = {});
  Result<std::string> get(const std::string& bucket, const std::string& name,
                          std::optional<ByteRange> range = std::nullopt);
  // Writes the object (or range) to fd at its current position; returns the object's info.
  Result<ObjectInfo> getToFd(const std::string& bucket, const std::string& name, int fd,
                             std::optional<ByteRange> range = std::nullopt,
                             ProgressFn progress = {});
  // Streams a range of the object to `consume`, called on this thread chunk by chunk as the owner
  // sends them, with flow control (a few chunks buffered at most): a slow consumer slows the
  // sender. Every chunk was block-verified by the target; the transfer is checked against the
  // target's checksum at the end. ifVersion (non-zero): kVersionChanged, before any byte, if the
  // object is no longer that version. A consume error stops the transfer and is returned. Retries
  // (stale Smap, rebalance) only before the first byte.
  Result<ObjectInfo> getStream(const std::string& bucket, const std::string& name, ByteRange range,
                               uint64_t ifVersion,
                               const std::function<Status(std::string_view)>& consume);
  // Streamed PUT driven by the caller (e.g. a FUSE write stream). No retries once bytes went out.
  Result<std::unique_ptr<PutHandle>> beginPut(const std::string& bucket, const std::string& name,
                                              const PutOptions& options = {});
  // A streamed append to the TAR shard bucket/name on its owner (appendArchive in ais.capnp):
  // write a TAR archive of the members to add, then commit; the shard's new version is its
  // entries followed by those. kVersionChanged at commit if the shard changed meanwhile (nothing
  // appended: start over); kUnavailable while the owner is down.
  Result<std::unique_ptr<PutHandle>> beginAppendArchive(const std::string& bucket,
                                                        const std::string& name,
                                                        const std::string& archiveMime = "");
  Result<ObjectInfo> head(const std::string& bucket, const std::string& name);
  // An advisory lock on the object's owner target (lockObject in ais.capnp): granted, or the
  // conflicting lock in `holder`.
  Result<LockReply> lock(const std::string& bucket, const std::string& name,
                         const LockRequest& request);
  // Replaces (merge=false) or updates (merge=true; an empty value deletes a key) the object's
  // custom metadata; bytes and version stay as they are.
  Result<ObjectInfo> setCustom(const std::string& bucket, const std::string& name,
                               const std::map<std::string, std::string>& custom, bool merge = true);
  // Counters in the custom metadata, changed atomically on the owner: each delta is added to the
  // key's number (missingAs if the key is absent); `set` is merged first. Retries never apply it
  // twice (one operation id for all attempts). Returns the object as changed.
  Result<ObjectInfo> addCustom(const std::string& bucket, const std::string& name,
                               const std::map<std::string, int64_t>& deltas, int64_t missingAs,
                               const std::map<std::string, std::string>& set = {});
  // Server-side copy (owner to owner); the copy's custom metadata is the source's unless given.
  // dstIfAbsent / dstIfVersion: only if the destination is free (ObjectExists otherwise) / is
  // that version (VersionChanged otherwise), decided at the commit.
  Result<ObjectInfo> copy(const std::string& srcBucket, const std::string& srcName,
                          const std::string& dstBucket, const std::string& dstName,
                          std::optional<std::map<std::string, std::string>> custom = std::nullopt,
                          bool dstIfAbsent = false, uint64_t dstIfVersion = 0);
  // ifVersion (non-zero): only if the object is that version (VersionChanged otherwise).
  Status remove(const std::string& bucket, const std::string& name, uint64_t ifVersion = 0);
  // remove() with S3 object versioning's answer: in a versioned bucket the delete keeps the
  // current version and adds a delete marker (deleteMarker, versionId: the marker's id);
  // versionId (non-empty) removes that version for good (ObjectNotFound if there is none).
  struct Removal {
    std::string versionId;
    bool deleteMarker = false;
  };
  Result<Removal> removeObject(const std::string& bucket, const std::string& name,
                               uint64_t ifVersion = 0, const std::string& versionId = "");
  Status rename(const std::string& bucket, const std::string& from, const std::string& to);
  // The same, merging `custom` into the object's metadata in the same step ("" deletes a key);
  // returns the object under its new name.
  Result<ObjectInfo> renameWith(const std::string& bucket, const std::string& from,
                                const std::string& to,
                                const std::map<std::string, std::string>& custom);
  // Merges the targets' sorted pages into one sorted page.
  Result<ListPage> list(const std::string& bucket, const ListOptions& options = {});
  // Tokens of what the targets list of directories of the bucket ("" the bucket, else prefixes
  // ending in '/'; the Smap's version, then each target's bucketChanges), one per prefix: the
  // same token read later means nothing listed under it changed in between, so a listing made
  // after the first read (ListPage::changeStamp) still holds. One call per target, answered from
  // memory; an error (no retry) if a target does not answer.
  Result<std::vector<std::string>> bucketChanges(const std::string& bucket,
                                                 const std::vector<std::string>& prefixes);
  // Every object of the bucket under options.prefix (after options.continuationToken), in name
  // order, streamed (client_list_all.cc): each target's entries are read page after page from
  // its own last name, so nothing is fetched twice, and merged as they come. `each` returns
  // false to stop. options.pageSize: entries per target call (0: 5,000). With a delimiter, or
  // once a target does not answer, it goes on page by page through list() (allowPartial as
  // there: the targets not listed are added to *missing).
  Status listAll(const std::string& bucket, const ListOptions& options,
                 const std::function<bool(ObjectInfo&)>& each,
                 std::vector<std::pair<std::string, Status>>* missing = nullptr);
  // The members of an archive shard (TAR, TGZ, TAR.LZ4, ZIP; archiveMime as in ByteRange), in
  // archive order, from the index its owner keeps per version; archpath (non-empty): that member
  // only (kMemberNotFound if none). kBadArchive (with the reason) for a shard that is not a
  // readable archive of its format.
  Result<ArchiveListing> listArchive(const std::string& bucket, const std::string& name,
                                     const std::string& archpath = "",
                                     const std::string& archiveMime = "");
  // The member a read of archpath gets: listArchive of it, a hard link to a file member replaced
  // by that member (as tar extracts it, and as the owner reads it).
  Result<ArchiveListing> memberToRead(const std::string& bucket, const std::string& name,
                                      const std::string& archpath,
                                      const std::string& archiveMime = "");
  // Reads range into *out and returns the whole object's info (size, version, custom) in the same
  // call: a gateway learns the headers and the first bytes in one round trip.
  Result<ObjectInfo> getRange(const std::string& bucket, const std::string& name, ByteRange range,
                              std::string* out);
  // Jobs (proto/client_jobs.cc). startJob starts job `id` of `kind` on every active target; if
  // one refuses, the others' parts are stopped and its error returned (naming it). listJobs asks
  // every node for its parts of the jobs matching id/kind (empty: all). stopJob stops the running
  // parts matching id or kind everywhere; how many were asked.
  Status startJob(const std::string& id, const std::string& kind, const std::string& bucket);
  // The same with a part on each target named, given its own params (all or nothing too).
  Status startJob(const std::string& id, const std::string& kind, const std::string& bucket,
                  const std::map<std::string, std::string>& paramsByTarget);
  Result<JobList> listJobs(const std::string& id = "", const std::string& kind = "");
  // A target's mountpaths (client_mountpaths.cc).
  Result<std::vector<MountpathInfo>> mountpaths(const std::string& targetId);
  // Enables or disables a target's mountpath; the id of the resilver job it started ("" when the
  // mountpath already was in that state).
  Result<std::string> setMountpath(const std::string& targetId, const std::string& path,
                                   bool enabled);
  // Adds a mountpath to a running target (kept across restarts); returns the resilver job's id.
  Result<std::string> attachMountpath(const std::string& targetId, const std::string& path);
  // Takes a disabled, empty mountpath out of a running target (kept across restarts).
  Status detachMountpath(const std::string& targetId, const std::string& path);
  Result<uint32_t> stopJob(const std::string& id, const std::string& kind = "");
  // Membership (client_membership.cc): action "start-maintenance", "stop-maintenance" or
  // "decommission" of a target (rmUserData: a decommissioned target wipes its buckets' data
  // before it stops). Returns the version of the Smap that made the change.
  Result<uint64_t> setNodeState(const std::string& nodeId, const std::string& action,
                                bool rmUserData = false);
  // Admits the running node at `endpoint` (fabric host:port) into the cluster: asks it who it is,
  // then has the primary add it and send it the metadata (a node started without, or with a
  // wrong, primary address then follows the primary). Returns the node's id and the Smap version.
  Result<std::pair<std::string, uint64_t>> addNode(const std::string& endpoint);
  // Erasure-codes the bucket (client_bucket_jobs.cc): turns EC on (with these slice counts, if
  // given) when it is off or the counts change, which starts the ec-encode job on every target,
  // else starts one; returns the job's id.
  Result<std::string> ecEncode(const std::string& bucket, std::optional<uint32_t> data = {},
                               std::optional<uint32_t> parity = {});
  // Sets the bucket's mirror.copies, which starts the targets' make-n-copies job; returns its id
  // ("" if the bucket had that many copies already).
  Result<std::string> makeNCopies(const std::string& bucket, uint32_t copies);
  // Copies the objects of src under prefix to the same names in dst (made with src's props if
  // missing), server-side: a copy-bck job with a part on every target, each copying the objects
  // it owns. dryRun: only counts them. Returns the job's id.
  Result<std::string> copyBucket(const std::string& src, const std::string& dst,
                                 const std::string& prefix = "", bool dryRun = false);
  // Renames src to dst (AIStore's move-bck): dst is made with src's props (BucketExists if it
  // is there), then a move-bck job copies each object and removes it from src if it is still
  // the version copied. finishMove waits for the job and, if it finished without errors,
  // destroys src once it is empty (an object written to src meanwhile keeps it). A bucket with
  // S3 object versioning is not moved (its kept versions would not follow).
  Result<std::string> moveBucket(const std::string& src, const std::string& dst);
  Status finishMove(const std::string& jobId, const std::string& src,
                    std::chrono::seconds timeout = std::chrono::hours(24));
  // AIStore's promote: the file or directory `src` on the targets' own file systems becomes
  // objects of `bucket` (named `objName`, or under it for a directory): a promote job
  // (node/promote_part.h). target: only that target ("" : every one; with a shared directory
  // each promotes the names it owns, with notFileShare each all of its own copy). Returns the
  // job's id.
  struct PromoteOptions {
    std::string target;
    bool recursive = false, overwrite = false, deleteSrc = false, notFileShare = false;
  };
  Result<std::string> promote(const std::string& bucket, const std::string& src,
                              const std::string& objName, const PromoteOptions& options);
  // A fresh job id ("<kind>-" and 8 random letters and digits).
  static std::string newJobId(const std::string& kind);

  // Scrub (a "validate" job): every active target reads and verifies each of its objects of the
  // bucket and looks for files without metadata; one result per target. Waits for the job to end,
  // polling it; `started` (if set) gets the job id at once, `progress` the cluster's running
  // totals about twice a second. The job runs on whether or not the caller waits for it.
  using ScrubProgressFn = std::function<void(uint64_t objects, uint64_t bytes, uint64_t damaged)>;
  Result<std::vector<ValidateResult>> validateBucket(
      const std::string& bucket, ScrubProgressFn progress = {},
      std::function<void(const std::string& jobId)> started = {});
  // Builds bucket/name from objects of partsBucket concatenated in order (S3 multipart Complete,
  // proto/client_gateway.cc); the owner target of bucket/name assembles it, the parts stay.
  // options.custom becomes the object's metadata. A missing part: kObjectNotFound naming it.
  Result<ObjectInfo> assemble(const std::string& bucket, const std::string& name,
                              const std::string& partsBucket, const std::vector<std::string>& parts,
                              const PutOptions& options = {});

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  Result<std::string> startBucketTransfer(const std::string& kind, const std::string& src,
                                          const std::string& dst, const std::string& prefix,
                                          bool dryRun);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ais
