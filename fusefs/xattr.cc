// Extended attributes, kept in the object's custom metadata as "xattr.<name>" = "0s" + base64 of
// the value (getfattr's notation for binary values), so they travel with the object (rename, copy,
// the CLI's `object show`) and an empty value stays distinct from "no attribute". A directory's go
// on its marker. Namespaces user.*, trusted.* and security.*; the kernel checks who may use them
// (user.* needs write/read permission, trusted.* CAP_SYS_ADMIN).
#include <sys/xattr.h>

#include "common/clock.h"
#include "common/digest.h"
#include "fusefs/fs.h"

namespace ais::fusefs {
namespace {

constexpr std::string_view kKeyPrefix = "xattr.";
constexpr std::string_view kValuePrefix = "0s";
constexpr size_t kMaxNameBytes = 255;         // XATTR_NAME_MAX
constexpr size_t kMaxValueBytes = 64 << 10;   // XATTR_SIZE_MAX
constexpr size_t kMaxTotalBytes = 256 << 10;  // all of one file's names and values

bool supportedNamespace(const std::string& name) {
  for (std::string_view ns : {"user.", "trusted.", "security."}) {
    if (name.size() > ns.size() && name.starts_with(ns)) return true;
  }
  return false;
}

std::string keyOf(const std::string& name) { return std::string(kKeyPrefix) + name; }

std::optional<std::string> decode(const std::string& stored) {
  if (!stored.starts_with(kValuePrefix)) return std::nullopt;
  std::string_view b64 = std::string_view(stored).substr(kValuePrefix.size());
  std::string value = base64Decode(b64);
  if (value.empty() && !b64.empty()) return std::nullopt;
  return value;
}

size_t totalBytes(const ObjectInfo& info) {
  size_t n = 0;
  for (auto& [k, v] : info.custom) {
    if (!k.starts_with(kKeyPrefix)) continue;
    if (auto value = decode(v)) n += k.size() - kKeyPrefix.size() + value->size();
  }
  return n;
}

}  // namespace

// inode.mu held: the attributes to read or change, fresh per --attr-ttl. 0 when there is an
// object (or a directory, marker or not) to hold them; kNoHolder for bucket roots and the members
// of a shard seen as a directory (read-only); else the errno.
int Fs::xattrHolderLocked(Inode& inode, bool change) {
  Kind kind = inode.kind;
  if (inShard(kind)) return change ? EROFS : kNoHolder;
  if (kind == Kind::kClusterRoot || kind == Kind::kBucket) return kNoHolder;
  Status st = refreshLocked(inode, false);
  if (!st.ok() && !(kind == Kind::kDir && st.code() == Code::kObjectNotFound)) return toErrno(st);
  return 0;
}

int Fs::doSetxattr(fuse_ino_t ino, const std::string& name, std::string_view value, int flags) {
  if (name.size() > kMaxNameBytes) return ERANGE;
  if (value.size() > kMaxValueBytes) return E2BIG;
  if (!supportedNamespace(name)) return EOPNOTSUPP;
  auto inode = inodes_.get(ino);
  if (!inode) return ENOENT;
  std::lock_guard l(inode->mu);
  int err = xattrHolderLocked(*inode, true);
  if (err != 0) return err == kNoHolder ? EOPNOTSUPP : err;
  auto it = inode->info.custom.find(keyOf(name));
  bool exists = inode->haveInfo && it != inode->info.custom.end();
  if ((flags & XATTR_CREATE) && exists) return EEXIST;
  if ((flags & XATTR_REPLACE) && !exists) return ENODATA;
  size_t old = exists ? name.size() + decode(it->second).value_or("").size() : 0;
  size_t total = (inode->haveInfo ? totalBytes(inode->info) : 0) - old + name.size() + value.size();
  if (total > kMaxTotalBytes) return ENOSPC;
  return changeMetaLocked(*inode, {{keyOf(name), std::string(kValuePrefix) + base64Encode(value)},
                                   {kKeyCtime, std::to_string(unixNowNs())}});
}

ErrOr<std::string> Fs::doGetxattr(fuse_ino_t ino, const std::string& name) {
  if (!supportedNamespace(name)) return Errno{ENODATA};
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  std::lock_guard l(inode->mu);
  int err = xattrHolderLocked(*inode, false);
  if (err != 0) return Errno{err == kNoHolder ? ENODATA : err};
  if (!inode->haveInfo) return Errno{ENODATA};
  auto it = inode->info.custom.find(keyOf(name));
  if (it == inode->info.custom.end()) return Errno{ENODATA};
  auto value = decode(it->second);
  if (!value) return Errno{ENODATA};  // not one of ours (set as custom metadata by hand)
  return std::move(*value);
}

ErrOr<std::string> Fs::doListxattr(fuse_ino_t ino, bool privileged) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  std::lock_guard l(inode->mu);
  std::string names;
  int err = xattrHolderLocked(*inode, false);
  if (err == kNoHolder || !inode->haveInfo) return names;
  if (err != 0) return Errno{err};
  for (auto& [k, v] : inode->info.custom) {
    if (!k.starts_with(kKeyPrefix) || !decode(v)) continue;
    std::string name = k.substr(kKeyPrefix.size());
    if (!supportedNamespace(name)) continue;
    if (!privileged && name.starts_with("trusted.")) continue;  // as ext4 hides them
    names += name;
    names += '\0';
  }
  return names;
}

int Fs::doRemovexattr(fuse_ino_t ino, const std::string& name) {
  if (!supportedNamespace(name)) return EOPNOTSUPP;
  auto inode = inodes_.get(ino);
  if (!inode) return ENOENT;
  std::lock_guard l(inode->mu);
  int err = xattrHolderLocked(*inode, true);
  if (err != 0) return err == kNoHolder ? ENODATA : err;
  if (!inode->haveInfo || !inode->info.custom.count(keyOf(name))) return ENODATA;
  return changeMetaLocked(*inode, {{keyOf(name), ""}, {kKeyCtime, std::to_string(unixNowNs())}});
}

}  // namespace ais::fusefs
