// What ordering writes by their issue time (PutOptions::issuedNs) costs a target's PUT: the
// store's commit reads the current LOM once more to decide whether the write supersedes it.
// Side by side in one run: 4 KiB PUTs of new names and overwrites of one name, unstamped (the
// reference: a commit that replaces whatever is there) and stamped. No fsync (the bucket
// default), 2 mountpaths under /tmp. And what work files made ahead (Store::prepareWorkFiles, as
// aisnode runs) save a PUT of a new name: its inode allocation.
//   build/tests/bench/store_put_bench [--benchmark_min_time=1]
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "node/store/store.h"

namespace {

using ais::store::PutOptions;
using ais::store::Store;

class BenchStore {
 public:
  explicit BenchStore(bool prepared = false) {
    char tmpl[] = "/tmp/ais-store-bench-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    auto s = Store::open({dir_ + "/mp1", dir_ + "/mp2"});
    if (s.ok()) store_ = std::move(s).value();
    if (store_ && prepared) store_->prepareWorkFiles();
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Store* get() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

// range(0): 1 to stamp the writes with their issue time; range(1): 1 to overwrite one name;
// range(2): 1 for work files made ahead.
void BM_Put4KiB(benchmark::State& state) {
  BenchStore bs(state.range(2) != 0);
  if (!bs.get()) return state.SkipWithError("cannot open a store");
  const bool stamped = state.range(0) != 0, overwrite = state.range(1) != 0;
  const std::string data(4096, 'x');
  uint64_t i = 0, superseded = 0;
  for (auto _ : state) {
    PutOptions opts;
    if (stamped) opts.issuedNs = ais::unixNowNs();
    std::string name = overwrite ? std::string("same") : "obj-" + std::to_string(i++);
    auto lom = bs.get()->putBytes("bench", name, data, std::move(opts));
    if (!lom.ok()) return state.SkipWithError(lom.status().toString().c_str());
    superseded += lom->superseded;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["superseded"] = static_cast<double>(superseded);
}

BENCHMARK(BM_Put4KiB)
    ->ArgNames({"stamped", "overwrite", "prepared"})
    ->Args({0, 0, 0})
    ->Args({1, 0, 0})
    ->Args({0, 1, 0})
    ->Args({1, 1, 0})
    ->Args({1, 0, 1})
    ->Args({1, 1, 1})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
