// Group commit of small objects (Store::putGroup): the per-object costs of put.cc's protocol
// (two RocksDB writes, and with fsync a file fsync, a directory fsync and two WAL syncs) paid once
// per group and mountpath. The crash protocol is put.cc's: markers, renames, LOMs.

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "node/store/change_writer.h"
#include "node/store/fs.h"
#include "node/store/store.h"

namespace ais::store {
std::vector<Result<Lom>> Store::putGroup(std::string_view bucket, std::vector<GroupPut>& items) {
  std::vector<Result<Lom>> out(items.size(), Status(Code::kInternal, "not stored"));
  // Every object's bytes into its work file, checked; grouped by mountpath. Mirrored buckets
  // write and install every copy per object (put.cc), in order.
  // Versioned buckets too: each write keeps the version it replaces (versions.cc).
  const BucketPolicy policy = policyOf(bucket);
  bool mirrored = policy.copies > 1 || policy.versioning != Versioning::kOff;
  struct Staged {
    size_t index;
    std::unique_ptr<ObjectWriter> writer;
    uint64_t checksum;
  };
  std::map<Mountpath*, std::vector<Staged>> byMountpath;
  // One aisfs mount's batch (all items from one writer) keeps that mount's tokens.
  uint64_t writer = items.empty() ? 0 : items[0].opts.changeWriter;
  for (const auto& it : items) {
    if (it.opts.changeWriter != writer) writer = 0;
  }
  ChangeWriterScope changeWriter(writer ? writer : currentChangeWriter());
  for (size_t i = 0; i < items.size(); ++i) {
    auto w = beginPut(bucket, items[i].name, items[i].opts);
    Status st = w.ok() ? (*w)->write(items[i].data.data(), items[i].data.size()) : w.status();
    if (!st.ok()) {
      out[i] = st;
      continue;
    }
    if (mirrored) {
      out[i] = (*w)->commit(items[i].checksum);
      continue;
    }
    auto sum = (*w)->seal(items[i].checksum, /*fsyncNow=*/false);
    if (!sum.ok()) {
      out[i] = sum.status();
      continue;
    }
    Mountpath* mp = &(*w)->mp_;
    byMountpath[mp].push_back({i, std::move(*w), *sum});
  }
  for (auto& [mp, staged] : byMountpath) {
    bool sync = std::any_of(staged.begin(), staged.end(),
                            [](const Staged& s) { return s.writer->opts_.fsync; });
    if (sync) {
      if (Status st = syncFilesystem(mp->path); !st.ok()) {
        for (auto& s : staged) out[s.index] = st;  // the writers discard their work files
        continue;
      }
    }
    // Rounds of distinct names: a name given twice is installed twice, in order.
    for (size_t begin = 0; begin < staged.size();) {
      std::set<std::string_view> names;
      size_t end = begin;
      while (end < staged.size() && names.insert(staged[end].writer->name_).second) ++end;
      // The names' lock stripes, taken in address order (rename's std::lock never holds one
      // while waiting for another, so the order cannot deadlock with it).
      std::vector<std::shared_mutex*> stripes;
      for (size_t k = begin; k < end; ++k) {
        stripes.push_back(&lockFor(bucket, staged[k].writer->name_));
      }
      std::sort(stripes.begin(), stripes.end());
      stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
      std::vector<std::unique_lock<std::shared_mutex>> held;
      for (auto* m : stripes) held.emplace_back(*m);
      for (size_t k = begin; k < end; ++k) openFiles_.forget(bucket, staged[k].writer->name_);

      std::vector<Install> installs;
      std::vector<size_t> installed;  // staged index of each install
      for (size_t k = begin; k < end; ++k) {
        ObjectWriter& w = *staged[k].writer;
        if (Status absent = checkConditionsLocked(w); !absent.ok()) {
          out[staged[k].index] = absent;
          continue;
        }
        Install in;
        in.src = w.workPath_;
        in.lom = newLom(w, staged[k].checksum);
        in.blocks = w.hasher_.blocks();
        // (Versioned buckets never come here: the group is unversioned, a superseded write is
        // dropped.)
        if (auto lost = supersededLocked(w, in.lom, in.blocks, Versioning::kOff, &in.current)) {
          if (lost->ok()) w.finished_ = true;
          out[staged[k].index] = std::move(*lost);
          continue;
        }
        installs.push_back(std::move(in));
        installed.push_back(k);
      }
      installGroupLocked(*mp, bucket, installs, sync, {});
      for (size_t j = 0; j < installs.size(); ++j) {
        Staged& s = staged[installed[j]];
        if (!installs[j].status.ok()) {
          out[s.index] = installs[j].status;
          continue;
        }
        s.writer->finished_ = true;  // the work file is now the object: never unlink it
        Status dropped = dropExtraCopiesLocked(bucket, installs[j].lom.name, 1);
        out[s.index] = dropped.ok() ? Result<Lom>(std::move(installs[j].lom)) : dropped;
      }
      begin = end;
    }
  }
  return out;
}

}  // namespace ais::store
