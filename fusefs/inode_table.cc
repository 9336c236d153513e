// The inode table: lookup counting (passthrough_hp's model) keyed by object name.
#include "fusefs/inode_table.h"

#include "fusefs/write_state.h"

namespace ais::fusefs {

Inode::Inode(fuse_ino_t id, Kind k, std::string b, std::string n)
    : ino(id), kind(k), bucket_(std::move(b)), name_(std::move(n)) {}

Inode::~Inode() = default;

std::string Inode::bucket() const {
  std::lock_guard l(nameMu_);
  return bucket_;
}

std::string Inode::name() const {
  std::lock_guard l(nameMu_);
  return name_;
}

void Inode::setName(std::string n) {
  std::lock_guard l(nameMu_);
  name_ = std::move(n);
}

InodeTable::InodeTable(Kind rootKind, std::string rootBucket) {
  auto root = std::make_shared<Inode>(FUSE_ROOT_ID, rootKind, rootBucket, "");
  root->nlookup_ = 1;  // the kernel never forgets the root
  byIno_[FUSE_ROOT_ID] = root;
  byName_[key(rootBucket, "")] = root;
}

std::shared_ptr<Inode> InodeTable::get(fuse_ino_t ino) {
  std::lock_guard l(mu_);
  auto it = byIno_.find(ino);
  return it == byIno_.end() ? nullptr : it->second;
}

std::shared_ptr<Inode> InodeTable::lookup(const std::string& bucket, const std::string& name,
                                          Kind kind) {
  std::lock_guard l(mu_);
  std::string k = key(bucket, name);
  auto it = byName_.find(k);
  if (it != byName_.end()) {
    auto& inode = it->second;
    ++inode->nlookup_;
    if (inode->kind != kind && !isDirKind(kind)) inode->kind = kind;  // file <-> symlink
    return inode;
  }
  auto inode = std::make_shared<Inode>(idFor(k), kind, bucket, name);
  inode->nlookup_ = 1;
  byIno_[inode->ino] = inode;
  byName_[k] = inode;
  return inode;
}

fuse_ino_t InodeTable::idFor(const std::string& key) const {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, then a splitmix64 finish to spread the bits
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  h >>= 1;  // 63 bits: st_ino stays positive for tools that print it signed
  while (h <= FUSE_ROOT_ID || byIno_.count(h)) ++h;
  return h;
}

std::shared_ptr<Inode> InodeTable::find(const std::string& bucket, const std::string& name) {
  std::lock_guard l(mu_);
  auto it = byName_.find(key(bucket, name));
  return it == byName_.end() ? nullptr : it->second;
}

void InodeTable::forget(fuse_ino_t ino, uint64_t n) {
  std::lock_guard l(mu_);
  auto it = byIno_.find(ino);
  if (it == byIno_.end() || ino == FUSE_ROOT_ID) return;
  auto& inode = it->second;
  inode->nlookup_ = n >= inode->nlookup_ ? 0 : inode->nlookup_ - n;
  if (inode->nlookup_ > 0 || inode->writeBehind.load()) return;
  auto nameIt = byName_.find(key(inode->bucket(), inode->name()));
  if (nameIt != byName_.end() && nameIt->second == inode) byName_.erase(nameIt);
  byIno_.erase(it);  // open handles still hold the shared_ptr
}

void InodeTable::rename(const std::string& bucket, const std::string& from, const std::string& to) {
  std::lock_guard l(mu_);
  auto dst = byName_.find(key(bucket, to));
  if (dst != byName_.end()) byName_.erase(dst);
  auto src = byName_.find(key(bucket, from));
  if (src == byName_.end()) return;
  std::shared_ptr<Inode> inode = std::move(src->second);
  byName_.erase(src);
  inode->setName(to);
  byName_[key(bucket, to)] = std::move(inode);
}

void InodeTable::renamePrefix(const std::string& bucket, const std::string& from,
                              const std::string& to) {
  std::lock_guard l(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> moved;
  for (auto it = byName_.begin(); it != byName_.end();) {
    auto& inode = it->second;
    std::string name = inode->name();
    if (inode->bucket() == bucket && name.starts_with(from)) {
      std::string renamed = to + name.substr(from.size());
      inode->setName(renamed);
      moved.emplace_back(key(bucket, renamed), inode);
      it = byName_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [k, inode] : moved) byName_[k] = std::move(inode);
}

void InodeTable::detach(const std::string& bucket, const std::string& name) {
  std::lock_guard l(mu_);
  byName_.erase(key(bucket, name));
}

std::vector<std::shared_ptr<Inode>> InodeTable::all() {
  std::lock_guard l(mu_);
  std::vector<std::shared_ptr<Inode>> v;
  for (auto& [ino, inode] : byIno_) v.push_back(inode);
  return v;
}

}  // namespace ais::fusefs
