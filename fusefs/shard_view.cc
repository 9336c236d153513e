#include "fusefs/shard_view.h"

#include <unordered_map>

#include "fusefs/posix_meta.h"

namespace ais::fusefs {

std::shared_ptr<const ShardTree> ShardView::build(ArchiveListing listing) {
  auto tree = std::make_shared<ShardTree>();
  tree->at = Clock::now();
  tree->dirs[""];
  // Every directory on the way to `path` (itself included when isDir).
  auto addDirs = [&](const std::string& path, bool isDir) {
    size_t from = 0;
    for (;;) {
      size_t slash = path.find('/', from);
      if (slash == std::string::npos && !isDir) return;
      std::string dir = slash == std::string::npos ? path : path.substr(0, slash);
      size_t cut = dir.rfind('/');
      std::string parent = cut == std::string::npos ? "" : dir.substr(0, cut);
      std::string base = cut == std::string::npos ? dir : dir.substr(cut + 1);
      auto& children = tree->dirs[parent];
      auto it = children.find(base);
      if (it == children.end() || it->second.kind != Kind::kMemberDir) {
        children[base] = DirEntry{.kind = Kind::kMemberDir};
      }
      tree->dirs[dir];
      if (slash == std::string::npos) return;
      from = slash + 1;
    }
  };
  std::unordered_map<std::string, const ArchiveMember*> files;  // hard links' targets
  for (const auto& m : listing.members) {
    if (m.type == ArchiveMember::Type::kFile) files[m.name] = &m;
  }
  for (auto& m : listing.members) {
    if (m.name.empty()) continue;
    if (m.type == ArchiveMember::Type::kDir) {
      addDirs(m.name, true);
      continue;
    }
    // Symlinks show as symlinks (readlink gives the target as archived); a hard link to a file
    // member is a file with that member's bytes (the owner reads the link as its target).
    const ArchiveMember* data = &m;
    if (m.type == ArchiveMember::Type::kHardlink) {
      auto t = files.find(m.linkTarget);
      if (t == files.end()) continue;
      data = t->second;
    } else if (m.type != ArchiveMember::Type::kFile && m.type != ArchiveMember::Type::kSymlink) {
      continue;  // devices, FIFOs
    }
    addDirs(m.name, false);
    size_t cut = m.name.rfind('/');
    std::string parent = cut == std::string::npos ? "" : m.name.substr(0, cut);
    std::string base = cut == std::string::npos ? m.name : m.name.substr(cut + 1);
    auto& children = tree->dirs[parent];
    if (auto it = children.find(base);
        it != children.end() && it->second.kind == Kind::kMemberDir) {
      continue;  // a directory of that name holds members: it stays a directory
    }
    ObjectInfo info;
    info.name = m.name;
    info.size = data->size;
    if (m.type == ArchiveMember::Type::kSymlink) info.custom[kKeySymlink] = m.linkTarget;
    info.version = listing.shard.version;
    info.checksum = listing.shard.checksum;  // (tells the shard's versions apart in caches)
    info.mtimeNs = info.atimeNs = m.mtimeSec * 1000000000;
    children[base] = DirEntry{.kind = Kind::kMember, .haveInfo = true, .info = std::move(info)};
  }
  tree->shard = std::move(listing.shard);
  return tree;
}

std::shared_ptr<const ShardTree> ShardView::cached(const std::string& bucket,
                                                   const std::string& shard) {
  std::lock_guard l(mu_);
  auto it = trees_.find(bucket + '\0' + shard);
  return it == trees_.end() ? nullptr : it->second;
}

ErrOr<std::shared_ptr<const ShardTree>> ShardView::tree(const std::string& bucket,
                                                        const std::string& shard,
                                                        Clock::duration ttl) {
  std::string key = bucket + '\0' + shard;
  {
    std::lock_guard l(mu_);
    auto it = trees_.find(key);
    if (it != trees_.end() && Clock::now() - it->second->at < ttl) return it->second;
  }
  auto listing = client_.listArchive(bucket, shard);
  if (!listing.ok()) return errnoOf(listing.status());
  auto built = build(std::move(*listing));
  std::lock_guard l(mu_);
  if (trees_.size() >= kMaxTrees) trees_.clear();  // (rebuilt on next use)
  trees_[key] = built;
  return built;
}

}  // namespace ais::fusefs
