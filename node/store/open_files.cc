#include "node/store/open_files.h"

#include <unistd.h>

#include <vector>

namespace ais::store {

OpenFile::~OpenFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool OpenFiles::stillSame(const Identity& id, const struct stat& st, uint64_t size) {
  return S_ISREG(st.st_mode) && st.st_nlink > 0 && st.st_dev == id.dev && st.st_ino == id.ino &&
         st.st_ctim.tv_sec == id.ctime.tv_sec && st.st_ctim.tv_nsec == id.ctime.tv_nsec &&
         static_cast<uint64_t>(st.st_size) == size;
}

std::string OpenFiles::keyOf(std::string_view bucket, std::string_view name) {
  std::string key;
  key.reserve(bucket.size() + 1 + name.size());
  key.append(bucket);
  key += '\0';  // (names never hold a NUL: validated)
  key.append(name);
  return key;
}

std::optional<OpenFiles::Kept> OpenFiles::find(std::string_view bucket, std::string_view name,
                                               size_t mountpath, uint64_t dbWrites) {
  std::string key = keyOf(bucket, name);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  Entry& e = *it->second;
  e.used = Clock::now();
  lru_.splice(lru_.begin(), lru_, it->second);
  Kept kept{e.file, e.path, e.id, std::nullopt};
  if (e.described && e.described->mountpath == mountpath && e.described->dbWrites == dbWrites) {
    kept.described = *e.described;
  }
  return kept;
}

void OpenFiles::keep(std::string_view bucket, std::string_view name, const std::string& path,
                     std::shared_ptr<const OpenFile> file, const Identity& id,
                     std::optional<Described> described) {
  if (capacity_ == 0) return;
  std::vector<std::shared_ptr<const OpenFile>> closing;  // closed after unlocking
  {
    std::lock_guard lock(mu_);
    std::string key = keyOf(bucket, name);
    if (auto it = index_.find(key); it != index_.end()) eraseLocked(it->second, closing);
    while (lru_.size() >= capacity_) eraseLocked(std::prev(lru_.end()), closing);
    lru_.push_front(
        Entry{std::move(key), path, std::move(file), id, Clock::now(), std::move(described)});
    index_.emplace(lru_.front().key, lru_.begin());
  }
}

void OpenFiles::eraseLocked(std::list<Entry>::iterator it,
                            std::vector<std::shared_ptr<const OpenFile>>& out) {
  out.push_back(std::move(it->file));
  index_.erase(it->key);
  lru_.erase(it);
}

void OpenFiles::forget(std::string_view bucket, std::string_view name) {
  std::vector<std::shared_ptr<const OpenFile>> closing;
  std::string key = keyOf(bucket, name);
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) eraseLocked(it->second, closing);
}

void OpenFiles::forgetBucket(std::string_view bucket) {
  std::vector<std::shared_ptr<const OpenFile>> closing;
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    std::string_view b = std::string_view(it->key).substr(0, it->key.find('\0'));
    if (b == bucket) eraseLocked(it, closing);
    it = next;
  }
}

void OpenFiles::forgetAll() {
  std::vector<std::shared_ptr<const OpenFile>> closing;
  std::lock_guard lock(mu_);
  while (!lru_.empty()) eraseLocked(lru_.begin(), closing);
}

void OpenFiles::expire() {
  std::vector<std::shared_ptr<const OpenFile>> closing;
  std::lock_guard lock(mu_);
  auto oldest = Clock::now() - idle_;
  while (!lru_.empty() && lru_.back().used < oldest) eraseLocked(std::prev(lru_.end()), closing);
}

size_t OpenFiles::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace ais::store
