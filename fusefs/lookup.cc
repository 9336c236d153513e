// Name resolution and attributes: lookup, forget, getattr, and the listing fetch they share.
#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

constexpr size_t kRelistMax = 20000;  // larger directories are probed name by name
// A stat pass (rsync, cp -r, tar c, ls -l) re-lists a stale directory of up to one page rather
// than HEAD each file: a LIST is one request per target, a HEAD per file is one each.
constexpr size_t kRelistForAttrsMax = 1000;
// A getattr of a directory lists it (to count its subdirectories) only up to this many pages.
constexpr size_t kCountLinksPages = 4;
// A readdir renews a listing this old (Fs::renewAhead), so that its entries keep nearly a TTL.
constexpr Clock::duration kReaddirAging = std::chrono::milliseconds(100);

size_t readPoolSize(const Options& o) {
  uint64_t n = o.readChunk ? o.readAhead / o.readChunk : 0;
  return std::clamp<uint64_t>(n, 2, 8);
}

}  // namespace

Fs::Fs(const Options& options, Client& client)
    : options_(options),
      client_(client),
      defaults_{options.uid, options.gid, options.fileMode, options.dirMode, unixNowNs()},
      inodes_(options.bucket.empty() ? Kind::kClusterRoot : Kind::kBucket, options.bucket),
      shards_(client),
      readPool_(readPoolSize(options)),
      blockCache_(options.blockCache) {
  if (options.batchWrites.count() > 0) {
    batcher_ = std::make_unique<WriteBatcher>(*this, options.batchWrites);
  }
}

Fs::~Fs() {
  stopLinkSettler();
  stopDirTimes();
  stopLockRenewer();
  if (recordKeeper_.joinable()) recordKeeper_.join();
  if (batcher_) batcher_->stop();
}

namespace {

std::string objectKey(const std::string& bucket, const std::string& object) {
  return bucket + '\0' + object;
}

}  // namespace

bool Fs::unlinkedOpen(const std::string& bucket, const std::string& object) {
  std::lock_guard l(unlinkedMu_);
  return !unlinkedOpen_.empty() && unlinkedOpen_.count(objectKey(bucket, object)) != 0;
}

void Fs::setUnlinkedOpen(const std::string& bucket, const std::string& object, bool unlinked) {
  std::lock_guard l(unlinkedMu_);
  if (unlinked) {
    unlinkedOpen_.insert(objectKey(bucket, object));
  } else {
    unlinkedOpen_.erase(objectKey(bucket, object));
  }
}

bool Fs::holdsName(const Inode& inode) {
  auto now = inodes_.find(inode.bucket(), inode.name());
  return !now || now.get() == &inode;
}

ErrOr<Listing> Fs::fetchListing(const std::string& bucket, const std::string& prefix,
                                size_t maxPages) {
  // Never a directory half moved (rename_wait.cc): wait out a rename that covers it, and list
  // again if one started while listing.
  ErrOr<Listing> listing = Errno{EIO};
  askUnmoved(bucket, prefix, [&] {
    listing = listFromCluster(bucket, prefix, maxPages);
    return listing.ok() || listing.err() == EFBIG;
  });
  return listing;
}

ErrOr<Listing> Fs::listFromCluster(const std::string& bucket, const std::string& prefix,
                                   size_t maxPages) {
  Listing listing;
  listing.at = Clock::now();
  if (bucket.empty()) {
    auto buckets = client_.listBuckets();
    if (!buckets.ok()) return errnoOf(buckets.status());
    for (auto& b : *buckets) {
      if (visibleComponent(b.name)) listing.children[b.name] = DirEntry{.kind = Kind::kBucket};
    }
    return listing;
  }
  ListOptions lo{.prefix = prefix,
                 .continuationToken = {},
                 .pageSize = 1000,
                 .delimiter = "/",
                 .dirMarkers = true};
  size_t pages = 0;
  listing.listedSelf = !prefix.empty();  // (a marker sorts before all it holds: in page one)
  do {
    if (maxPages != 0 && pages++ == maxPages) return Errno{EFBIG};
    auto page = client_.list(bucket, lo);
    if (!page.ok()) return errnoOf(page.status());
    if (lo.continuationToken.empty()) listing.stamp = page->changeStamp;  // (revalidate.cc)
    for (auto& e : page->entries) {
      if (e.name == prefix) {
        listing.self = std::move(e);
        continue;
      }
      if (!e.name.starts_with(prefix)) continue;
      std::string rel = e.name.substr(prefix.size());
      // The directory's own marker (rel empty), names under a hidden component, or a server
      // that ignored the delimiter: not an entry of this directory.
      if (rel.find('/') != std::string::npos) {
        std::string first = rel.substr(0, rel.find('/'));
        if (!visibleComponent(first)) continue;
        if (rel.size() == first.size() + 1) {  // its marker: the directory with its attributes
          auto [it, added] = listing.children.emplace(first, DirEntry{.kind = Kind::kDir});
          if (it->second.kind == Kind::kDir) {
            it->second.haveInfo = true;
            it->second.hasMarker = true;
            it->second.info = std::move(e);
          }
          continue;
        }
        listing.children.emplace(first, DirEntry{.kind = Kind::kDir});
        continue;
      }
      if (!visibleComponent(rel)) continue;
      if (unlinkedOpen(bucket, e.name)) continue;  // gone from this mount already
      Kind kind = objectKind(e, e.name);
      // An object and a directory of the same name: the object wins (docs/aisfs.md).
      listing.children[rel] = DirEntry{.kind = kind, .haveInfo = true, .info = std::move(e)};
    }
    for (auto& cp : page->commonPrefixes) {
      if (!cp.starts_with(prefix) || cp.size() <= prefix.size()) continue;
      std::string rel = cp.substr(prefix.size(), cp.size() - prefix.size() - 1);
      if (visibleComponent(rel)) listing.children.emplace(rel, DirEntry{.kind = Kind::kDir});
    }
    lo.continuationToken = page->continuationToken;
  } while (!lo.continuationToken.empty());
  followLinks(bucket, listing.children);  // hard-linked names show their file
  for (auto& child : listing.children) child.second.at = listing.at;
  return listing;
}

int Fs::relist(const std::string& bucket, const std::string& prefix, Clock::duration ttl,
               size_t maxPages, bool forMisses) {
  std::mutex& mu =
      relistMu_[std::hash<std::string>{}(objectKey(bucket, prefix)) % relistMu_.size()];
  std::lock_guard l(mu);
  if (dirs_.fresh(bucket, prefix, ttl, forMisses)) return 0;  // listed while this one waited
  // Nothing under the directory changed since it was listed: it holds as of now.
  if (revalidate(bucket, prefix) && dirs_.fresh(bucket, prefix, ttl, forMisses)) return 0;
  const std::string failedKey = objectKey(bucket, prefix);
  {
    std::lock_guard f(listFailedMu_);
    auto it = listFailedAt_.find(failedKey);
    if (it != listFailedAt_.end() && Clock::now() - it->second < options_.listTtl) return EIO;
  }
  auto listing = fetchListing(bucket, prefix, maxPages);
  if (!listing.ok()) {
    if (listing.err() == EIO) {
      std::lock_guard f(listFailedMu_);
      if (listFailedAt_.size() > 4096) listFailedAt_.clear();
      listFailedAt_[failedKey] = Clock::now();
    }
    return listing.err();
  }
  // (Only a stat's listing has a limit. It answers misses where the one it replaces did: a
  // directory in use stays so.)
  listing->answersMisses = maxPages == 0 || dirs_.cachedSize(bucket, prefix, true).has_value();
  dirs_.put(bucket, prefix, std::move(*listing));
  return 0;
}

ErrOr<std::vector<std::pair<std::string, DirEntry>>> Fs::listDir(Inode& dir) {
  if (inShard(dir.kind)) return listShardDir(dir);
  std::string bucket = dir.bucket();
  std::string prefix = dir.name();
  if (auto at = dirs_.listedAt(bucket, prefix)) {
    renewAhead(bucket, prefix, *at, std::min<Clock::duration>(kReaddirAging, options_.listTtl / 2));
  }
  if (auto snap = dirs_.snapshot(bucket, prefix, options_.listTtl)) return std::move(*snap);
  if (int err = relist(bucket, prefix, options_.listTtl)) return Errno{err};
  if (auto snap = dirs_.snapshot(bucket, prefix, std::chrono::hours(1))) return std::move(*snap);
  auto listing = fetchListing(bucket, prefix);  // (dropped meanwhile by a change here)
  if (!listing.ok()) return Errno{listing.err()};
  return std::vector<std::pair<std::string, DirEntry>>(listing->children.begin(),
                                                       listing->children.end());
}

Kind Fs::objectKind(const ObjectInfo& info, const std::string& name) const {
  if (isSymlink(info)) return Kind::kSymlink;
  if (specialType(info) != 0) return Kind::kSpecial;
  if (options_.shardsAsDirs && ShardView::isShardName(name)) return Kind::kShard;
  return Kind::kFile;
}

ErrOr<DirEntry> Fs::resolve(Inode& parent, const std::string& component,
                            Clock::time_point* missingSince) {
  Clock::time_point asked = Clock::now();
  if (missingSince) *missingSince = asked;
  if (component.size() > kMaxComponent) return Errno{ENAMETOOLONG};
  if (!visibleComponent(component)) return Errno{ENOENT};
  if (parent.kind == Kind::kClusterRoot) {
    auto cached = dirs_.child("", "", component, options_.listTtl, missingSince);
    // A bucket missing from the cached list is asked for again (one call: the cluster's bucket
    // list): `ais bucket create b`, then at once `ls $MNT/b`, finds it.
    if (!cached || !*cached) {
      auto listing = fetchListing("", "");
      if (!listing.ok()) return Errno{listing.err()};
      dirs_.put("", "", std::move(*listing));
      cached = dirs_.child("", "", component, std::chrono::hours(1), missingSince);
    }
    if (!cached || !*cached) return Errno{ENOENT};
    return std::move(**cached);
  }
  if (inShard(parent.kind)) return resolveMember(parent, component);
  std::string bucket = parent.bucket();
  std::string prefix = parent.name();
  std::string object = childName(prefix, component);
  if (unlinkedOpen(bucket, object)) return Errno{ENOENT};
  // A file written here and not yet stored exists only in our inode.
  if (auto inode = inodes_.find(bucket, object)) {
    std::lock_guard l(inode->mu);
    if (inode->ws && !inode->unlinked) {
      return DirEntry{.kind = inode->kind, .haveInfo = true, .info = inode->info};
    }
  }
  auto cached = cachedChild(bucket, prefix, component, options_.listTtl, missingSince);
  if (!cached) {
    // A directory in use (tar x, rsync: mostly misses) is re-listed once per TTL rather than
    // probed name by name (a HEAD plus a list on every target per miss).
    auto size = dirs_.cachedSize(bucket, prefix, /*inUseOnly=*/true);
    if (size && *size <= kRelistMax) {
      int err = relist(bucket, prefix, options_.listTtl, 0, /*forMisses=*/true);
      // EIO: the directory cannot be listed whole (a target of a plain bucket down or hung):
      // the name is asked of its owner below, so the files of the targets that answer stay
      // reachable.
      if (err != 0 && err != EIO) return Errno{err};
      if (err == 0) {
        cached = dirs_.child(bucket, prefix, component, std::chrono::hours(1), missingSince);
      }
    }
  }
  if (cached) {
    if (!*cached) return Errno{ENOENT};
    return std::move(**cached);
  }
  if (missingSince) *missingSince = asked;
  // As for listings: not a name half moved (rename_wait.cc).
  ErrOr<DirEntry> entry = Errno{EIO};
  askUnmoved(bucket, object + "/", [&] {
    entry = askCluster(bucket, object, asked);
    return entry.ok() || entry.err() == ENOENT;
  });
  return entry;
}

ErrOr<DirEntry> Fs::askCluster(const std::string& bucket, const std::string& object,
                               Clock::time_point asked) {
  auto head = client_.head(bucket, object);
  if (head.ok()) {
    std::string target = linkTarget(*head);
    Status st = followLink(bucket, *head);  // a hard-linked name: its file
    if (!st.ok()) return errnoOf(st);
    Kind kind = objectKind(*head, target.empty() ? object : target);
    return DirEntry{.kind = kind, .haveInfo = true, .info = std::move(*head), .at = asked};
  }
  // (The owner down or hung: the name may still be a directory, which the others show.)
  bool unknown = head.code() == Code::kUnavailable || head.code() == Code::kTimeout;
  if (head.code() != Code::kObjectNotFound && !unknown) return errnoOf(head.status());
  // A directory exists while any object (its marker included) has its prefix. The marker sorts
  // first, so one entry tells both.
  std::string dirPrefix = asDirPrefix(object);
  // (Partial: a target down or hung leaves its part out; any name found proves the directory,
  // none found then proves nothing: EIO.)
  auto page =
      client_.list(bucket, ListOptions{.prefix = dirPrefix, .pageSize = 1, .allowPartial = true});
  if (!page.ok()) return errnoOf(page.status());
  if (page->entries.empty() && page->commonPrefixes.empty()) {
    return page->missingTargets.empty() && !unknown ? Errno{ENOENT} : Errno{EIO};
  }
  DirEntry dir{.kind = Kind::kDir, .haveInfo = true, .at = asked};
  if (!page->entries.empty() && page->entries[0].name == dirPrefix) {
    dir.hasMarker = true;
    dir.info = page->entries[0];
  }
  return dir;
}

struct stat Fs::statOf(Inode& inode) {
  struct stat st {};
  switch (inode.kind.load()) {
    case Kind::kClusterRoot:
    case Kind::kBucket:
      st = dirStat(nullptr, defaults_);
      break;
    case Kind::kDir:
      st = dirStat(inode.haveInfo ? &inode.info : nullptr, defaults_);
      break;
    case Kind::kFile:
    case Kind::kSymlink:
    case Kind::kSpecial:
      st = fileStat(inode.info, defaults_);
      st.st_nlink += inode.pendingLinks;  // (names link() gave it, stored a moment later)
      // Unlinked (or renamed over) while open: no name is left, as fstat shows on ext4.
      if (inode.removeAtLastClose || inode.unlinked) st.st_nlink = 0;
      if (inode.ws) {  // not stored yet: the spool file's blocks, else all of it
        st.st_size = static_cast<off_t>(inode.ws->size);
        struct stat spool {};
        bool spooled = inode.ws->fd >= 0 && ::fstat(inode.ws->fd, &spool) == 0;
        st.st_blocks = spooled ? std::min<blkcnt_t>(spool.st_blocks, (st.st_size + 511) / 512)
                               : (st.st_size + 511) / 512;
      }
      break;
    case Kind::kShard:  // read-only directories and files, with the shard's (member's) mtime
    case Kind::kMemberDir:
      st = dirStat(nullptr, defaults_);
      st.st_mode &= ~0222;
      if (inode.haveInfo) {
        st.st_mtim = st.st_ctim = timespec{static_cast<time_t>(inode.info.mtimeNs / 1000000000),
                                           static_cast<long>(inode.info.mtimeNs % 1000000000)};
      }
      break;
    case Kind::kMember: {
      if (isSymlink(inode.info)) {  // lrwxrwxrwx, the target's length
        st = fileStat(inode.info, defaults_);
        break;
      }
      ObjectInfo plain = inode.info;  // (its mode: the mount's file mode, read-only)
      plain.custom.clear();
      st = fileStat(plain, defaults_);
      st.st_mode &= ~0222;
      st.st_blocks = (st.st_size + 511) / 512;
      break;
    }
  }
  if (isDirKind(inode.kind)) st.st_nlink = dirLinks(inode);
  if (isDirKind(inode.kind) && !inShard(inode.kind)) {
    // An entry created, removed or renamed in it through this mount.
    // (ctime: the later of that and its own last status change, a chmod after the entries.)
    int64_t changed = dirChangedAt(inode);
    auto ns = [](const timespec& t) {
      return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
    };
    timespec at{static_cast<time_t>(changed / 1000000000), static_cast<long>(changed % 1000000000)};
    if (changed > ns(st.st_mtim)) st.st_mtim = at;
    if (changed > ns(st.st_ctim)) st.st_ctim = at;
  }
  // The file's own inode number when it has one (kept across renames), else the table's.
  uint64_t persistent = inode.haveInfo && !inShard(inode.kind) ? persistentIno(inode.info) : 0;
  st.st_ino = persistent != 0 ? persistent : inode.ino;
  return st;
}

Status Fs::refreshLocked(Inode& inode, bool force) {
  if (inode.ws || inode.kind == Kind::kClusterRoot || inode.kind == Kind::kBucket ||
      inode.kind == Kind::kMemberDir) {
    return Status::OK();
  }
  if (!force && Clock::now() - inode.attrAt < options_.attrTtl) return Status::OK();
  std::string name = inode.name();
  std::string bucket = inode.bucket();
  if (inode.kind == Kind::kMember) {  // from the shard's member tree, listed again if stale
    auto [shard, path] = splitMemberKey(name);
    // (Forced: the shard is known to be another version now, whatever the tree's age.)
    auto tree = shards_.tree(bucket, shard, force ? Clock::duration::zero() : options_.attrTtl);
    if (!tree.ok()) return Status(Code::kIoError, "listing shard " + shard);
    size_t cut = path.rfind('/');
    auto dir = (*tree)->dirs.find(cut == std::string::npos ? "" : path.substr(0, cut));
    if (dir == (*tree)->dirs.end()) return Status(Code::kObjectNotFound, path);
    auto it = dir->second.find(cut == std::string::npos ? path : path.substr(cut + 1));
    if (it == dir->second.end() || it->second.kind != Kind::kMember) {
      return Status(Code::kObjectNotFound, path);
    }
    inode.info = *it->second.info;
    inode.attrAt = Clock::now();
    return Status::OK();
  }
  if (inode.kind == Kind::kShard) {
    auto head = client_.head(bucket, name);
    if (!head.ok()) return head.status();
    inode.info = std::move(*head);
    inode.haveInfo = true;
    inode.attrAt = Clock::now();
    return Status::OK();
  }
  if (!force && isLinked(name) && inode.haveInfo && renewLinked(inode)) return Status::OK();
  if (!force && inode.kind != Kind::kDir) {
    if (auto st = refreshFromListingLocked(inode, bucket, name)) return *st;
  }
  auto head = client_.head(bucket, name);
  return takeInfoLocked(inode, std::move(bucket), std::move(name), std::move(head));
}

Status Fs::takeInfoLocked(Inode& inode, std::string bucket, std::string name,
                          Result<ObjectInfo> head) {
  if (inode.kind == Kind::kDir) {
    if (!head.ok() && head.code() != Code::kObjectNotFound) return head.status();
    inode.haveInfo = head.ok();
    if (head.ok()) inode.info = std::move(*head);
  } else {
    if (!head.ok()) return head.status();
    if (std::string target = linkTarget(*head); !target.empty()) {
      // The name got a second one elsewhere (another mount): this inode is the inode object's
      // now, unless this mount already has one for it (then the name is looked up again).
      Status st = followLink(bucket, *head);
      if (!st.ok()) return st;
      auto known = inodes_.find(bucket, target);
      if (known && known.get() != &inode) {
        inodes_.detach(bucket, name);
        return Status(Code::kObjectNotFound, bucket + "/" + name + " is a hard link now");
      }
      inodes_.rename(bucket, name, target);
      name = target;
    }
    Kind kind = objectKind(*head, name);
    inode.kind = kind == Kind::kShard ? Kind::kFile : kind;  // (a shard's inode stays what it was)
    inode.info = std::move(*head);
    inode.haveInfo = true;
  }
  inode.attrAt = Clock::now();
  return Status::OK();
}

std::optional<Status> Fs::refreshFromListingLocked(Inode& inode, const std::string& bucket,
                                                   const std::string& name) {
  std::string prefix = parentPrefix(name);
  std::string component = name.substr(prefix.size());
  Clock::time_point at;
  auto cached = cachedChild(bucket, prefix, component, options_.attrTtl, &at);
  if (!cached) {
    auto size = dirs_.cachedSize(bucket, prefix);
    if (!size || *size > kRelistForAttrsMax) return std::nullopt;
    if (relist(bucket, prefix, options_.attrTtl) != 0) return std::nullopt;  // (the HEAD says)
    cached = dirs_.child(bucket, prefix, component, options_.attrTtl, &at);
    if (!cached) return std::nullopt;
  }
  // The listing is younger than attrTtl and so newer than this stale inode: as good as a HEAD.
  if (!*cached) return Status(Code::kObjectNotFound, bucket + "/" + name);
  const DirEntry& e = **cached;
  if ((e.kind != Kind::kFile && e.kind != Kind::kSymlink && e.kind != Kind::kSpecial) ||
      !e.haveInfo || e.info->name != name) {  // (a name that became a hard link: the HEAD sees it)
    return std::nullopt;
  }
  inode.kind = e.kind;
  inode.info = *e.info;
  inode.haveInfo = true;
  inode.attrAt = at;
  inode.infoSynced = false;  // (a listing's time: entryFor compares again)
  return Status::OK();
}

fuse_entry_param Fs::entryFor(const std::string& bucket, const std::string& name,
                              const DirEntry& entry) {
  return entryFor(bucket, name, entry, nullptr);
}

fuse_entry_param Fs::entryFor(const std::string& bucket, const std::string& name,
                              DirEntry&& entry) {
  return entryFor(bucket, name, entry, &entry.info);
}

fuse_entry_param Fs::entryFor(const std::string& bucket, const std::string& name,
                              const DirEntry& entry, SharedInfo* ownInfo) {
  // Every name of a hard-linked file is the inode object's inode.
  std::string key = entry.kind == Kind::kDir                       ? asDirPrefix(name)
                    : entry.kind == Kind::kMemberDir               ? name + "/"
                    : entry.haveInfo && isLinked(entry.info->name) ? entry.info->name
                                                                   : name;
  // A name link() gave and that is not stored yet stands for its file (deferred_links.cc).
  if (key == name && entry.kind == Kind::kFile && entry.haveInfo && entry.info->name != name) {
    if (auto file = pendingLinkFile(bucket, name); file && *file == entry.info->name) key = *file;
  }
  // A subdirectory's link count comes from its own listing: renewed now if stale, soon if aging
  // (the tokens of a walk's next directories come in one call), so that the kernel keeps its
  // attributes instead of asking for them again (attr_timeout 0 when not counted, below).
  if (entry.kind == Kind::kDir) {
    if (auto at = dirs_.listedAt(bucket, key)) renewAhead(bucket, key, *at);
  }
  auto inode = entry.kind == Kind::kBucket ? inodes_.lookup(name, "", Kind::kBucket)
                                           : inodes_.lookup(bucket, key, entry.kind);
  fuse_entry_param e{};
  std::lock_guard l(inode->mu);
  bool dated = entry.at != Clock::time_point{};
  Clock::time_point seen = dated ? entry.at : Clock::now();
  // What the inode learnt since (e.g. a setattr reply, a link count) is newer than a cached
  // listing: kept, and asked for again by the kernel once past attrTtl. A hard-linked name's
  // file attributes are as of when they were read, which a renewal of its listing does not move
  // (DirEntry::infoAt; the inode renews its own: renewLinked).
  Clock::time_point infoSeen = entry.infoAt != Clock::time_point{} ? entry.infoAt : seen;
  bool newer = dated ? inode->attrAt >= infoSeen : Clock::now() - inode->attrAt < options_.attrTtl;
  if (!inode->ws && !newer) {
    if (entry.haveInfo && (entry.kind != Kind::kDir || entry.hasMarker)) {
      if (ownInfo) {
        inode->info = std::move(*ownInfo).release();
        inode->infoSynced = false;
      } else if (inode->infoSynced && inode->haveInfo && inode->attrAt == inode->infoSyncedAt &&
                 inode->infoSyncedFrom.same(entry.info)) {
        // The entry it was synced with, and nothing set its attributes since: equal already.
      } else {
        if (!inode->haveInfo || !(entry.info == inode->info)) {
          inode->info = *entry.info;  // (a walk meets the same version again: no copy)
        }
        inode->infoSynced = true;
        inode->infoSyncedFrom = entry.info;
      }
      inode->haveInfo = true;
      inode->attrAt = infoSeen;
      inode->infoSyncedAt = infoSeen;
    } else if (entry.kind == Kind::kDir && entry.haveInfo) {
      inode->haveInfo = false;  // checked: no marker
      inode->attrAt = infoSeen;
    } else if (entry.kind == Kind::kDir) {
      // From a listing: the marker (mode, owner, mtime of the directory) is fetched here.
      Status st = refreshLocked(*inode, true);
      if (!st.ok()) log::warn("aisfs: head {}/{}: {}", bucket, key, st.toString());
    }
  }
  e.ino = inode->ino;
  e.attr = statOf(*inode);
  e.attr_timeout = attrTimeoutOf(*inode);
  // A directory whose subdirectories this mount has not counted: its attributes are not kept,
  // so a stat asks getattr, which counts them.
  if (isDirKind(inode->kind) && e.attr.st_nlink < 2) e.attr_timeout = 0;
  e.entry_timeout = ttlLeft(options_.listTtl, seen);
  return e;
}

double Fs::attrTimeoutOf(const Inode& inode) const {
  Kind kind = inode.kind;
  bool ours = inode.ws || kind == Kind::kClusterRoot || kind == Kind::kBucket ||
              kind == Kind::kMemberDir;  // (what this mount holds or makes up)
  return ours ? attrTimeout() : ttlLeft(options_.attrTtl, inode.attrAt);
}

double Fs::ttlLeft(Clock::duration ttl, Clock::time_point since) const {
  auto left = ttl - (Clock::now() - since);
  return left.count() <= 0 ? 0.0 : std::chrono::duration<double>(left).count();
}

ErrOr<fuse_entry_param> Fs::doLookup(fuse_ino_t parentIno, const std::string& name) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return Errno{ENOENT};
  if (!isDirKind(parent->kind)) return Errno{ENOTDIR};
  Clock::time_point missingSince;
  auto entry = resolve(*parent, name, &missingSince);
  if (entry.err() == ENOENT) {
    // A negative entry: the kernel remembers the miss for what is left of the listing TTL.
    fuse_entry_param negative{};
    // (Not for a bucket: one made elsewhere must not stay missing in the kernel after this
    // mount has learnt of it, as a mkdir that found it there does.)
    negative.entry_timeout =
        parent->kind == Kind::kClusterRoot ? 0.0 : ttlLeft(options_.listTtl, missingSince);
    return negative;
  }
  if (!entry.ok()) return Errno{entry.err()};
  return entryFor(parent->bucket(), childKey(*parent, name), std::move(*entry));
}

void Fs::doForget(fuse_ino_t ino, uint64_t n) { inodes_.forget(ino, n); }

nlink_t Fs::dirLinks(const Inode& dir) {
  std::optional<size_t> subdirs;
  if (inShard(dir.kind)) {
    auto [shard, path] = dir.kind == Kind::kShard
                             ? std::pair<std::string, std::string>{dir.name(), ""}
                             : splitMemberKey(dir.name());
    if (auto tree = shards_.cached(dir.bucket(), shard)) {  // (as last listed)
      auto it = tree->dirs.find(path);
      if (it != tree->dirs.end()) {
        subdirs = std::count_if(it->second.begin(), it->second.end(),
                                [](auto& child) { return isDirKind(child.second.kind); });
      }
    }
  } else {
    subdirs = dirs_.subdirs(dir.bucket(), dir.name(), options_.listTtl);
  }
  return subdirs ? static_cast<nlink_t>(2 + *subdirs) : 1;
}

void Fs::listToCountLinks(Inode& dir) {
  Kind kind = dir.kind;
  if (kind != Kind::kDir && kind != Kind::kBucket && kind != Kind::kClusterRoot) return;
  std::string bucket = dir.bucket();
  std::string prefix = dir.name();
  if (dirs_.fresh(bucket, prefix, options_.listTtl)) return;
  // A stat of a huge directory (a flat bucket's root, walked through on every path) must not
  // list it: past a few pages its links are not counted.
  auto size = dirs_.cachedSize(bucket, prefix);
  if (size && *size > kCountLinksPages * 1000) return;
  if (relist(bucket, prefix, options_.listTtl, kCountLinksPages) != 0) return;  // not counted
  // The listing showed the directory's marker too: its attributes need no HEAD now.
  std::optional<ObjectInfo> marker;
  Clock::time_point at;
  if (kind != Kind::kDir || !dirs_.self(bucket, prefix, options_.listTtl, &marker, &at)) return;
  std::lock_guard l(dir.mu);
  if (dir.attrAt >= at) return;  // (what it learnt meanwhile is newer)
  dir.haveInfo = marker.has_value();
  if (marker) dir.info = std::move(*marker);
  dir.attrAt = at;
  dir.infoSynced = false;  // (a listing's time: entryFor compares again)
}

ErrOr<std::pair<struct stat, double>> Fs::doGetattr(fuse_ino_t ino) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  listToCountLinks(*inode);
  std::lock_guard l(inode->mu);
  Status st = refreshLocked(*inode, false);
  if (!st.ok()) return errnoOf(st);
  return std::pair{statOf(*inode), attrTimeoutOf(*inode)};
}

std::string Fs::childKey(const Inode& parent, const std::string& component) {
  switch (parent.kind.load()) {
    case Kind::kClusterRoot:
      return component;
    case Kind::kShard:
      return memberKey(parent.name(), component);
    case Kind::kMemberDir:
      return parent.name() + component;  // (its name ends in '/')
    default:
      return childName(parent.name(), component);
  }
}

ErrOr<DirEntry> Fs::resolveMember(Inode& parent, const std::string& component) {
  std::string bucket = parent.bucket();
  auto [shard, dirPath] = parent.kind == Kind::kShard
                              ? std::pair<std::string, std::string>{parent.name(), ""}
                              : splitMemberKey(parent.name());
  auto tree = shards_.tree(bucket, shard, options_.listTtl);
  if (!tree.ok()) return Errno{tree.err()};
  auto dir = (*tree)->dirs.find(dirPath);
  if (dir == (*tree)->dirs.end()) return Errno{ENOENT};
  auto it = dir->second.find(component);
  if (it == dir->second.end()) return Errno{ENOENT};
  return it->second;
}

ErrOr<std::vector<std::pair<std::string, DirEntry>>> Fs::listShardDir(Inode& dir) {
  auto [shard, dirPath] = dir.kind == Kind::kShard
                              ? std::pair<std::string, std::string>{dir.name(), ""}
                              : splitMemberKey(dir.name());
  auto tree = shards_.tree(dir.bucket(), shard, options_.listTtl);
  if (!tree.ok()) return Errno{tree.err()};
  auto it = (*tree)->dirs.find(dirPath);
  if (it == (*tree)->dirs.end()) return Errno{ENOENT};
  return std::vector<std::pair<std::string, DirEntry>>(it->second.begin(), it->second.end());
}

ErrOr<std::string> Fs::childObject(Inode& parent, const std::string& component, bool dir) {
  if (inShard(parent.kind)) return Errno{EROFS};  // a shard's members are read-only
  if (component.size() > kMaxComponent) return Errno{ENAMETOOLONG};
  if (!visibleComponent(component)) return Errno{EINVAL};
  if (parent.kind == Kind::kClusterRoot) return Errno{EPERM};  // only buckets live at the root
  std::string name = childName(parent.name(), component);
  if (name.size() > kMaxObjectName) return Errno{ENAMETOOLONG};
  if (dir) name.push_back('/');  // (a marker may take the one byte more: meta/names.h)
  return name;
}

}  // namespace ais::fusefs
