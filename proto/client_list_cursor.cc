// ListCursor, Client::listAll, and the cursors Client::list continues (list_cursor.h).
#include "proto/client_impl.h"
#include "proto/list_cursor.h"

namespace ais {

using namespace client_detail;

ListCursor::ListCursor(Client::Impl& impl, const meta::Smap& smap, std::string bucket,
                       std::string prefix, std::string after, uint32_t fetch, uint32_t maxFetch)
    : impl_(impl),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      maxFetch_(std::max(fetch, maxFetch)),
      targets_(smap.allTargets().size()),
      last_(after),
      smapVersion_(smap.version) {
  size_t i = 0;
  for (const meta::NodeInfo* t : smap.allTargets()) {
    targets_[i].endpoint = t->rpcEndpoint;
    targets_[i].id = t->id;
    targets_[i].down = impl_.fanOutSkips(*t);
    targets_[i].fetch = fetch;
    targets_[i++].after = after;
  }
  done_ = targets_.empty();
  impl_.executor_->executeSync([this] {
    for (auto& t : targets_) startFetch(t);
  });
  usedAt = std::chrono::steady_clock::now();
}

ListCursor::~ListCursor() {
  impl_.executor_->executeSync([this] {
    for (auto& t : targets_) t.pending = nullptr;
  });
}

void ListCursor::startFetch(Target& t) {
  if (t.down) {  // (its part is missing: the caller lists page by page, which says so)
    t.error = Client::Impl::notAsked(t.id);
    t.pending = kj::Promise<void>(kj::READY_NOW).fork();
    return;
  }
  auto req = impl_.pool_->get(t.endpoint).listObjectsRequest();
  req.setBucket(bucket_);
  req.setPrefix(prefix_);
  req.setStartAfter(t.after);
  req.setLimit(t.fetch);
  Target* tp = &t;
  auto fill = req.send().then([tp, fetch = t.fetch](auto&& r) -> Result<bool> {
    Status s = toStatus(r.getStatus());
    if (!s.ok()) return s;
    auto got = r.getEntries();
    tp->next.clear();
    tp->next.reserve(got.size());
    for (auto e : got) {
      tp->next.push_back(fromWire(e));
      tp->next.back().targetId = tp->id;
    }
    tp->nextIsLast = got.size() < fetch;
    return true;
  });
  auto limit = impl_.options_.requestTimeout.count() * kj::MILLISECONDS;
  t.pending = impl_.guard<bool>(t.endpoint, impl_.pool_->timer().timeoutAfter(limit, kj::mv(fill)))
                  .then([tp](Result<bool> r) { tp->error = r.status(); })
                  .fork();
}

Result<std::vector<ObjectInfo>> ListCursor::next(size_t max) {
  usedAt = std::chrono::steady_clock::now();
  std::vector<ObjectInfo> out;
  while (out.size() < max && !done_) {
    // Targets whose entries ran out take their fetched page and start fetching the next one.
    std::vector<Target*> dry;
    for (auto& t : targets_) {
      if (t.pos == t.entries.size() && t.pending != nullptr) dry.push_back(&t);
    }
    if (!dry.empty()) {
      auto refilled = impl_.onLoop<bool>([&]() -> kj::Promise<Result<bool>> {
        kj::Vector<kj::Promise<void>> arrivals;
        for (Target* t : dry) {
          KJ_IF_MAYBE (p, t->pending) {
            arrivals.add(p->addBranch());
          }
        }
        return kj::joinPromises(arrivals.releaseAsArray()).then([this, &dry]() -> Result<bool> {
          for (Target* t : dry) {
            t->pending = nullptr;
            if (!t->error.ok())
              return Status(t->error.code(), "target " + t->id + ": " + t->error.message());
            t->entries = std::move(t->next);
            t->next.clear();
            t->pos = 0;
            if (!t->nextIsLast && !t->entries.empty()) {
              t->after = t->entries.back().name;
              t->fetch = std::min(t->fetch * 2, maxFetch_);
              startFetch(*t);
            }
          }
          return true;
        });
      });
      if (!refilled.ok()) {
        done_ = true;
        return refilled.status();
      }
    }
    // Names in order while every target that may have more still has one buffered.
    while (out.size() < max) {
      Target* first = nullptr;
      bool starved = false;
      for (auto& t : targets_) {
        if (t.pos == t.entries.size()) {
          if (t.pending != nullptr) {
            starved = true;
            break;
          }
          continue;  // this target is done
        }
        if (!first || t.entries[t.pos].name < first->entries[first->pos].name) first = &t;
      }
      if (starved) break;
      if (!first) {
        done_ = true;
        break;
      }
      ObjectInfo& e = first->entries[first->pos++];
      if (e.name == last_ && !last_.empty()) continue;  // also on another target (moving): once
      last_ = e.name;
      out.push_back(std::move(e));
    }
  }
  // Nothing buffered and nothing coming: the end, known now rather than by an empty next page.
  bool more = false;
  for (auto& t : targets_) more |= t.pos < t.entries.size() || t.pending != nullptr;
  if (!more) done_ = true;
  return out;
}

Status Client::listAll(const std::string& bucket, const ListOptions& options,
                       const std::function<bool(ObjectInfo&)>& each,
                       std::vector<std::pair<std::string, Status>>* missing) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  std::string last = options.continuationToken;  // the last name handed to `each`
  if (options.delimiter.empty()) {
    const uint32_t fetch = options.pageSize ? options.pageSize : 5000;
    ListCursor cursor(*impl_, *impl_->currentSmap(), bucket, options.prefix, last, fetch);
    for (;;) {
      auto entries = cursor.next(fetch);
      if (!entries.ok()) break;  // a target did not answer: page by page from here
      for (auto& e : *entries) {
        last = e.name;
        if (!each(e)) return Status::OK();
      }
      if (cursor.done()) return Status::OK();
    }
  }
  // Page by page from `last`: rolled-up prefixes, and listings that must complete themselves
  // without a target (EC pieces, allowPartial) are list()'s.
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
}

std::optional<ListPage> Client::Impl::pageFromCursor(const std::string& bucket,
                                                     const ListOptions& options,
                                                     uint32_t pageSize) {
  constexpr size_t kMaxCursors = 64;
  constexpr auto kIdle = std::chrono::seconds(10);  // older buffers may miss recent writes
  if (!options.delimiter.empty()) return std::nullopt;
  auto key = [&](const std::string& position) {
    return bucket + '\0' + options.prefix + '\0' + position;
  };
  std::unique_ptr<ListCursor> cursor;
  {
    std::lock_guard l(cursorsMu_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      it = now - it->second->usedAt > kIdle ? cursors_.erase(it) : std::next(it);
    }
    // A page from the start is a new listing: it sees everything written before it.
    if (!options.continuationToken.empty()) {
      auto it = cursors_.find(key(options.continuationToken));
      if (it != cursors_.end()) {
        // Targets joined or left since: start over from the token with the current ones.
        if (it->second->smapVersion() == currentSmap()->version) cursor = std::move(it->second);
        cursors_.erase(it);
      }
    }
  }
  if (!cursor) {
    // S3 and /v1 pages of 1,000: each target's calls grow to 4,000 entries, so that a page
    // rarely waits for a target (measured in docs/performance.md).
    cursor = std::make_unique<ListCursor>(*this, *currentSmap(), bucket, options.prefix,
                                          options.continuationToken, std::max(pageSize, 1000u),
                                          std::max(pageSize, 4000u));
  }
  auto entries = cursor->next(pageSize);
  if (!entries.ok()) return std::nullopt;  // the stateless page says what is missing
  ListPage page;
  page.entries = std::move(*entries);
  if (!cursor->done()) {
    page.continuationToken = cursor->position();
    std::lock_guard l(cursorsMu_);
    if (cursors_.size() >= kMaxCursors) {
      auto oldest = cursors_.begin();
      for (auto it = cursors_.begin(); it != cursors_.end(); ++it) {
        if (it->second->usedAt < oldest->second->usedAt) oldest = it;
      }
      cursors_.erase(oldest);
    }
    cursors_[key(cursor->position())] = std::move(cursor);
  }
  return page;
}

}  // namespace ais
