# The fabric: one interface every aisnode exports. Control calls go to the primary proxy, object
# calls straight to the HRW owner target. Never renumber or reuse an ordinal.
@0xe4d2ed638cb55794;

using Meta = import "/meta/meta.capnp";
$import "/capnp/c++.capnp".namespace("ais::wire");

# Outcome of every call; code 0 is success, other codes are common/status.h's table.
struct Status {
  code @0 :UInt16;
  message @1 :Text;
}

struct KeyValue {
  key @0 :Text;
  value @1 :Text;
}

struct MountpathState {
  path @0 :Text;
  enabled @1 :Bool;
  faulted @2 :Bool;  # its file system takes no write (node/store/README.md, "A failed disk")
}

struct ObjectAttrs {
  name @0 :Text;
  size @1 :UInt64;
  checksum @2 :UInt64;
  checksumType @3 :Text;
  version @4 :UInt64;
  atimeNs @5 :Int64;
  mtimeNs @6 :Int64;
  custom @7 :List(KeyValue);
  targetId @8 :Text;
  checksumValue @9 :Text;  # checksumType's digest of the content, lowercase hex ("" for none)
  holeBytes @10 :UInt64;   # bytes of the content stored as holes (a sparse object), else 0
}

# Names an object and says which Smap the caller routed by (stale-Smap detection).
struct ObjectRef {
  bucket @0 :Text;
  name @1 :Text;
  smapVersion @2 :UInt64;
  # Serve from this target's own store, whoever the owner is (misplaced copies during rebalance).
  localOnly @3 :Bool;
  # PUT only if the object does not exist yet (ObjectExists otherwise): rebalance transfers never
  # overwrite a newer copy on the new owner.
  ifAbsent @4 :Bool;
  # PUT of an object that moves (rebalance, rename to another target): keep this modification
  # time instead of the time of the PUT. 0: now.
  mtimeNs @5 :Int64;
  # GET or HEAD sent past an owner that does not answer, to a target after it in HRW order: serve
  # the object from the erasure-coding slices or replicas (buckets with EC only).
  degraded @6 :Bool;
  # PUT, assemble or DELETE only if the object is this version now (VersionChanged otherwise,
  # atomically with the commit or removal): S3 If-Match. 0: whatever is there.
  ifVersion @7 :UInt64;
  # The aisfs mount that makes this change (a random id per mount; 0: anyone else). A target's
  # change tokens (bucketChanges) leave a mount's own writes out of the tokens it answers that
  # mount, so its cached listings, which it edits itself, outlive its own writes.
  writer @8 :UInt64;
  # PUT (a client's, not a move): when the client sent the write, by its clock, in ns since the
  # epoch (a streamed PUT: its commit, PutStream.commit's issuedNs). The version's modification
  # time (never later than the commit here), and the order of the writes of a name: a commit
  # sent before the current version was made does not replace it. So a PUT whose client gave up
  # on a hung target (and retried elsewhere), committed when that target resumes, never undoes a
  # write made meanwhile. 0: not known (the commit's time; it replaces whatever is there).
  # DELETE (a client's): when the client sent it, which orders it among the name's writes the
  # same way (a write sent before it and committed after it is dropped).
  issuedNs @9 :Int64;
}

struct NodeStatus {
  node @0 :Meta.NodeInfo;
  smapVersion @1 :UInt64;
  capacityBytes @2 :UInt64;
  availableBytes @3 :UInt64;
  objectCount @4 :UInt64;
  uptimeSec @5 :Int64;
  integrity @6 :IntegrityStats;
  smapPrimary @7 :Text;  # the primary of the node's Smap (nodes that disagree are catching up)
  # The host's (AIStore's sysinfo): online CPUs, memory from /proc/meminfo, 1-minute load average
  # in thousandths, and this process's resident memory.
  cpus @8 :UInt32;
  memTotalBytes @9 :UInt64;
  memAvailableBytes @10 :UInt64;
  loadAvgMilli @11 :UInt32;
  processRssBytes @12 :UInt64;
}

# Damage a target found since it started (reads refused, startup reconciliation, scrubs).
struct IntegrityStats {
  corruptReads @0 :UInt64;   # a block failed its checksum, or the file was short
  missingFiles @1 :UInt64;   # the LOM's file was gone
  quarantined @2 :UInt64;    # files moved to <mountpath>/%lost at startup
  lomsDropped @3 :UInt64;    # LOMs dropped at startup (their file was gone)
  lomsRebuilt @4 :UInt64;    # LOMs rebuilt from files (lost LOM database)
  orphans @5 :UInt64;        # object files without a LOM found by scrubs
}

# One target's scrub of a bucket: every object read whole and verified block by block.
struct ValidateReport {
  objects @0 :UInt64;        # LOMs checked
  bytes @1 :UInt64;
  corrupt @2 :List(Text);    # names whose bytes fail their checksums (or short files)
  missing @3 :List(Text);    # names whose file is gone
  orphaned @4 :List(Text);   # files under the bucket with no LOM (paths relative to the mountpath)
  errors @5 :List(Text);     # objects that could not be checked (I/O errors)
  repaired @6 :List(Text);   # damaged or missing here, rewritten from an intact copy elsewhere
}

# One node's part of a job (a long-running cluster action: scrub, rebalance, ...). A job has one
# id across the nodes that run it; each reports its own part.
struct JobInfo {
  id @0 :Text;
  kind @1 :Text;        # "validate", "rebalance"
  bucket @2 :Text;      # empty: not about one bucket
  node @3 :Text;        # the node running this part
  state @4 :Text;       # "running" | "finished" | "aborted" (stopped) | "failed"
  startNs @5 :Int64;
  endNs @6 :Int64;      # 0 while running
  objects @7 :UInt64;   # done so far
  bytes @8 :UInt64;
  errors @9 :UInt64;    # validate: damaged objects found; rebalance: objects that failed to move
  message @10 :Text;    # why it failed or stopped
  report @11 :ValidateReport;  # validate, once finished
}

# The reader's end of a streamed GET: the target pushes chunks with flow control.
interface ByteSink {
  write @0 (chunk :Data) -> stream;
  # length zero bytes (a hole of a sparse object, or a verified chunk of zeros), not sent: the
  # reader counts and hashes them as bytes (a file sink may leave a hole).
  writeZeros @1 (length :UInt64) -> stream;
}

# The writer's end of a streamed PUT; dropping it without commit discards the work file.
interface PutStream {
  write @0 (chunk :Data) -> stream;
  # checksum: xxhash64 of all chunks as the sender computed it; the target refuses a mismatch.
  # custom (with replaceCustom): the object's metadata instead of beginPut's, committed with the
  # bytes in one step (e.g. an S3 ETag known only once the last byte arrived).
  # issuedNs: when the client sent this commit (ObjectRef.issuedNs; 0: not known).
  commit @1 (checksum :UInt64, custom :List(KeyValue), replaceCustom :Bool, issuedNs :Int64)
      -> (status :Status, attrs :ObjectAttrs);
  # length zero bytes at this point of the stream, not sent: the target leaves a hole in its file
  # (a sparse object) and hashes them as bytes (the checksum covers them like any chunk).
  writeZeros @2 (length :UInt64) -> stream;
}

# One object of a putBatch and its outcome.
struct PutItem {
  ref @0 :ObjectRef;
  data @1 :Data;
  checksum @2 :UInt64;
  custom @3 :List(KeyValue);
}
struct PutOutcome {
  status @0 :Status;
  attrs @1 :ObjectAttrs;
}

# One member of an archive shard (listArchive): where its data lies in the shard.
struct ArchiveMember {
  name @0 :Text;        # sanitized: no leading '/', no '.' or '..' components
  offset @1 :UInt64;
  size @2 :UInt64;
  mtimeSec @3 :Int64;
  mode @4 :UInt32;
  type @5 :UInt8;       # 0 file, 1 directory, 2 symlink, 3 hard link, 4 other
  linkTarget @6 :Text;
}

interface Node {
  # --- cluster control ---
  getMeta @0 () -> (smap :Meta.Smap, bmd :Meta.Bmd, config :Meta.ClusterConfig);
  join @1 (node :Meta.NodeInfo) -> (status :Status, smap :Meta.Smap, bmd :Meta.Bmd,
                                    config :Meta.ClusterConfig);
  # The primary pushes new versions; a node keeps only newer ones (older → RejectedVersion).
  metasync @2 (smap :Meta.Smap, bmd :Meta.Bmd, config :Meta.ClusterConfig) -> (status :Status);
  # The reply's versions are the primary's: a node behind on any pulls the metadata (getMeta).
  keepalive @3 (nodeId :Text, role :Meta.Role, smapVersion :UInt64, bmdVersion :UInt64)
      -> (status :Status, smapVersion :UInt64, bmdVersion :UInt64, configVersion :UInt64);
  nodeStatus @4 () -> (status :NodeStatus);

  # --- buckets (primary proxy) ---
  createBucket @5 (name :Text, props :Meta.BucketProps) -> (status :Status);
  destroyBucket @6 (name :Text, force :Bool) -> (status :Status);
  setBucketProps @7 (name :Text, props :Meta.BucketProps, expected :Meta.BucketProps,
                     checkExpected :Bool) -> (status :Status);
  # With checkExpected: VersionChanged, nothing changed, unless the bucket's props are `expected`
  # at the change (a read-modify-write loses no concurrent change).
  # --- buckets (targets) ---
  bucketEmpty @8 (name :Text) -> (status :Status, empty :Bool);

  # --- objects (owner target) ---
  # Small objects inline; checksum as computed by the sender.
  putObject @9 (ref :ObjectRef, data :Data, checksum :UInt64, custom :List(KeyValue))
      -> (status :Status, attrs :ObjectAttrs);
  beginPut @10 (ref :ObjectRef, custom :List(KeyValue)) -> (status :Status, stream :PutStream);
  # Ranges up to inlineMax bytes come back in `data`; larger ones are pushed to `sink` in chunks.
  # dataChecksum is the xxhash64 of the bytes sent; for a whole object it equals attrs.checksum.
  # ifVersion (non-zero): VersionChanged, before any byte, unless the object is that version (a
  # reader that already sent headers for one version never mixes in another's bytes).
  # archpath (non-empty): the range is of that member of the archive shard (attrs: the shard's,
  # with the member's size; no whole-object checksum). archiveMime (non-empty): the shard's
  # format (tar, tgz, tar.gz, tar.lz4, zip), else by its name's extension, else its first bytes.
  # ifVersion, ifChecksum (non-zero): VersionChanged unless the object is that version with that
  # xxhash64 (a reader that took the object's attributes, or its first piece, in an earlier call:
  # version numbers alone can repeat, e.g. a name deleted and written again).
  getObject @11 (ref :ObjectRef, offset :UInt64, length :UInt64, toEnd :Bool, inlineMax :UInt32,
                 sink :ByteSink, ifVersion :UInt64, archpath :Text, archiveMime :Text,
                 ifChecksum :UInt64)
      -> (status :Status, attrs :ObjectAttrs, data :Data, sentBytes :UInt64, dataChecksum :UInt64);
  headObject @12 (ref :ObjectRef) -> (status :Status, attrs :ObjectAttrs);
  # In a bucket with S3 object versioning (BucketProps.objectVersioning), a client's delete keeps
  # the current version and makes a delete marker the latest (deleteMarker, versionId: its id);
  # versionId (non-empty) removes that version for good, the current one or a kept one (the
  # newest kept version, unless a delete marker, becomes current again when the current goes).
  deleteObject @13 (ref :ObjectRef, versionId :Text)
      -> (status :Status, versionId :Text, deleteMarker :Bool);
  # custom: merged into the object's metadata as it moves ("" deletes a key; aisfs's ctime and
  # inode number), in the same step. attrs: the object under its new name.
  renameObject @14 (ref :ObjectRef, newName :Text, custom :List(KeyValue))
      -> (status :Status, attrs :ObjectAttrs);
  # Up to `limit` entries with name > startAfter, sorted; the client merges the targets' pages.
  # With a delimiter, names are rolled up into `prefixes` (each counts against `limit`).
  # markers (with a delimiter): a rolled-up prefix's own object (a directory marker "d/", aisfs)
  # is an entry too, beside the prefix.
  listObjects @15 (bucket :Text, prefix :Text, startAfter :Text, limit :UInt32, delimiter :Text,
                   markers :Bool, writer :UInt64)
      -> (status :Status, entries :List(ObjectAttrs), prefixes :List(Text), boot :UInt64,
          fingerprint :UInt64);
  # (boot, fingerprint: the prefix's bucketChanges for `writer`, read before the page was.)
  # Custom metadata only; bytes and version unchanged. merge: update keys, "" deletes a key.
  # add: counters changed atomically, after the merge: each value a signed decimal added to the
  # key's number (addMissing if the key is absent or not a number). opId (non-empty) makes the
  # call idempotent: one whose opId is the object's last (a retry of an applied call) changes
  # nothing and answers the object as it is.
  setCustom @16 (ref :ObjectRef, custom :List(KeyValue), merge :Bool, add :List(KeyValue),
                 addMissing :Int64, opId :Text)
      -> (status :Status, attrs :ObjectAttrs);
  # Served by the source's owner, which streams the object to the destination's owner.
  copyObject @17 (ref :ObjectRef, dstBucket :Text, dstName :Text, replaceCustom :Bool,
                  custom :List(KeyValue), dstIfAbsent :Bool, dstIfVersion :UInt64)
      -> (status :Status, attrs :ObjectAttrs);
  # Served by ref's owner: concatenates the objects `parts` of partsBucket, in order, into ref
  # (local parts read from its store, others streamed from their owners); nothing is visible
  # before the commit, and the parts stay. A missing part: ObjectNotFound naming it.
  assembleObject @18 (ref :ObjectRef, partsBucket :Text, parts :List(Text),
                      custom :List(KeyValue))
      -> (status :Status, attrs :ObjectAttrs);
  # Jobs. startJob starts this node's part of job `id` (kind "validate": the scrub of `bucket` on
  # every mountpath, on the I/O workers) and returns at once; it runs until done or stopped, and
  # whoever started it may go away. listJobs: this node's jobs (running and the last finished),
  # filtered by id and/or kind when given. stopJob: stops the running ones matching id or kind.
  # params: what the kind needs beyond the bucket (kind "archive": this target's shards, JSON as
  # node/target/archive_job.h reads it).
  startJob @19 (id :Text, kind :Text, bucket :Text, params :Text) -> (status :Status);
  listJobs @20 (id :Text, kind :Text) -> (status :Status, jobs :List(JobInfo));
  stopJob @21 (id :Text, kind :Text) -> (status :Status, stopped :UInt32);

  # A target's mountpaths, and enabling or disabling one (kept across restarts). A change starts
  # the target's resilver job (its id in jobId): objects move to their HRW mountpaths among the
  # enabled ones, and are read from wherever they are meanwhile.
  mountpaths @22 () -> (status :Status, mountpaths :List(MountpathState));
  setMountpath @23 (path :Text, enabled :Bool) -> (status :Status, changed :Bool, jobId :Text);

  # Membership (primary). action "start-maintenance": the target leaves placement and keeps its
  # objects (served from it when asked, used again on return); "stop-maintenance": it returns;
  # "decommission": it leaves placement, moves every object to its owner, is stopped (its data
  # wiped with rmUserData) and removed from the Smap. Returns once the new Smap is published;
  # `smapVersion` names it (the targets' rebalance job is "rebalance-v<smapVersion>").
  setNodeState @24 (nodeId :Text, action :Text, rmUserData :Bool)
      -> (status :Status, smapVersion :UInt64);
  # Sent by the primary to a decommissioned node once it holds no object: it answers, then exits
  # (after removing its buckets' data with rmUserData).
  shutdown @25 (rmUserData :Bool) -> (status :Status);
  # Primary election (proxies): the candidate, which no longer reaches the primary of Smap
  # `smapVersion`, asks for this proxy's vote. Granted once per Smap version, and only if this
  # proxy holds no newer Smap and does not reach that primary either. `smap`: the voter's.
  requestVote @26 (candidateId :Text, smapVersion :UInt64)
      -> (status :Status, granted :Bool, smap :Meta.Smap);
  # A target's mountpaths at runtime (kept across restarts in <confdir>/mountpaths.override):
  # attach adds one (created if missing) and starts the resilver job (its id in jobId) that moves
  # objects to it by HRW; detach takes out one that is disabled and empty.
  attachMountpath @27 (path :Text) -> (status :Status, jobId :Text);
  detachMountpath @28 (path :Text) -> (status :Status);
  # Many small objects in one call (each as putObject: its ref, bytes, sender's XXH64, metadata),
  # each with its own outcome, in order. Plain objects are committed in groups (one RocksDB batch
  # and, for fsync buckets, one syncfs per group and mountpath), each acknowledged only once it is
  # as durable as its bucket asks. An item this target does not own answers StaleSmap.
  putBatch @29 (items :List(PutItem)) -> (results :List(PutOutcome));
  # The members of an archive shard (TAR, TGZ, TAR.LZ4, ZIP; archiveMime as for getObject), from
  # its index (built on first use, kept per object version); archpath (non-empty): that member
  # only (MemberNotFound if none). format: the one the shard was read as.
  listArchive @30 (ref :ObjectRef, archpath :Text, archiveMime :Text)
      -> (status :Status, attrs :ObjectAttrs, members :List(ArchiveMember), format :Text);
  # Appends members to a TAR shard on its owner: the stream takes a TAR archive of the new members
  # (its commit checksum: xxhash64 of those bytes) and its commit writes the shard's new version,
  # the shard's entries followed by the sent ones. VersionChanged if the shard changed meanwhile
  # (nothing appended: send again); InvalidArgument for a compressed shard; BadArchive if the sent
  # bytes are not a TAR archive; ObjectNotFound if there is no shard. archiveMime as in getObject.
  appendArchive @31 (ref :ObjectRef, archiveMime :Text) -> (status :Status, stream :PutStream);
  # Advisory locks between aisfs mounts (flock, fcntl record locks), kept in memory by the
  # object's owner target (common/lock_table.h). op: 0 unlock, 1 read, 2 write, 3 renew the
  # lease of the owner's locks of this object (granted false: it holds none there, the target
  # forgot them: reclaim them). [start, end] inclusive (end 2^64-1: to the end of the file).
  # `test` (F_GETLK) only looks. granted false: `holder*` describe the conflicting lock.
  # Grace period: a target that restarts after granting locks, or that meets a new set of targets
  # (objects may have a new owner), first takes back what holders had: for 15 s (the mounts
  # renew every 5 s at most) only `reclaim` requests (1, 2 of a lock held before) are granted,
  # others get inGrace (wait and ask again); a reclaim after it is refused (the lock is lost).
  lockObject @32 (ref :ObjectRef, owner :Text, flock :Bool, op :UInt8, start :UInt64,
                  end :UInt64, pid :UInt32, leaseMs :UInt32, test :Bool, reclaim :Bool)
      -> (status :Status, granted :Bool, holder :Text, holderWrite :Bool, holderStart :UInt64,
          holderEnd :UInt64, holderPid :UInt32, inGrace :Bool);
  # Primary proxy: replaces the cluster config with `config` (checked by meta::checkConfig) as
  # version config.version + 1 and pushes it to every node, unless the config is no longer at
  # config.version (VersionChanged: nothing changed, a concurrent change is not undone).
  setClusterConfig @33 (config :Meta.ClusterConfig) -> (status :Status, version :UInt64);
  # Target: tokens of what it lists of directories of the bucket (from memory, no disk): for
  # each prefix ("" the bucket, else ending in '/'; another counts as the directory it is in),
  # the same boot and fingerprint read later mean no object under it was stored, changed or
  # removed on this target meanwhile, so a listing made after the first read still holds
  # (aisfs revalidates its cached listings with them; listObjects returns the same beside a page).
  # writer (non-zero): the asking mount's id (ObjectRef.writer); its own writes do not move the
  # tokens it gets, anyone else's do.
  bucketChanges @34 (bucket :Text, prefixes :List(Text), writer :UInt64)
      -> (status :Status, boot :UInt64, fingerprints :List(UInt64));
  # Target: what this target holds for target `targetId`, written or deleted here while that
  # one was away (degraded PUTs and deletes), sent to it now (objects moved, deletes repeated);
  # a target asks each peer at start-up, before it joins. done: delivered; left: failed (still
  # retried in the background).
  handOver @35 (targetId :Text) -> (status :Status, done :UInt32, left :UInt32);
  # Target: sends its copy of ref's object (held here, owned by another target) to the name's
  # owner now, as a rebalance move does (ifAbsent with its mtime; the copy here removed once the
  # owner has it). The owner asks it when a rename meets a name that has not reached it yet.
  # ObjectNotFound: no copy here; StaleSmap: this target's Smap makes it the owner.
  moveToOwner @36 (ref :ObjectRef) -> (status :Status);
  # Ordinals are sequential: new methods take the next free number at the end.
}
