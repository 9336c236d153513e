// Client library: a private KJ event-loop thread owns every capnp object; public methods run their
// attempt on that thread through kj::Executor and retry from the caller's thread.
#include "proto/client.h"

#include <fmt/format.h>

#include <random>

#include "common/read_file.h"
#include "proto/client_impl.h"
#include "proto/put_stream.h"

namespace ais {

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::connect(const Options& options) {
  if (options.endpoint.empty()) {
    return Status(Code::kInvalidArgument, "no endpoint (set AIS_ENDPOINT or --endpoint)");
  }
  auto impl = std::make_unique<Impl>(options);
  Status st = impl->refreshMeta();
  if (!st.ok()) return st;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

std::vector<std::string> splitEndpoints(const std::string& list) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= list.size();) {
    size_t comma = std::min(list.find(',', at), list.size());
    if (comma > at) out.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

std::shared_ptr<const meta::Smap> Client::smapSnapshot() { return impl_->currentSmap(); }

void Client::adoptSmap(std::shared_ptr<const meta::Smap> smap) {
  impl_->adoptSmap(std::move(smap));
}

bool Client::ecEnabled(const std::string& bucket) { return impl_->ecEnabled(bucket); }

bool Client::probe(const std::string& rpcEndpoint, std::chrono::milliseconds limit) {
  return impl_->probe(rpcEndpoint, limit);
}

bool Client::suspected(const std::string& rpcEndpoint) { return impl_->suspected(rpcEndpoint); }

Result<meta::Smap> Client::smap(bool refresh) {
  if (refresh) AIS_RETURN_IF_ERROR(impl_->refreshMeta());
  return *impl_->currentSmap();
}

Result<meta::ClusterConfig> Client::clusterConfig() {
  AIS_RETURN_IF_ERROR(impl_->refreshMeta());
  return impl_->currentConfig();
}

Result<std::vector<NodeStatus>> Client::clusterStatus(const std::string& onlyNode) {
  auto smap = impl_->currentSmap();
  std::vector<meta::NodeInfo> asked;
  for (const auto& n : smap->nodes) {
    if (onlyNode.empty() || n.id == onlyNode) asked.push_back(n);
  }
  // Every node at once, 3 s each: one that does not answer (dead, frozen) is shown unreachable.
  using Statuses = std::vector<NodeStatus>;
  return impl_->onLoop<Statuses>([&]() -> kj::Promise<Result<Statuses>> {
    auto asks = kj::heapArrayBuilder<kj::Promise<NodeStatus>>(asked.size());
    for (const auto& n : asked) {
      auto p = impl_->pool_->get(n.rpcEndpoint)
                   .nodeStatusRequest()
                   .send()
                   .then([n](capnp::Response<wire::Node::NodeStatusResults>&& r) {
                     auto s = r.getStatus();
                     NodeStatus ns;
                     ns.node = n;
                     ns.reachable = true;
                     ns.smapVersion = s.getSmapVersion();
                     ns.smapPrimary = s.getSmapPrimary();
                     ns.capacityBytes = s.getCapacityBytes();
                     ns.availableBytes = s.getAvailableBytes();
                     ns.objectCount = s.getObjectCount();
                     ns.uptimeSec = s.getUptimeSec();
                     ns.cpus = s.getCpus();
                     ns.memTotalBytes = s.getMemTotalBytes();
                     ns.memAvailableBytes = s.getMemAvailableBytes();
                     ns.processRssBytes = s.getProcessRssBytes();
                     ns.loadAvg1 = s.getLoadAvgMilli() / 1000.0;
                     auto i = s.getIntegrity();
                     ns.integrity = IntegrityCounts{i.getCorruptReads(), i.getMissingFiles(),
                                                    i.getQuarantined(),  i.getLomsDropped(),
                                                    i.getLomsRebuilt(),  i.getOrphans()};
                     return ns;
                   });
      asks.add(impl_->pool_->timer()
                   .timeoutAfter(3 * kj::SECONDS, kj::mv(p))
                   .catch_([this, n](kj::Exception&&) {
                     impl_->pool_->drop(n.rpcEndpoint);
                     NodeStatus ns;
                     ns.node = n;
                     return ns;
                   }));
    }
    return kj::joinPromises(asks.finish())
        .then([](kj::Array<NodeStatus>&& got) -> Result<Statuses> {
          return Statuses(std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
        });
  });
}

Status Client::createBucket(const std::string& bucket, const meta::BucketProps& props) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  return impl_->askPrimary([&](wire::Node::Client node) {
    auto req = node.createBucketRequest();
    req.setName(bucket);
    meta::toWire(props, req.initProps());
    return req.send();
  });
}

Status Client::destroyBucket(const std::string& bucket, bool force) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  return impl_->askPrimary([&](wire::Node::Client node) {
    auto req = node.destroyBucketRequest();
    req.setName(bucket);
    req.setForce(force);
    return req.send();
  });
}

Result<std::vector<BucketInfo>> Client::listBuckets() {
  AIS_RETURN_IF_ERROR(impl_->refreshMeta());
  std::shared_ptr<const meta::BMD> bmd;
  {
    std::lock_guard lock(impl_->mu_);
    bmd = impl_->bmd_;
  }
  std::vector<BucketInfo> out;
  for (const auto& [name, props] : bmd->buckets) {
    if (meta::isReservedBucket(name) && !impl_->options_.reservedBuckets) continue;
    out.push_back({name, props});
  }
  return out;
}

Result<meta::BucketProps> Client::bucketProps(const std::string& bucket) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  auto buckets = listBuckets();
  if (!buckets.ok()) return buckets.status();
  for (auto& b : *buckets) {
    if (b.name == bucket) return b.props;
  }
  return Status(Code::kBucketNotFound, "ais://" + bucket);
}

Status Client::setBucketProps(const std::string& bucket, const meta::BucketProps& props,
                              const meta::BucketProps* expected) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  return impl_->askPrimary([&](wire::Node::Client node) {
    auto req = node.setBucketPropsRequest();
    req.setName(bucket);
    meta::toWire(props, req.initProps());
    if (expected) {
      req.setCheckExpected(true);
      meta::toWire(*expected, req.initExpected());
    }
    return req.send();
  });
}

Result<ObjectInfo> Client::put(const std::string& bucket, const std::string& name,
                               std::string_view data, const PutOptions& options) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  ChunkSource src(data);
  std::set<std::string> silent;  // targets that did not answer an attempt
  return impl_->withRetry<ObjectInfo>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto route = impl_->putRoute(smap, bucket, name, silent);
        if (!route.ok()) return Result<ObjectInfo>(route.status());
        const std::string& ep = route->target->rpcEndpoint;
        auto target = impl_->pool_->get(ep);
        if (data.size() > kInlinePutMax) {
          Status st = src.reset();
          if (!st.ok()) return Result<ObjectInfo>(st);
          return Impl::noteSilent(impl_->guard(ep, impl_->streamPut(target, smap, bucket, name,
                                                                    options, src, route->degraded)),
                                  silent, route->target->id);
        }
        auto req = target.putObjectRequest();
        impl_->fillRef(req.initRef(), smap, bucket, name);
        req.getRef().setIfAbsent(options.ifAbsent);
        req.getRef().setIfVersion(options.ifVersion);
        req.getRef().setDegraded(route->degraded);
        req.getRef().setIssuedNs(Impl::issuedAt(options));
        req.setData(asBytes(data));
        req.setChecksum(XXH64(data.data(), data.size(), 0));
        if (!options.custom.empty()) {
          proto::toWire(options.custom, req.initCustom(options.custom.size()));
        }
        return Impl::noteSilent(
            impl_->guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
              Status s = toStatus(r.getStatus());
              if (!s.ok()) return s;
              return fromWire(r.getAttrs());
            })),
            silent, route->target->id);
      });
}

Result<ObjectInfo> Client::putFile(const std::string& bucket, const std::string& name,
                                   const std::string& path, const PutOptions& options,
                                   ProgressFn progress) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(Code::kIoError, path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(Code::kInvalidArgument, path + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) <= kInlinePutMax) {
    // A small file goes in one message (one round trip), not a stream of three calls.
    auto data = readExactly(fd, static_cast<size_t>(st.st_size), path, /*checkGrown=*/false);
    ::close(fd);
    if (!data.ok()) return data.status();
    auto r = put(bucket, name, *data, options);
    if (r.ok() && progress) progress(data->size(), data->size());
    return r;
  }
  ChunkSource src(fd, static_cast<uint64_t>(st.st_size));
  src.progress = std::move(progress);
  std::set<std::string> silent;  // targets that did not answer an attempt
  auto r =
      impl_->withRetry<ObjectInfo>([&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto route = impl_->putRoute(smap, bucket, name, silent);
        if (!route.ok()) return Result<ObjectInfo>(route.status());
        Status rs = src.reset();
        if (!rs.ok()) return Result<ObjectInfo>(rs);
        const std::string& ep = route->target->rpcEndpoint;
        return Impl::noteSilent(
            impl_->guard(ep, impl_->streamPut(impl_->pool_->get(ep), smap, bucket, name, options,
                                              src, route->degraded)),
            silent, route->target->id);
      });
  ::close(fd);
  return r;
}

Result<std::string> Client::get(const std::string& bucket, const std::string& name,
                                std::optional<ByteRange> range) {
  std::string out;
  auto r = impl_->getBuffered(bucket, name, range, &out);
  if (!r.ok()) return r.status();
  return out;
}

Result<ObjectInfo> Client::getToFd(const std::string& bucket, const std::string& name, int fd,
                                   std::optional<ByteRange> range, ProgressFn progress) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  off_t start = ::lseek(fd, 0, SEEK_CUR);  // -1 for pipes: then no retry after bytes were written
  std::shared_ptr<proto::SinkState> state;
  auto r =
      impl_->withRetry<ObjectInfo>([&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        if (state && state->bytes > 0) {
          if (start < 0 || ::lseek(fd, start, SEEK_SET) < 0 || ::ftruncate(fd, start) != 0) {
            // Not retryable: part of the object already went to an output we cannot rewind.
            return Result<ObjectInfo>(
                Status(Code::kIoError, "transfer interrupted and the output cannot be rewound"));
          }
        }
        auto t = impl_->owner(smap, bucket, name);
        if (!t.ok()) return Result<ObjectInfo>(t.status());
        state = std::make_shared<proto::SinkState>();
        state->fd = fd;
        state->progress = progress;
        return impl_->getFollowingMoves(smap, **t, bucket, name, range, state);
      });
  return r;
}

Result<ObjectInfo> Client::head(const std::string& bucket, const std::string& name) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  return impl_->withRetry<ObjectInfo>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto t = impl_->owner(smap, bucket, name);
        if (!t.ok()) return Result<ObjectInfo>(t.status());
        auto headAt = [this, &smap, &bucket, &name](const std::string& ep, bool localOnly) {
          return impl_->headAt(ep, smap, bucket, name, localOnly, false);
        };
        // The owner down and the bucket with EC: a degraded HEAD from the target after it.
        bool ec = impl_->ecEnabled(bucket);
        auto headDegraded = [this, &smap, &bucket, &name]() {
          return impl_->headDegraded(smap, bucket, name, {});
        };
        if (ec && impl_->goesAround(**t)) return headDegraded();
        // (No copy elsewhere. Only when flagged down: a node merely suspected may answer again.)
        if ((*t)->down()) return Result<ObjectInfo>(impl_->ownerUnavailable(**t));
        return headAt((*t)->rpcEndpoint, false)
            .then([&smap, headAt, ec,
                   headDegraded](Result<ObjectInfo> r) -> kj::Promise<Result<ObjectInfo>> {
              if (ec && Impl::unreachable(r.code())) return headDegraded();
              // A rebalance has not moved it to its owner yet: read the holder's copy.
              if (r.code() != Code::kObjectMoved) return r;
              const meta::NodeInfo* holder = smap.find(r.status().message(), meta::Role::kTarget);
              if (!holder) return Result<ObjectInfo>(Status(Code::kStaleSmap, "unknown holder"));
              return headAt(holder->rpcEndpoint, true).then([](Result<ObjectInfo> r) {
                return Impl::movedMeanwhile(std::move(r));
              });
            });
      });
}

Result<LockReply> Client::lock(const std::string& bucket, const std::string& name,
                               const LockRequest& request) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  return impl_->withRetry<LockReply>([&](const meta::Smap& smap) -> kj::Promise<Result<LockReply>> {
    auto t = impl_->owner(smap, bucket, name);
    if (!t.ok()) return Result<LockReply>(t.status());
    const std::string& ep = (*t)->rpcEndpoint;
    auto req = impl_->pool_->get(ep).lockObjectRequest();
    impl_->fillRef(req.initRef(), smap, bucket, name);
    req.setOwner(request.owner);
    req.setFlock(request.flock);
    req.setOp(request.op);
    req.setStart(request.start);
    req.setEnd(request.end);
    req.setPid(request.pid);
    req.setLeaseMs(request.leaseMs);
    req.setTest(request.test);
    req.setReclaim(request.reclaim);
    return impl_->guard<LockReply>(ep, req.send().then([](auto&& r) -> Result<LockReply> {
      Status s = toStatus(r.getStatus());
      if (!s.ok()) return s;
      LockReply reply;
      reply.granted = r.getGranted();
      reply.holder = r.getHolder();
      reply.holderWrite = r.getHolderWrite();
      reply.holderStart = r.getHolderStart();
      reply.holderEnd = r.getHolderEnd();
      reply.holderPid = r.getHolderPid();
      reply.inGrace = r.getInGrace();
      return reply;
    }));
  });
}

Status Client::remove(const std::string& bucket, const std::string& name, uint64_t ifVersion) {
  return removeObject(bucket, name, ifVersion).status();
}

Result<Client::Removal> Client::removeObject(const std::string& bucket, const std::string& name,
                                             uint64_t ifVersion, const std::string& versionId) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  std::set<std::string> silent;  // targets that did not answer an attempt
  return impl_->withRetry<Removal>([&](const meta::Smap& smap) -> kj::Promise<Result<Removal>> {
    // The owner down in a bucket with EC: a degraded delete at the target after it, which
    // repeats it on the owner once that is back (like a degraded PUT).
    auto route = impl_->putRoute(smap, bucket, name, silent);
    if (!route.ok()) return Result<Removal>(route.status());
    const std::string& ep = route->target->rpcEndpoint;
    auto req = impl_->pool_->get(ep).deleteObjectRequest();
    impl_->fillRef(req.initRef(), smap, bucket, name);
    req.getRef().setDegraded(route->degraded);
    req.getRef().setIfVersion(ifVersion);
    req.getRef().setIssuedNs(unixNowNs());  // (ordered among the name's writes by issue time)
    req.setVersionId(versionId);
    return Impl::noteSilent(
        impl_->guard<Removal>(ep, req.send().then([](auto&& r) -> Result<Removal> {
          Status s = toStatus(r.getStatus());
          if (!s.ok()) return s;
          return Removal{proto::str(r.getVersionId()), r.getDeleteMarker()};
        })),
        silent, route->target->id);
  });
}

Status Client::rename(const std::string& bucket, const std::string& from, const std::string& to) {
  return renameWith(bucket, from, to, {}).status();
}

Result<ObjectInfo> Client::renameWith(const std::string& bucket, const std::string& from,
                                      const std::string& to,
                                      const std::map<std::string, std::string>& custom) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, from));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(to));
  return impl_->withRetry<ObjectInfo>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto t = impl_->owner(smap, bucket, from);
        if (!t.ok()) return Result<ObjectInfo>(t.status());
        const std::string& ep = (*t)->rpcEndpoint;
        auto req = impl_->pool_->get(ep).renameObjectRequest();
        impl_->fillRef(req.initRef(), smap, bucket, from);
        req.setNewName(to);
        if (!custom.empty()) proto::toWire(custom, req.initCustom(custom.size()));
        return impl_->guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
          Status s = toStatus(r.getStatus());
          if (!s.ok()) return s;
          return fromWire(r.getAttrs());
        }));
      });
}

namespace {

// One target's part of a change token. Client::bucketChanges and ListPage::changeStamp must build
// it alike, or a listing's stamp never equals the tokens read later.
std::string changePart(const std::string& targetId, uint64_t boot, uint64_t fingerprint) {
  return fmt::format("|{}:{:x}:{:x}", targetId, boot, fingerprint);
}

// One sorted item stream of a listing: objects and common prefixes (isPrefix) by key.
struct ListItem {
  std::string key;
  bool isPrefix;
  ObjectInfo info;
};

// The next page from every source's first pageSize + 1 items after the token: their union sorted,
// deduplicated and cut at pageSize (exactly the cluster's next page; more than pageSize items:
// there is a page after it).
Result<ListPage> finishPage(std::vector<ListItem> all, bool maybeMore,
                            std::vector<std::pair<std::string, Status>> missing,
                            uint32_t pageSize) {
  using Item = ListItem;
  std::sort(all.begin(), all.end(), [](const Item& a, const Item& b) {
    return a.key != b.key ? a.key < b.key : a.isPrefix < b.isPrefix;
  });
  all.erase(std::unique(all.begin(), all.end(),
                        [](const Item& a, const Item& b) {
                          return a.key == b.key && a.isPrefix == b.isPrefix;
                        }),
            all.end());
  if (all.size() > pageSize) {
    all.resize(pageSize);
    maybeMore = true;
  }
  ListPage page;
  page.missingTargets = std::move(missing);
  if (maybeMore && !all.empty()) {
    const Item& last = all.back();
    page.continuationToken =
        last.isPrefix ? last.key + std::string(meta::kAfterAllNames) : last.key;
  }
  for (auto& it : all) {
    if (it.isPrefix) {
      page.commonPrefixes.push_back(std::move(it.key));
    } else {
      page.entries.push_back(std::move(it.info));
    }
  }
  return page;
}

}  // namespace

Result<ListPage> Client::list(const std::string& bucket, const ListOptions& options) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  uint32_t pageSize = options.pageSize == 0 ? 1000 : options.pageSize;
  impl_->refreshIfDegraded();
  // Without a delimiter a page continues the cursor of the listing it follows (or starts one).
  if (auto page = impl_->pageFromCursor(bucket, options, pageSize)) return std::move(*page);
  using Item = ListItem;
  int attempt = 0;
  return impl_->withRetry<ListPage>([&](const meta::Smap& smap) -> kj::Promise<Result<ListPage>> {
    // Unreachable targets fail the attempt (so it is retried) until the last one, which answers
    // without them if the caller allows it.
    bool lastTry = ++attempt >= impl_->options_.maxAttempts;
    bool partialOk = options.allowPartial && lastTry;
    // Targets in maintenance keep their objects: they are listed too.
    auto targets = smap.allTargets();
    if (targets.empty()) return Result<ListPage>(Status(Code::kNoTargets));
    // One target's first pageSize items after the token, of `b`: the bucket, or the EC pieces
    // the target holds of its objects (meta::ecBucket: entries carry the objects' attributes).
    // stamp (non-null): gets the target's bucketChanges of the prefix, as it was before the page.
    auto listOn = [this, &options, pageSize](const meta::NodeInfo* t, const std::string& b,
                                             std::shared_ptr<std::string> stamp = nullptr) {
      auto req = impl_->pool_->get(t->rpcEndpoint).listObjectsRequest();
      req.setBucket(b);
      req.setPrefix(options.prefix);
      req.setStartAfter(options.continuationToken);
      // One item more than a page: a target that has it has more, one that has not is done,
      // so the last page is known as the last (S3's IsTruncated false) without an empty page.
      req.setLimit(pageSize == UINT32_MAX ? pageSize : pageSize + 1);
      req.setDelimiter(options.delimiter);
      req.setMarkers(options.dirMarkers);
      req.setWriter(impl_->options_.changeWriter);
      std::string tid = t->id;
      return impl_->guard<std::vector<Item>>(
          t->rpcEndpoint, req.send().then([tid, stamp](auto&& r) -> Result<std::vector<Item>> {
            Status s = toStatus(r.getStatus());
            if (!s.ok()) return s;
            if (stamp && r.getBoot() != 0) {  // (0: a target from before bucketChanges)
              *stamp = changePart(tid, r.getBoot(), r.getFingerprint());
            }
            std::vector<Item> v;
            for (auto e : r.getEntries()) {
              Item it{e.getName(), false, fromWire(e)};
              it.info.targetId = tid;
              v.push_back(std::move(it));
            }
            for (auto p : r.getPrefixes()) v.push_back(Item{p, true, {}});
            return v;
          }));
    };
    kj::Vector<kj::Promise<Result<std::vector<Item>>>> pages;
    std::vector<std::shared_ptr<std::string>> stamps;
    for (const meta::NodeInfo* t : targets) {
      stamps.push_back(std::make_shared<std::string>());
      if (impl_->fanOutSkips(*t, lastTry)) {
        // Flagged down, or its probe just went unanswered: not asked. A stopped node's kernel
        // still accepts the connection, so each page would wait out the probe (10 s) again.
        pages.add(Result<std::vector<Item>>(Impl::notAsked(t->id)));
        continue;
      }
      pages.add(listOn(t, bucket, stamps.back()));
    }
    uint32_t parity = impl_->ecParity(bucket);
    return kj::joinPromises(pages.releaseAsArray())
        .then([&smap, &bucket, pageSize, partialOk, allowPartial = options.allowPartial, targets,
               parity, listOn, stamps](
                  kj::Array<Result<std::vector<Item>>>&& results) -> kj::Promise<Result<ListPage>> {
          // Each target sent its first pageSize items after the token, so the first pageSize of
          // the union are exactly the cluster's next page.
          auto all = std::make_shared<std::vector<Item>>();
          bool maybeMore = false;
          std::vector<std::pair<std::string, Status>> missing;
          for (size_t i = 0; i < results.size(); ++i) {
            auto& r = results[i];
            if (!r.ok()) {
              bool unreachable = r.code() == Code::kUnavailable || r.code() == Code::kTimeout;
              if (!unreachable) return Result<ListPage>(r.status());
              missing.emplace_back(targets[i]->id, r.status());
              continue;
            }
            maybeMore |= r->size() > pageSize;
            for (auto& it : *r) all->push_back(std::move(it));
          }
          if (missing.empty()) {
            auto page = finishPage(std::move(*all), maybeMore, {}, pageSize);
            std::string stamp = std::to_string(smap.version);
            for (auto& s : stamps) stamp = s->empty() || stamp.empty() ? "" : stamp + *s;
            if (page.ok()) page->changeStamp = std::move(stamp);
            return page;
          }
          if (missing.size() > parity) {
            // Every missing target flagged down in the Smap: asking again only repeats this
            // answer (until a new Smap), so a caller that takes a partial listing has it now.
            bool allDown = std::all_of(missing.begin(), missing.end(), [&smap](const auto& m) {
              const meta::NodeInfo* n = smap.find(m.first, meta::Role::kTarget);
              return n && n->down();
            });
            if (!partialOk && !(allowPartial && allDown)) {
              const auto& [id, why] = missing.front();
              return Result<ListPage>(Status(why.code(), "target " + id + ": " + why.message()));
            }
            return finishPage(std::move(*all), maybeMore, std::move(missing), pageSize);
          }
          // EC: what the missing targets own is listed from the pieces the others hold of it.
          std::set<std::string> gone;
          for (auto& [id, why] : missing) gone.insert(id);
          kj::Vector<kj::Promise<Result<std::vector<Item>>>> held;
          for (size_t i = 0; i < results.size(); ++i) {
            if (results[i].ok()) held.add(listOn(targets[i], meta::ecBucket(bucket)));
          }
          return kj::joinPromises(held.releaseAsArray())
              .then([&smap, &bucket, all, maybeMore, pageSize, gone, missing](
                        kj::Array<Result<std::vector<Item>>>&& pieces) mutable -> Result<ListPage> {
                for (auto& r : pieces) {
                  if (!r.ok())
                    return Status(r.code(), "listing EC pieces: " + r.status().message());
                  maybeMore |= r->size() > pageSize;
                  for (auto& it : *r) {
                    const meta::NodeInfo* owner =
                        it.isPrefix ? nullptr
                                    : meta::ownerTarget(smap, meta::uname(bucket, it.key));
                    if (it.isPrefix || (owner && gone.count(owner->id)))
                      all->push_back(std::move(it));
                  }
                }
                return finishPage(std::move(*all), maybeMore, {}, pageSize);
              });
        });
  });
}

Result<std::vector<std::string>> Client::bucketChanges(const std::string& bucket,
                                                       const std::vector<std::string>& prefixes) {
  AIS_RETURN_IF_ERROR(checkBucket(impl_->options_, bucket));
  using Tokens = std::vector<std::string>;
  impl_->refreshIfDegraded();
  auto smap = impl_->currentSmap();
  return impl_->onLoop<Tokens>([&]() -> kj::Promise<Result<Tokens>> {
    auto targets = smap->allTargets();
    if (targets.empty()) return Result<Tokens>(Status(Code::kNoTargets));
    kj::Vector<kj::Promise<Result<Tokens>>> asks;
    for (const meta::NodeInfo* t : targets) {
      if (impl_->fanOutSkips(*t)) {  // (as in list; the caller lists, which says what is missing)
        return Result<Tokens>(Impl::notAsked(t->id));
      }
      auto req = impl_->pool_->get(t->rpcEndpoint).bucketChangesRequest();
      req.setBucket(bucket);
      req.setWriter(impl_->options_.changeWriter);
      auto list = req.initPrefixes(prefixes.size());
      for (size_t i = 0; i < prefixes.size(); ++i) list.set(i, prefixes[i]);
      asks.add(impl_->guard<Tokens>(t->rpcEndpoint,
                                    req.send().then([id = t->id](auto&& r) -> Result<Tokens> {
                                      Status s = toStatus(r.getStatus());
                                      if (!s.ok()) return s;
                                      Tokens parts;
                                      for (uint64_t fp : r.getFingerprints())
                                        parts.push_back(changePart(id, r.getBoot(), fp));
                                      return parts;
                                    })));
    }
    return kj::joinPromises(asks.releaseAsArray())
        .then([version = smap->version, n = prefixes.size()](kj::Array<Result<Tokens>>&& parts) {
          Tokens tokens(n, std::to_string(version));
          for (auto& p : parts) {
            if (!p.ok()) return Result<Tokens>(p.status());
            if (p->size() != n)
              return Result<Tokens>(Status(Code::kInternal, "bucketChanges: short answer"));
            for (size_t i = 0; i < n; ++i) tokens[i] += (*p)[i];
          }
          return Result<Tokens>(std::move(tokens));
        });
  });
}

namespace {

// What a setCustom call changes: metadata (replaced or merged), then counters (CustomCounters).
struct CustomChange {
  const std::map<std::string, std::string>& custom;
  bool merge = true;
  const std::map<std::string, int64_t>* deltas = nullptr;
  int64_t missingAs = 0;
  std::string opId;
};

Result<ObjectInfo> sendSetCustom(Client::Impl& impl, const std::string& bucket,
                                 const std::string& name, const CustomChange& change) {
  return impl.withRetry<ObjectInfo>([&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
    auto t = impl.owner(smap, bucket, name);
    if (!t.ok()) return Result<ObjectInfo>(t.status());
    const std::string& ep = (*t)->rpcEndpoint;
    auto req = impl.pool_->get(ep).setCustomRequest();
    impl.fillRef(req.initRef(), smap, bucket, name);
    if (!change.custom.empty()) {
      proto::toWire(change.custom, req.initCustom(change.custom.size()));
    }
    req.setMerge(change.merge);
    if (change.deltas) {
      auto add = req.initAdd(change.deltas->size());
      size_t i = 0;
      for (const auto& [k, d] : *change.deltas) {
        add[i].setKey(k);
        add[i++].setValue(std::to_string(d));
      }
      req.setAddMissing(change.missingAs);
      req.setOpId(change.opId);
    }
    return impl.guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
      Status s = toStatus(r.getStatus());
      if (!s.ok()) return s;
      return fromWire(r.getAttrs());
    }));
  });
}

}  // namespace

Result<ObjectInfo> Client::setCustom(const std::string& bucket, const std::string& name,
                                     const std::map<std::string, std::string>& custom, bool merge) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  return sendSetCustom(*impl_, bucket, name, CustomChange{.custom = custom, .merge = merge});
}

Result<ObjectInfo> Client::addCustom(const std::string& bucket, const std::string& name,
                                     const std::map<std::string, int64_t>& deltas,
                                     int64_t missingAs,
                                     const std::map<std::string, std::string>& set) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  if (deltas.empty()) return Status(Code::kInvalidArgument, "addCustom: no counter to change");
  // One id for every attempt: a retry of a change that was applied is not applied again.
  thread_local std::mt19937_64 gen(std::random_device{}());
  return sendSetCustom(*impl_, bucket, name,
                       CustomChange{.custom = set,
                                    .deltas = &deltas,
                                    .missingAs = missingAs,
                                    .opId = fmt::format("{:016x}{:016x}", gen(), gen())});
}

Result<ObjectInfo> Client::copy(const std::string& srcBucket, const std::string& srcName,
                                const std::string& dstBucket, const std::string& dstName,
                                std::optional<std::map<std::string, std::string>> custom,
                                bool dstIfAbsent, uint64_t dstIfVersion) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, srcBucket, srcName));
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, dstBucket, dstName));
  return impl_->withRetry<ObjectInfo>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<ObjectInfo>> {
        auto t = impl_->owner(smap, srcBucket, srcName);
        if (!t.ok()) return Result<ObjectInfo>(t.status());
        const std::string& ep = (*t)->rpcEndpoint;
        auto req = impl_->pool_->get(ep).copyObjectRequest();
        impl_->fillRef(req.initRef(), smap, srcBucket, srcName);
        req.setDstBucket(dstBucket);
        req.setDstName(dstName);
        req.setReplaceCustom(custom.has_value());
        req.setDstIfAbsent(dstIfAbsent);
        req.setDstIfVersion(dstIfVersion);
        if (custom && !custom->empty()) proto::toWire(*custom, req.initCustom(custom->size()));
        return impl_->guard<ObjectInfo>(ep, req.send().then([](auto&& r) -> Result<ObjectInfo> {
          Status s = toStatus(r.getStatus());
          if (!s.ok()) return s;
          return fromWire(r.getAttrs());
        }));
      });
}

// --- PutHandle: a caller-driven streamed PUT -------------------------------------------------

class FabricPutHandle final : public PutHandle {
 public:
  FabricPutHandle(Client::Impl& client, std::string endpoint, wire::PutStream::Client stream,
                  int64_t issuedNs)
      : client_(client),
        endpoint_(std::move(endpoint)),
        stream_(kj::mv(stream)),
        hash_(XXH64_createState()),
        issuedNs_(issuedNs) {
    XXH64_reset(hash_, 0);
  }
  ~FabricPutHandle() noexcept override {
    release();
    XXH64_freeState(hash_);
  }

  Status write(std::string_view chunk) override {
    if (!error_.ok()) return error_;
    if (done_) return Status(Code::kInvalidArgument, "PUT already finished");
    for (size_t off = 0; off < chunk.size(); off += kChunkBytes) {
      auto part = chunk.substr(off, kChunkBytes);
      XXH64_update(hash_, part.data(), part.size());
      auto r = client_.onLoop<bool>([&] { return proto::putStreamWrite(stream_, part); });
      if (!r.ok()) {
        error_ = r.status();
        release();
        return error_;
      }
      bytes_ += part.size();
    }
    return Status::OK();
  }

  Result<ObjectInfo> commit(std::optional<std::map<std::string, std::string>> custom) override {
    if (!error_.ok()) return error_;
    if (done_) return Status(Code::kInvalidArgument, "PUT already finished");
    done_ = true;
    uint64_t digest = XXH64_digest(hash_);
    auto r = client_.onLoop<ObjectInfo>(
        [&] { return proto::putStreamCommit(stream_, digest, custom, issuedNs_); });
    release();
    return r;
  }

  void abort() override {
    done_ = true;
    release();
  }
  uint64_t bytesWritten() const override { return bytes_; }

 private:
  // Capabilities belong to the loop thread: drop ours there (the target then discards the work).
  void release() {
    if (stream_ == nullptr) return;
    client_.runOnLoop([this] { stream_ = nullptr; });
  }

  Client::Impl& client_;
  std::string endpoint_;
  kj::Maybe<wire::PutStream::Client> stream_;
  XXH64_state_t* hash_;
  uint64_t bytes_ = 0;
  int64_t issuedNs_;  // PutOptions::issuedNs (0: the commit's time)
  bool done_ = false;
  Status error_;
};

namespace {

// A stream the owner target opens (beginPut, appendArchive), handed out as a PutHandle. send
// (loop thread) sends the request for this route and answers what the target said: the stream
// (its results have getStatus and getStream). ownerOnly: no degraded route to another target
// while the owner is down (kUnavailable instead).
template <class Send>
Result<std::unique_ptr<PutHandle>> openPutStream(Client::Impl& impl, const std::string& bucket,
                                                 const std::string& name, bool ownerOnly,
                                                 int64_t issuedNs, Send send) {
  std::string endpoint;
  // The stream capability is created on the loop thread and handed out wrapped in a Maybe.
  struct Started {
    kj::Own<kj::Maybe<wire::PutStream::Client>> stream;
  };
  std::set<std::string> silent;  // targets that did not answer an attempt
  auto r = impl.withRetry<std::shared_ptr<Started>>(
      [&](const meta::Smap& smap) -> kj::Promise<Result<std::shared_ptr<Started>>> {
        auto route = impl.putRoute(smap, bucket, name, silent);
        if (!route.ok()) return Result<std::shared_ptr<Started>>(route.status());
        if (ownerOnly && route->degraded) {
          return Result<std::shared_ptr<Started>>(Status(
              Code::kUnavailable, "ais://" + bucket + "/" + name + ": its owner target is down"));
        }
        endpoint = route->target->rpcEndpoint;
        return Client::Impl::noteSilent(
            impl.guard<std::shared_ptr<Started>>(
                endpoint, send(impl.pool_->get(endpoint), smap, route->degraded)
                              .then([](auto&& r) -> Result<std::shared_ptr<Started>> {
                                Status s = toStatus(r.getStatus());
                                if (!s.ok()) return s;
                                auto started = std::make_shared<Started>();
                                started->stream =
                                    kj::heap<kj::Maybe<wire::PutStream::Client>>(r.getStream());
                                return started;
                              })),
            silent, route->target->id);
      });
  if (!r.ok()) return r.status();
  // Capabilities are refcounted without atomics: move ours into the handle on the loop thread.
  std::unique_ptr<FabricPutHandle> handle;
  impl.runOnLoop([&] {
    KJ_IF_MAYBE (s, *(*r)->stream) {
      handle = std::make_unique<FabricPutHandle>(impl, endpoint, kj::mv(*s), issuedNs);
    }
    (*r)->stream = nullptr;
  });
  if (!handle) return Status(Code::kInternal, "target returned no stream");
  return std::unique_ptr<PutHandle>(std::move(handle));
}

}  // namespace

Result<std::unique_ptr<PutHandle>> Client::beginPut(const std::string& bucket,
                                                    const std::string& name,
                                                    const PutOptions& options) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  return openPutStream(*impl_, bucket, name, false, options.issuedNs,
                       [&](wire::Node::Client node, const meta::Smap& smap, bool degraded) {
                         auto req = node.beginPutRequest();
                         impl_->fillRef(req.initRef(), smap, bucket, name);
                         req.getRef().setIfAbsent(options.ifAbsent);
                         req.getRef().setIfVersion(options.ifVersion);
                         req.getRef().setDegraded(degraded);
                         if (!options.custom.empty()) {
                           proto::toWire(options.custom, req.initCustom(options.custom.size()));
                         }
                         return req.send();
                       });
}

Result<std::unique_ptr<PutHandle>> Client::beginAppendArchive(const std::string& bucket,
                                                              const std::string& name,
                                                              const std::string& archiveMime) {
  AIS_RETURN_IF_ERROR(checkNames(impl_->options_, bucket, name));
  return openPutStream(*impl_, bucket, name, true, 0,
                       [&](wire::Node::Client node, const meta::Smap& smap, bool) {
                         auto req = node.appendArchiveRequest();
                         impl_->fillRef(req.initRef(), smap, bucket, name);
                         req.setArchiveMime(archiveMime);
                         return req.send();
                       });
}

}  // namespace ais
