// Client::putBatch: many small objects per call, grouped by owner target.
#include <xxhash.h>

#include <map>

#include "proto/client.h"
#include "proto/client_impl.h"

namespace ais {

using namespace client_detail;

namespace {

// One putBatch call carries up to this many objects or bytes.
constexpr size_t kBatchMaxItems = 256;
constexpr size_t kBatchMaxBytes = 8 << 20;

}  // namespace

std::vector<Result<ObjectInfo>> Client::putBatch(const std::string& bucket,
                                                 const std::vector<BatchPut>& items) {
  std::vector<Result<ObjectInfo>> out(items.size(),
                                      Result<ObjectInfo>(Status(Code::kInternal, "not sent")));
  std::vector<size_t> pending;
  std::vector<uint64_t> sums(items.size());
  const int64_t issued = Impl::issuedAt({});  // (items that give none)
  auto issuedOf = [issued](const BatchPut& it) {
    return it.options.issuedNs ? it.options.issuedNs : issued;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    const BatchPut& it = items[i];
    if (Status st = checkNames(impl_->options_, bucket, it.name); !st.ok()) {
      out[i] = st;
    } else if (it.data.size() > kInlinePutMax) {
      PutOptions opts = it.options;
      opts.issuedNs = issuedOf(it);
      out[i] = put(bucket, it.name, it.data, opts);
    } else {
      sums[i] = XXH64(it.data.data(), it.data.size(), 0);
      pending.push_back(i);
    }
  }
  std::set<std::string> silent;  // targets that did not answer a round
  auto backoff = impl_->options_.initialBackoff;
  for (int attempt = 1; !pending.empty(); ++attempt) {
    std::shared_ptr<const meta::Smap> smap = impl_->currentSmap();
    auto round = impl_->onLoop<bool>([&]() -> kj::Promise<Result<bool>> {
      // Each pending object to its owner (or, for EC buckets past a down owner, the next
      // target), in calls of at most kBatchMaxItems / kBatchMaxBytes.
      struct Call {
        const meta::NodeInfo* target;
        std::vector<std::pair<size_t, bool>> items;  // index, degraded
        size_t bytes = 0;
      };
      std::map<std::string, std::vector<Call>> byTarget;
      for (size_t i : pending) {
        auto route = impl_->putRoute(*smap, bucket, items[i].name, silent);
        if (!route.ok()) {
          out[i] = route.status();
          continue;
        }
        auto& calls = byTarget[route->target->id];
        if (calls.empty() || calls.back().items.size() >= kBatchMaxItems ||
            calls.back().bytes + items[i].data.size() > kBatchMaxBytes) {
          calls.push_back({route->target, {}, 0});
        }
        calls.back().items.push_back({i, route->degraded});
        calls.back().bytes += items[i].data.size();
      }
      kj::Vector<kj::Promise<void>> sent;
      for (auto& [id, calls] : byTarget) {
        for (auto& call : calls) {
          const std::string& ep = call.target->rpcEndpoint;
          auto req = impl_->pool_->get(ep).putBatchRequest();
          auto list = req.initItems(static_cast<unsigned>(call.items.size()));
          for (size_t k = 0; k < call.items.size(); ++k) {
            auto [i, degraded] = call.items[k];
            const BatchPut& it = items[i];
            auto item = list[static_cast<unsigned>(k)];
            impl_->fillRef(item.initRef(), *smap, bucket, it.name);
            item.getRef().setIfAbsent(it.options.ifAbsent);
            item.getRef().setIfVersion(it.options.ifVersion);
            item.getRef().setDegraded(degraded);
            item.getRef().setIssuedNs(issuedOf(it));
            item.setData(asBytes(it.data));
            item.setChecksum(sums[i]);
            if (!it.options.custom.empty()) {
              proto::toWire(it.options.custom, item.initCustom(it.options.custom.size()));
            }
          }
          auto indexes = std::make_shared<std::vector<size_t>>();
          for (auto [i, degraded] : call.items) indexes->push_back(i);
          sent.add(impl_
                       ->guard<bool>(ep, req.send().then([&out, indexes](auto&& r) -> Result<bool> {
                         auto results = r.getResults();
                         if (results.size() != indexes->size()) {
                           return Status(Code::kInternal, "putBatch: results do not match items");
                         }
                         for (size_t k = 0; k < indexes->size(); ++k) {
                           auto res = results[static_cast<unsigned>(k)];
                           Status s = toStatus(res.getStatus());
                           out[(*indexes)[k]] =
                               s.ok() ? Result<ObjectInfo>(fromWire(res.getAttrs())) : s;
                         }
                         return true;
                       }))
                       .then([&out, &silent, indexes, id = id](Result<bool> r) {
                         if (r.ok()) return;
                         if (Impl::unreachable(r.code())) silent.insert(id);
                         for (size_t i : *indexes) out[i] = r.status();
                       }));
        }
      }
      return kj::joinPromises(sent.releaseAsArray()).then([] { return Result<bool>(true); });
    });
    if (!round.ok()) {
      for (size_t i : pending) out[i] = round.status();  // the round timed out as a whole
    }
    std::vector<size_t> again;
    for (size_t i : pending) {
      if (!out[i].ok() && retryable(out[i].code())) again.push_back(i);
    }
    if (again.empty() || attempt >= impl_->options_.maxAttempts) break;
    pending = std::move(again);
    sleepOrSuspend(std::chrono::duration_cast<std::chrono::milliseconds>(backoff));
    backoff *= 2;
    (void)impl_->refreshMeta();
  }
  return out;
}

}  // namespace ais
