// Directories: listing (readdir / readdirplus from the listing cache), mkdir (a marker object,
// or a bucket at the cluster root) and rmdir (only when nothing but the marker is left).
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"

namespace ais::fusefs {
namespace {

constexpr ino_t kUnknownIno = 0xffffffff;  // readdir without plus: the kernel ignores d_ino

mode_t typeBits(Kind kind) {
  switch (kind) {
    case Kind::kFile:
    case Kind::kMember:
      return S_IFREG;
    case Kind::kSymlink:
      return S_IFLNK;
    default:
      return S_IFDIR;
  }
}

}  // namespace

void Fs::fetchMarkers(const std::string& bucket, const std::string& prefix,
                      std::vector<std::pair<std::string, DirEntry>>& children) {
  // readdirplus needs each subdirectory's marker (mode, owner, mtime), which a delimited listing
  // does not carry: HEAD them in parallel here rather than one by one in entryFor (ls -lR,
  // rsync and find walk trees with many small directories).
  std::vector<std::pair<DirEntry*, std::future<Result<ObjectInfo>>>> heads;
  for (auto& [name, entry] : children) {
    if (entry.kind != Kind::kDir || entry.haveInfo) continue;
    std::string marker = childName(prefix, name) + "/";
    if (auto known = inodes_.find(bucket, marker)) {
      std::lock_guard l(known->mu);
      if (Clock::now() - known->attrAt < options_.attrTtl) continue;  // entryFor keeps it
    }
    auto task = std::make_shared<std::packaged_task<Result<ObjectInfo>()>>(
        [this, bucket, marker] { return client_.head(bucket, marker); });
    heads.emplace_back(&entry, task->get_future());
    readPool_.submit([task] { (*task)(); });
  }
  for (auto& [entry, future] : heads) {
    auto head = future.get();
    if (!head.ok() && head.code() != Code::kObjectNotFound) continue;  // entryFor retries
    entry->haveInfo = true;
    entry->hasMarker = head.ok();
    if (head.ok()) entry->info = std::move(*head);
  }
  if (heads.empty()) return;
  for (auto& [name, entry] : children) {  // later lookups in this listing need no HEAD either
    if (entry.kind == Kind::kDir && entry.haveInfo) dirs_.upsert(bucket, prefix, name, entry);
  }
}

ErrOr<std::vector<DirHandle::Child>> Fs::dirSnapshot(Inode& inode) {
  auto children = listDir(inode);
  if (!children.ok()) return Errno{children.err()};
  if (inode.kind != Kind::kClusterRoot && !inShard(inode.kind)) {
    fetchMarkers(inode.bucket(), inode.name(), *children);
  }
  std::vector<DirHandle::Child> out;
  out.reserve(children->size());
  for (auto& [name, entry] : *children) out.push_back({name, std::move(entry)});
  return out;
}

ErrOr<std::unique_ptr<DirHandle>> Fs::doOpendir(fuse_ino_t ino) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  if (!isDirKind(inode->kind)) return Errno{ENOTDIR};
  // (Listed at the first readdir, not here: a directory opened, then written in, then read lists
  // what it holds when it is read, as on ext4.)
  return std::make_unique<DirHandle>();
}

ErrOr<std::string> Fs::doReaddir(fuse_req_t req, fuse_ino_t ino, DirHandle& dir, size_t size,
                                 off_t off, bool plus) {
  auto inode = inodes_.get(ino);
  if (!inode) return Errno{ENOENT};
  if (off == 0) {
    // The first read, or a rewinddir, which POSIX makes refer to the directory as it is now
    // (Python's os.listdir(fd) reads, then rewinds for the next): listed afresh.
    auto children = dirSnapshot(*inode);
    if (!children.ok()) return Errno{children.err()};
    dir.children = std::move(*children);
  }
  std::string bucket = inode->bucket();
  // Entries are built in uninitialized memory: the kernel asks for getdents' whole buffer (32 KiB
  // for glibc) on every call, and zero-filling it cost more than the entries of a small directory.
  std::unique_ptr<char[]> buf(new char[size]);
  size_t pos = 0;
  // Entries 0 and 1 are "." and ".."; child i is entry i + 2. An entry's offset is the next one's.
  for (size_t i = static_cast<size_t>(off); i < dir.children.size() + 2; ++i) {
    const char* name = i == 0 ? "." : i == 1 ? ".." : dir.children[i - 2].name.c_str();
    off_t next = static_cast<off_t>(i + 1);
    size_t left = size - pos;
    if (!plus) {
      struct stat st {};
      st.st_ino = i < 2 ? ino : kUnknownIno;
      const DirEntry* child = i < 2 ? nullptr : &dir.children[i - 2].entry;
      st.st_mode = !child                                                   ? S_IFDIR
                   : child->kind == Kind::kMember && isSymlink(*child->info) ? S_IFLNK
                   : child->kind == Kind::kSpecial ? specialType(*child->info)
                                                   : typeBits(child->kind);
      size_t len = fuse_add_direntry(req, buf.get() + pos, left, name, &st, next);
      if (len > left) break;
      pos += len;
      continue;
    }
    fuse_entry_param e{};
    if (i < 2) {
      e.attr.st_ino = ino;
      e.attr.st_mode = S_IFDIR;  // the kernel takes no reference on "." and ".."
      size_t len = fuse_add_direntry_plus(req, buf.get() + pos, left, name, &e, next);
      if (len > left) break;
      pos += len;
      continue;
    }
    // Check the fit first: entryFor takes a lookup reference the kernel must get.
    if (fuse_add_direntry_plus(req, nullptr, 0, name, &e, next) > left) break;
    const auto& child = dir.children[i - 2];
    e = entryFor(bucket, childKey(*inode, child.name), child.entry);
    pos += fuse_add_direntry_plus(req, buf.get() + pos, left, name, &e, next);
  }
  return std::string(buf.get(), pos);
}

ErrOr<fuse_entry_param> Fs::doMkdir(fuse_ino_t parentIno, const std::string& name, mode_t mode,
                                    const fuse_ctx& ctx) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return Errno{ENOENT};
  if (parent->kind == Kind::kClusterRoot) {
    Status st = client_.createBucket(name);
    // Made, or made elsewhere since the bucket list was read (`ais bucket create`, then
    // `mkdir -p` here: EEXIST, and from now on a lookup finds it, as the kernel keeps no miss of
    // the cluster root: doLookup), so `mkdir -p` goes on into it.
    if (st.ok() || st.code() == Code::kBucketExists) {
      dirs_.upsert("", "", name, DirEntry{.kind = Kind::kBucket});
    }
    if (!st.ok()) return errnoOf(st);
    dirs_.put(name, "", Listing{.at = Clock::now()});
    return entryFor("", name, DirEntry{.kind = Kind::kBucket});
  }
  auto marker = childObject(*parent, name, true);
  if (!marker.ok()) return Errno{marker.err()};
  std::string bucket = parent->bucket();
  auto put = client_.put(bucket, *marker, "",
                         PutOptions{.custom = newEntryCustom(parentIno, mode, true, ctx),
                                    .ifAbsent = true});
  bool madeElsewhere = put.code() == Code::kObjectExists;
  if (madeElsewhere) {
    // Made by another client since this mount last looked (within the listing TTL, which the
    // kernel keeps the miss for): it is there, with its creator's mode and owner, which a
    // second marker must not overwrite. Answered as made, so that `mkdir -p` and
    // os.makedirs(exist_ok=True) on many nodes at once go on (an EEXIST here would meet the
    // kernel's kept miss in their check that it is a directory).
    put = client_.head(bucket, *marker);
  }
  if (!put.ok()) return errnoOf(put.status());
  DirEntry entry{.kind = Kind::kDir, .haveInfo = true, .hasMarker = true, .info = std::move(*put)};
  dirs_.upsert(bucket, parent->name(), name, entry);
  if (!madeElsewhere) {
    dirChanged(*parent);
    // A directory we just made is empty: lookups in it (tar x, cp -r) need not ask the cluster.
    // Its listing is stamped later through the nearest stamped listing above it (revalidate.cc).
    dirs_.put(bucket, *marker,
              Listing{.at = Clock::now(),
                      .anchor = dirs_.anchorBelow(bucket, parent->name()),
                      .ownEdits = true});
  }
  return entryFor(bucket, childName(parent->name(), name), entry);
}

int Fs::doRmdir(fuse_ino_t parentIno, const std::string& name) {
  auto parent = inodes_.get(parentIno);
  if (!parent) return ENOENT;
  if (parent->kind == Kind::kClusterRoot) {
    int err = toErrno(client_.destroyBucket(name, false));
    if (err == 0) {
      dirs_.erase("", "", name);
      dirs_.invalidateTree(name, "");
    }
    return err;
  }
  auto marker = childObject(*parent, name, true);
  if (!marker.ok()) return marker.err();
  std::string bucket = parent->bucket();
  settleAllLinks();  // (a name linked in it and not stored yet makes it not empty)
  auto page = client_.list(bucket, ListOptions{.prefix = *marker, .pageSize = 2});
  if (!page.ok()) return toErrno(page.status());
  bool hasMarker = false;
  for (auto& e : page->entries) {
    if (e.name != *marker) return ENOTEMPTY;  // hidden names count too (docs/aisfs.md)
    hasMarker = true;
  }
  if (!page->commonPrefixes.empty()) return ENOTEMPTY;
  if (!hasMarker) return page->entries.empty() ? ENOENT : ENOTEMPTY;
  forgetDirChanges(bucket, *marker);  // (its pending mtime has nothing left to go to)
  Status st = client_.remove(bucket, *marker);
  if (!st.ok() && st.code() != Code::kObjectNotFound) return toErrno(st);
  dirs_.erase(bucket, parent->name(), name);
  dirs_.invalidateTree(bucket, *marker);
  inodes_.detach(bucket, *marker);
  dirChanged(*parent);
  return 0;
}

}  // namespace ais::fusefs
