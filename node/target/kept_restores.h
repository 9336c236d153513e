// Objects rebuilt from their EC slices for degraded reads (their owner down), kept a short
// while: readers come back to the same objects (a data loader's next epoch, a shard's members
// read one by one), and each rebuild fetches D slices from other targets and decodes them.
// A copy is kept from a name's second rebuild within keptFor on: a reader that comes once per
// object (an epoch over a large set) would only fill memory (and pay its page faults) for
// nothing. The cache only holds bytes; whether a kept copy may still be served is for its user to
// check (EcService::restoreDegraded asks the slices' metadata again first). Loop-thread only.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "node/store/lom.h"

namespace ais::node {

// An object rebuilt from its slices or a replica: the bytes match lom.checksum.
struct EcRestored {
  store::Lom lom;
  std::shared_ptr<const std::string> bytes;
};

class KeptRestores {
 public:
  using Clock = std::chrono::steady_clock;
  KeptRestores(size_t maxBytes, Clock::duration keptFor) : maxBytes_(maxBytes), keptFor_(keptFor) {}

  // The copy kept for bucket/name, if it is younger than keptFor.
  std::optional<EcRestored> find(const std::string& bucket, const std::string& name);
  // A rebuild of bucket/name: kept (replacing an older copy of the name) if the name was rebuilt
  // before within keptFor, else only noted. The oldest copies go while the total is over
  // maxBytes; an object larger than maxBytes is not kept. True if kept.
  // `atOnce`: kept from the first rebuild (a shard, whose members are read one by one).
  bool offer(const std::string& bucket, const std::string& name, const EcRestored& restored,
             bool atOnce = false);
  void forget(const std::string& bucket, const std::string& name);
  size_t bytes() const { return bytes_; }
  size_t size() const { return byName_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;
  struct Entry {
    Key key;
    EcRestored restored;
    Clock::time_point at;
  };
  void expire();
  void erase(std::list<Entry>::iterator it);

  const size_t maxBytes_;
  const Clock::duration keptFor_;
  std::list<Entry> byAge_;  // most recently kept first
  std::map<Key, std::list<Entry>::iterator> byName_;
  size_t bytes_ = 0;
  // Names rebuilt once and not kept, with when (at most kMaxNoted, the oldest out).
  static constexpr size_t kMaxNoted = 1 << 16;
  std::list<std::pair<Key, Clock::time_point>> notedByAge_;  // most recent first
  std::map<Key, std::list<std::pair<Key, Clock::time_point>>::iterator> noted_;
};

}  // namespace ais::node
