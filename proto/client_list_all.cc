// Client::listAll: a whole listing as a k-way merge of per-target cursors.
#include <limits>

#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

using namespace client_detail;

Status Client::listAll(const std::string& bucket, const ListOptions& options,
                       const std::function<bool(ObjectInfo&)>& each,
                       std::vector<std::pair<std::string, Status>>* missing) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  std::string last = options.continuationToken;  // the last name handed to `each`
  // Page by page from `last`: rolled-up prefixes, and listings that must complete themselves
  // without a target (EC pieces, allowPartial) are list()'s.
  auto pageByPage = [&]() -> Status {
    ListOptions o = options;
    o.continuationToken = last;
    if (o.pageSize == 0) o.pageSize = 1000;
    for (;;) {
      auto page = list(bucket, o);
      if (!page.ok()) return page.status();
      if (missing) {
        for (auto& m : page->missingTargets) missing->push_back(std::move(m));
      }
      for (auto& e : page->entries) {
        if (!each(e)) return Status::OK();
      }
      if (page->continuationToken.empty()) return Status::OK();
      if (page->continuationToken == o.continuationToken) {
        return Status(Code::kInternal, "listing did not advance (same continuation token)");
      }
      o.continuationToken = page->continuationToken;
    }
  };
  if (!options.delimiter.empty()) return pageByPage();

  const uint32_t fetch = options.pageSize ? options.pageSize : 5000;
  std::shared_ptr<const meta::Smap> smap = impl_->currentSmap();
  struct Cursor {
    const meta::NodeInfo* target;
    std::string after;
    std::vector<ObjectInfo> entries;
    size_t pos = 0;
    bool done = false;
    Status error;
  };
  std::vector<Cursor> cursors;
  for (const meta::NodeInfo* t : smap->allTargets()) cursors.push_back({t, last, {}, 0, false, {}});
  if (cursors.empty()) return Status(Code::kNoTargets);
  for (;;) {
    // Refill every cursor that ran dry, all at once.
    std::vector<Cursor*> dry;
    for (auto& c : cursors) {
      if (!c.done && c.pos == c.entries.size()) dry.push_back(&c);
    }
    if (!dry.empty()) {
      auto round = impl_->onLoop<bool>([&]() -> kj::Promise<Result<bool>> {
        kj::Vector<kj::Promise<void>> calls;
        for (Cursor* c : dry) {
          const std::string& ep = c->target->rpcEndpoint;
          auto req = impl_->pool_->get(ep).listObjectsRequest();
          req.setBucket(bucket);
          req.setPrefix(options.prefix);
          req.setStartAfter(c->after);
          req.setLimit(fetch);
          calls.add(impl_
                        ->guard<bool>(ep, req.send().then([c, fetch](auto&& r) -> Result<bool> {
                          Status s = toStatus(r.getStatus());
                          if (!s.ok()) return s;
                          auto got = r.getEntries();
                          c->entries.clear();
                          c->entries.reserve(got.size());
                          for (auto e : got) {
                            c->entries.push_back(fromWire(e));
                            c->entries.back().targetId = c->target->id;
                          }
                          c->pos = 0;
                          c->done = got.size() < fetch;
                          if (!c->entries.empty()) c->after = c->entries.back().name;
                          return true;
                        }))
                        .then([c](Result<bool> r) { c->error = r.status(); }));
        }
        return kj::joinPromises(calls.releaseAsArray()).then([] { return Result<bool>(true); });
      });
      bool failed = !round.ok();
      for (Cursor* c : dry) failed |= !c->error.ok();
      if (failed) return pageByPage();  // a target did not answer: list()'s rules from here
    }
    // Hand out names in order while every unfinished cursor still has one buffered.
    for (;;) {
      Cursor* next = nullptr;
      bool starved = false;
      for (auto& c : cursors) {
        if (c.pos == c.entries.size()) {
          if (!c.done) {
            starved = true;
            break;
          }
          continue;
        }
        if (!next || c.entries[c.pos].name < next->entries[next->pos].name) next = &c;
      }
      if (starved) break;
      if (!next) return Status::OK();
      ObjectInfo& e = next->entries[next->pos++];
      if (e.name == last && !last.empty()) continue;  // also on another target (moving): once
      last = e.name;
      if (!each(e)) return Status::OK();
    }
  }
}

}  // namespace ais
