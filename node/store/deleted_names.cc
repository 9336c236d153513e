#include "node/store/deleted_names.h"

#include <algorithm>

#include "common/clock.h"

namespace ais::store {

std::string DeletedNames::keyOf(std::string_view bucket, std::string_view name) {
  std::string key;
  key.reserve(bucket.size() + 1 + name.size());
  key.append(bucket).push_back('\0');
  key.append(name);
  return key;
}

void DeletedNames::note(std::string_view bucket, std::string_view name, int64_t deletedNs) {
  std::string key = keyOf(bucket, name);
  std::lock_guard lock(mu_);
  pruneLocked(unixNowNs());
  int64_t& latest = latest_[key];
  latest = std::max(latest, deletedNs);
  order_.emplace_back(deletedNs, std::move(key));
}

bool DeletedNames::deletedSince(std::string_view bucket, std::string_view name,
                                int64_t writtenNs) const {
  std::lock_guard lock(mu_);
  if (latest_.empty()) return false;
  auto it = latest_.find(keyOf(bucket, name));
  return it != latest_.end() && writtenNs < it->second;
}

void DeletedNames::forgetBucket(std::string_view bucket) {
  std::string prefix = keyOf(bucket, "");
  std::lock_guard lock(mu_);
  std::erase_if(latest_, [&](const auto& kv) { return kv.first.starts_with(prefix); });
  // (order_'s entries of the bucket go when they age out; pruning skips keys no longer there.)
}

void DeletedNames::pruneLocked(int64_t nowNs) {
  while (!order_.empty() &&
         (order_.front().first < nowNs - kKeepFor || order_.size() >= kMaxNames)) {
    auto& [ns, key] = order_.front();
    auto it = latest_.find(key);
    // Only the entry of the name's latest delete takes it out of latest_.
    if (it != latest_.end() && it->second <= ns) latest_.erase(it);
    order_.pop_front();
  }
}

}  // namespace ais::store
