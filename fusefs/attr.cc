// setattr (chmod, chown, utimens, truncate) kept in custom metadata (changeMetaLocked, which
// xattr.cc shares), and statfs from the cluster's capacity.
#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"
#include "fusefs/write_state.h"

namespace ais::fusefs {
namespace {

int64_t toNs(const timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

// Applies changes as the cluster's setCustom merge does: an empty value removes its key.
void mergeInto(std::map<std::string, std::string>& custom,
               const std::map<std::string, std::string>& changes) {
  for (auto& [k, v] : changes) {
    if (v.empty()) {
      custom.erase(k);
    } else {
      custom[k] = v;
    }
  }
}

}  // namespace

ErrOr<struct stat> Fs::doSetattr(fuse_ino_t ino, const struct stat& attr, int toSet, bool haveFh) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  std::lock_guard l(inode->mu);
  Kind kind = inode->kind;
  if (inShard(kind)) return Errno{EROFS};  // a shard's members (and the shard as a directory)
  // Bucket roots have no object to hold metadata: changes are accepted and not kept.
  if (kind == Kind::kClusterRoot || kind == Kind::kBucket) return statOf(*inode);
  if (toSet & FUSE_SET_ATTR_SIZE) {
    if (kind == Kind::kDir) return Errno{EISDIR};
    int err = truncateLocked(*inode, static_cast<uint64_t>(attr.st_size));
    if (err != 0) return Errno{err};
    if (!haveFh) {  // truncate(2) without an open file takes effect at once
      Status st = storeLocked(*inode);
      if (!st.ok()) return errnoOf(st);
    }
  }
  std::map<std::string, std::string> changes;
  if (toSet & FUSE_SET_ATTR_MODE) {
    char buf[16];
    snprintf(buf, sizeof buf, "%o", static_cast<unsigned>(attr.st_mode & 07777));
    changes[kKeyMode] = buf;
  }
  if (toSet & FUSE_SET_ATTR_UID) changes[kKeyUid] = std::to_string(attr.st_uid);
  if (toSet & FUSE_SET_ATTR_GID) changes[kKeyGid] = std::to_string(attr.st_gid);
  if (toSet & FUSE_SET_ATTR_MTIME_NOW) {
    changes[kKeyMtime] = std::to_string(unixNowNs());
  } else if (toSet & FUSE_SET_ATTR_MTIME) {
    changes[kKeyMtime] = std::to_string(toNs(attr.st_mtim));
  }
  if (toSet & FUSE_SET_ATTR_ATIME_NOW) {
    changes[kKeyAtime] = std::to_string(unixNowNs());
  } else if (toSet & FUSE_SET_ATTR_ATIME) {
    changes[kKeyAtime] = std::to_string(toNs(attr.st_atim));
  }
  if (changes.empty()) return statOf(*inode);
  if (changes.count(kKeyMtime) && !changes.count(kKeyAtime) &&
      !(inode->haveInfo && inode->info.custom.count(kKeyAtime))) {
    // mtime alone (`touch -m`: atime UTIME_OMIT): the atime, which was mtime's (or the mount's
    // time for a directory without a marker), stays as it shows now.
    changes[kKeyAtime] = std::to_string(toNs(statOf(*inode).st_atim));
  }
  changes[kKeyCtime] = std::to_string(unixNowNs());  // a metadata change is a status change
  if (changes.count(kKeyMtime) && kind == Kind::kDir) {
    // An explicit mtime (tar, cp -a, rsync set it after filling the directory) wins over the
    // entry changes seen so far.
    forgetDirChanges(*inode);
  }

  int err = changeMetaLocked(*inode, changes);
  if (err != 0) return Errno{err};
  return statOf(*inode);
}

int Fs::changeMetaLocked(Inode& inode, const std::map<std::string, std::string>& changes) {
  Kind kind = inode.kind;
  if (inode.ws && inode.ws->dirty) {
    mergeInto(inode.info.custom, changes);  // travels with the data on flush
    if (changes.count(kKeyMtime)) inode.ws->mtimeSet = true;
    return 0;
  }
  std::string bucket = inode.bucket();
  std::string name = inode.name();  // a directory's marker for kDir
  auto updated = client_.setCustom(bucket, name, changes, true);
  if (!updated.ok() && updated.code() == Code::kObjectNotFound && kind == Kind::kDir) {
    // An implicit directory gets a marker to hold its metadata.
    PutOptions po{.custom = inode.haveInfo
                                ? inode.info.custom
                                : newCustom(defaults_.dirMode, defaults_.uid, defaults_.gid)};
    mergeInto(po.custom, changes);
    updated = client_.put(bucket, name, "", po);
  }
  if (!updated.ok()) return toErrno(updated.status());
  inode.info = std::move(*updated);
  inode.haveInfo = true;
  inode.attrAt = Clock::now();
  // Listings carry attributes (readdirplus): keep the cached one in step. (A hard-linked file's
  // names are wherever they are: the inode, which entryFor prefers, is up to date.)
  if (isLinked(name)) return 0;
  std::string path = kind == Kind::kDir ? name.substr(0, name.size() - 1) : name;
  std::string prefix = parentPrefix(path);
  dirs_.upsert(
      bucket, prefix, path.substr(prefix.size()),
      DirEntry{
          .kind = kind, .haveInfo = true, .hasMarker = kind == Kind::kDir, .info = inode.info});
  return 0;
}

ErrOr<struct statvfs> Fs::doStatfs() {
  std::lock_guard l(statfsMu_);
  if (Clock::now() - statfsAt_ < std::chrono::seconds(2)) return statfs_;
  auto status = client_.clusterStatus();
  if (!status.ok()) return errnoOf(status.status());
  uint64_t capacity = 0, available = 0, objects = 0;
  for (auto& n : *status) {
    if (!n.node.isTarget() || !n.reachable) continue;
    capacity += n.capacityBytes;
    available += n.availableBytes;
    objects += n.objectCount;
  }
  struct statvfs st {};
  st.f_bsize = 1 << 20;
  st.f_frsize = 4096;
  st.f_blocks = capacity / st.f_frsize;
  st.f_bfree = available / st.f_frsize;
  st.f_bavail = st.f_bfree;
  st.f_files = objects + (1ull << 32);  // no inode limit: report plenty free
  st.f_ffree = 1ull << 32;
  st.f_favail = st.f_ffree;
  st.f_namemax = kMaxComponent;
  statfs_ = st;
  statfsAt_ = Clock::now();
  return st;
}

}  // namespace ais::fusefs
