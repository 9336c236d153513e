// DeletedNames: the names a client deleted here lately, and when. A copy of such a name that
// moves in afterwards (a rebalance move or a degraded PUT's handover that read its copy before
// the delete reached its sender) is older than the delete if it was written before it, and must
// not bring the name back: Store's commit refuses it (ObjectExists), and the sender drops it as
// redundant. Kept in memory for kKeepFor (far longer than a move is ever in flight; a restart
// ends every move in flight too), at most kMaxNames of the latest.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace ais::store {

class DeletedNames {
 public:
  static constexpr int64_t kKeepFor = int64_t{600} * 1'000'000'000;  // ns
  static constexpr size_t kMaxNames = size_t{1} << 18;

  // bucket/name deleted at deletedNs (unix time).
  void note(std::string_view bucket, std::string_view name, int64_t deletedNs);
  // A copy of bucket/name written at writtenNs is older than its latest delete noted here.
  bool deletedSince(std::string_view bucket, std::string_view name, int64_t writtenNs) const;
  // The bucket's names forgotten (it was destroyed; a new one of that name starts clean).
  void forgetBucket(std::string_view bucket);

 private:
  static std::string keyOf(std::string_view bucket, std::string_view name);
  void pruneLocked(int64_t nowNs);

  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> latest_;    // key -> latest delete
  std::deque<std::pair<int64_t, std::string>> order_;  // (delete, key), oldest first
};

}  // namespace ais::store
