#include "node/target/kept_restores.h"

namespace ais::node {

void KeptRestores::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->restored.bytes->size();
  byName_.erase(it->key);
  byAge_.erase(it);
}

void KeptRestores::expire() {
  auto now = Clock::now();
  while (!byAge_.empty() && now - byAge_.back().at > keptFor_) erase(std::prev(byAge_.end()));
  while (!notedByAge_.empty() &&
         (now - notedByAge_.back().second > keptFor_ || notedByAge_.size() > kMaxNoted)) {
    noted_.erase(notedByAge_.back().first);
    notedByAge_.pop_back();
  }
}

std::optional<EcRestored> KeptRestores::find(const std::string& bucket, const std::string& name) {
  expire();
  auto it = byName_.find(Key(bucket, name));
  if (it == byName_.end()) return std::nullopt;
  return it->second->restored;
}

bool KeptRestores::offer(const std::string& bucket, const std::string& name,
                         const EcRestored& restored, bool atOnce) {
  expire();
  Key key(bucket, name);
  bool again = atOnce || byName_.count(key) > 0;
  if (auto it = noted_.find(key); it != noted_.end()) {
    again = true;
    notedByAge_.erase(it->second);
    noted_.erase(it);
  }
  forget(bucket, name);
  if (!again) {
    notedByAge_.emplace_front(key, Clock::now());
    noted_.emplace(key, notedByAge_.begin());
    expire();  // (over kMaxNoted)
    return false;
  }
  if (!restored.bytes || restored.bytes->size() > maxBytes_) return false;
  byAge_.push_front({std::move(key), restored, Clock::now()});
  byName_.emplace(byAge_.front().key, byAge_.begin());
  bytes_ += restored.bytes->size();
  while (bytes_ > maxBytes_) erase(std::prev(byAge_.end()));
  return true;
}

void KeptRestores::forget(const std::string& bucket, const std::string& name) {
  auto it = byName_.find(Key(bucket, name));
  if (it != byName_.end()) erase(it->second);
}

}  // namespace ais::node
