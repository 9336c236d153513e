// Deferred hard links. link() of a file with one name is kept in this mount's memory for
// kLinkDeferral before it is stored as a hard link (links.cc): if the file's own name is
// unlinked meanwhile, the pair is a rename (one server-side move, the file keeps its plain
// format), and if the new name is, nothing is stored at all. git writes every object that way
// (a temp file, link() to its final name, unlink() of the temp name), which as stored hard links
// cost seven round trips per object instead of two.
//
// Until it is stored the new name exists on this mount only: it is in the cached listing of its
// directory and resolves to the file's inode (same st_ino, st_nlink counts it). Whatever else
// touches either name (a rename, another link, rmdir or a directory rename, fsync of the file,
// unmount) stores it first, and a thread stores those left after kLinkDeferral, so other mounts
// see the name within that and their TTL. Like a local filesystem's metadata before a journal
// commit, a link not yet stored is lost if the mount dies in that window.
//
// When the file's own name is unlinked, the unlink returns at once and the move follows right
// after on the settler thread: the old name is gone from this mount's listing and the new one
// resolves to the file meanwhile, and every operation on the file (open, read, write, stat,
// setattr, xattrs, locks; ops.cc calls settleMoveOf) or on either name makes or waits for the
// move first. A move that fails leaves the file under its old name: both listings are read
// again, and the error is logged.
#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/names.h"

namespace ais::fusefs {
namespace {

constexpr Clock::duration kLinkDeferral = std::chrono::milliseconds(50);

std::string pendingKey(const std::string& bucket, const std::string& file) {
  return bucket + '\0' + file;
}

}  // namespace

std::optional<ErrOr<fuse_entry_param>> Fs::deferLink(const std::shared_ptr<Inode>& inode,
                                                     const std::shared_ptr<Inode>& newParent,
                                                     const std::string& newName,
                                                     const std::string& object) {
  if (inode->kind != Kind::kFile) return std::nullopt;
  std::string bucket = inode->bucket();
  // The new name must be free: the kernel has just looked it up, so its listing answers.
  auto existing = resolve(*newParent, newName);
  if (existing.ok()) return ErrOr<fuse_entry_param>(Errno{EEXIST});
  if (existing.err() != ENOENT) return std::nullopt;  // (the stored link finds out)
  DirEntry entry;
  {
    std::lock_guard l(inode->mu);
    std::string file = inode->name();
    if (isLinked(file) || inode->pendingLinks > 0 || inode->removeAtLastClose) return std::nullopt;
    Status st = storeLocked(*inode);  // (an open, changed file: its bytes under its one name)
    if (!st.ok()) return ErrOr<fuse_entry_param>(errnoOf(st));
    ++inode->pendingLinks;
    inode->info.custom[kKeyCtime] = std::to_string(unixNowNs());  // a new name changes the file
    entry = DirEntry{.kind = Kind::kFile, .haveInfo = true, .info = inode->info};
    entry.info.edit().name = file;  // (the name it stands for: entryFor finds the inode by it)
    std::lock_guard pl(pendingLinksMu_);
    pendingLinks_[pendingKey(bucket, file)] = PendingLink{.bucket = bucket,
                                                          .file = file,
                                                          .name = object,
                                                          .inode = inode,
                                                          .newParent = newParent,
                                                          .newComponent = newName,
                                                          .at = Clock::now()};
  }
  dirs_.upsert(bucket, newParent->name(), newName, entry);
  dirChanged(*newParent);
  return entryFor(bucket, object, entry);
}

std::map<std::string, Fs::PendingLink>::iterator Fs::pendingByNameLocked(
    const std::string& bucket, const std::string& object) {
  return std::find_if(pendingLinks_.begin(), pendingLinks_.end(), [&](const auto& kv) {
    return kv.second.name == object && kv.second.bucket == bucket;
  });
}

std::optional<std::string> Fs::pendingLinkFile(const std::string& bucket,
                                               const std::string& object) {
  std::lock_guard l(pendingLinksMu_);
  auto it = pendingByNameLocked(bucket, object);
  if (it == pendingLinks_.end()) return std::nullopt;
  return it->second.file;
}

std::optional<Fs::PendingLink> Fs::claimPendingLink(const std::string& bucket,
                                                    const std::string& object, bool movesOnly) {
  std::unique_lock l(pendingLinksMu_);
  for (;;) {
    auto it = pendingLinks_.find(pendingKey(bucket, object));
    if (it == pendingLinks_.end() && !movesOnly) it = pendingByNameLocked(bucket, object);
    if (it == pendingLinks_.end() || (movesOnly && !it->second.move)) return std::nullopt;
    if (!it->second.settling) {
      it->second.settling = true;
      return it->second;
    }
    pendingLinksCv_.wait(l);  // another thread stores it: then it is an ordinary link
  }
}

void Fs::releasePendingLink(const PendingLink& p) {
  {
    std::lock_guard l(pendingLinksMu_);
    pendingLinks_.erase(pendingKey(p.bucket, p.file));
  }
  pendingLinksCv_.notify_all();
}

void Fs::storePendingLink(const PendingLink& p) {
  if (p.move) {
    int err = moveFile(*p.oldParent, p.oldComponent, *p.newParent, p.newComponent, p.moveFrom,
                       Errno{ENOENT}, p.file, p.name);
    if (err != 0) {
      // The file stays under its old name in the cluster: both listings are read again.
      log::error("aisfs: moving ais://{}/{} to {} (a link and an unlink) failed: {}", p.bucket,
                 p.file, p.name, std::strerror(err));
      dirs_.invalidate(p.bucket, p.oldParent->name());
      dirs_.invalidate(p.bucket, p.newParent->name());
    }
    --pendingMoves_;
    releasePendingLink(p);
    return;
  }
  auto linked = linkNow(p.inode, p.name, true);
  if (linked.ok()) {
    dirs_.upsert(p.bucket, p.newParent->name(), p.newComponent, *linked);
  } else {
    log::error("aisfs: link ais://{}/{} -> {} could not be stored: {}", p.bucket, p.file, p.name,
               std::strerror(linked.err()));
    dirs_.erase(p.bucket, p.newParent->name(), p.newComponent);
  }
  releasePendingLink(p);
}

void Fs::settleLinks(const std::string& bucket, const std::string& object) {
  if (auto p = claimPendingLink(bucket, object)) storePendingLink(*p);
}

void Fs::settleAllLinks() {
  std::vector<std::pair<std::string, std::string>> all;
  {
    std::lock_guard l(pendingLinksMu_);
    for (const auto& [key, p] : pendingLinks_) all.emplace_back(p.bucket, p.file);
  }
  for (const auto& [bucket, file] : all) settleLinks(bucket, file);
}

void Fs::settleMoveOf(fuse_ino_t ino) {
  if (pendingMoves_.load() == 0) return;
  auto inode = inodes_.get(ino);
  if (!inode) return;
  if (auto p = claimPendingLink(inode->bucket(), inode->name(), true)) storePendingLink(*p);
}

std::optional<int> Fs::unlinkPending(Inode& parent, const std::string& name,
                                     const std::string& object) {
  std::string bucket = parent.bucket();
  auto p = claimPendingLink(bucket, object);
  if (!p) return std::nullopt;
  if (p->move) {  // (the name is the moved file's new one: moved first, then unlinked as such)
    storePendingLink(*p);
    return std::nullopt;
  }
  {
    std::lock_guard l(p->inode->mu);
    --p->inode->pendingLinks;
  }
  int err = 0;
  if (object == p->name) {
    // The new name goes before it was stored: the file keeps its one name, its status changed.
    dirs_.erase(bucket, parent.name(), name);
    dirChanged(parent);
    auto touched =
        client_.setCustom(bucket, p->file, {{kKeyCtime, std::to_string(unixNowNs())}}, true);
    std::lock_guard l(p->inode->mu);
    if (touched.ok() && !(p->inode->ws && p->inode->ws->dirty)) {
      p->inode->info = std::move(*touched);
      p->inode->attrAt = Clock::now();
    }
  } else {
    // The file's own name goes: the file moves to the new name (a rename, inode kept). The
    // unlink returns at once: the old name leaves this mount's listing now, and the move is
    // made by the settler thread right away (git goes on to its next object meanwhile), or
    // first by whatever else touches the file or either name.
    auto src = resolve(parent, name);
    auto oldParent = inodes_.get(parent.ino);
    if (src.ok() && oldParent) {
      dirs_.erase(bucket, parent.name(), name);
      dirChanged(parent);
      {
        std::lock_guard l(pendingLinksMu_);
        PendingLink& pending = pendingLinks_.at(pendingKey(bucket, p->file));
        pending.move = true;
        pending.oldParent = std::move(oldParent);
        pending.oldComponent = name;
        pending.moveFrom = std::move(*src);
        pending.settling = false;
        ++pendingMoves_;
      }
      pendingLinksCv_.notify_all();
      return 0;
    }
    err = src.ok() ? ENOENT : src.err();
    log::error("aisfs: link ais://{}/{} -> {} lost: the move that stores it failed: {}", bucket,
               p->file, p->name, std::strerror(err));
    dirs_.erase(bucket, p->newParent->name(), p->newComponent);
  }
  releasePendingLink(*p);
  return err;
}

void Fs::startLinkSettler() {
  linkSettler_ = std::thread([this] {
    std::unique_lock l(pendingLinksMu_);
    while (!stopLinkSettler_) {
      pendingLinksCv_.wait_for(l, kLinkDeferral / 2);
      std::vector<PendingLink> due;
      auto now = Clock::now();
      for (auto& [key, p] : pendingLinks_) {
        if (!p.settling && (p.move || now - p.at >= kLinkDeferral)) {
          p.settling = true;
          due.push_back(p);
        }
      }
      l.unlock();
      for (const auto& p : due) storePendingLink(p);
      l.lock();
    }
  });
}

void Fs::stopLinkSettler() {
  {
    std::lock_guard l(pendingLinksMu_);
    if (stopLinkSettler_) return;
    stopLinkSettler_ = true;
  }
  pendingLinksCv_.notify_all();
  if (linkSettler_.joinable()) linkSettler_.join();
  settleAllLinks();
}

}  // namespace ais::fusefs
