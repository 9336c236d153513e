// ListCursor: a listing in progress (no delimiter), as a merge of one cursor per target, each
// target's next page fetched on the client's loop while the current ones are merged, so nothing
// is fetched twice and the targets work while the caller does. Client::listAll streams through
// one; Client::list keeps the cursors of recent listings and continues one when a page asks for
// the position it stopped at (S3 and /v1 pages, each a separate request). One caller at a time.
#pragma once

#include <kj/async.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "meta/smap.h"
#include "proto/client.h"

namespace ais {

class ListCursor {
 public:
  // Entries of `bucket` under `prefix` after `after` from the targets of `smap`: `fetch` per
  // target call at first, doubling with each call up to `maxFetch` (a long listing keeps the
  // targets further ahead of its pages; a one-page listing reads no more than it needs).
  ListCursor(Client::Impl& impl, const meta::Smap& smap, std::string bucket, std::string prefix,
             std::string after, uint32_t fetch, uint32_t maxFetch = 0);
  ~ListCursor();  // cancels the fetches under way (on the client's loop)
  ListCursor(const ListCursor&) = delete;
  ListCursor& operator=(const ListCursor&) = delete;

  // Up to `max` next entries, in name order; fewer only at the end. An error (a target did not
  // answer) leaves the cursor unusable (done): list page by page from position().
  Result<std::vector<ObjectInfo>> next(size_t max);
  bool done() const { return done_; }
  const std::string& position() const { return last_; }  // the last name handed out
  uint64_t smapVersion() const { return smapVersion_; }  // the map whose targets it lists
  std::chrono::steady_clock::time_point usedAt;

 private:
  struct Target {
    std::string endpoint, id;
    std::string after;   // the next page starts after this name
    uint32_t fetch = 0;  // entries asked of the next call
    std::vector<ObjectInfo> entries;
    size_t pos = 0;
    kj::Maybe<kj::ForkedPromise<void>> pending;  // the next page (loop thread only)
    std::vector<ObjectInfo> next;                // written by the loop when it arrives
    bool nextIsLast = false;
    bool down = false;  // skipped (Impl::fanOutSkips): a hung node costs no probe
    Status error;
  };
  void startFetch(Target& t);  // loop thread

  Client::Impl& impl_;
  std::string bucket_, prefix_;
  uint32_t maxFetch_;
  std::vector<Target> targets_;
  std::string last_;
  bool done_ = false;
  uint64_t smapVersion_ = 0;
};

}  // namespace ais
