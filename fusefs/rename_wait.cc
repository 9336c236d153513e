// Directory renames in progress, as other mounts see them: never half done. A mount renaming a
// directory writes its intent (./aisfs-renames/..., mount_records.cc), waits kRenameSettle, then
// moves the objects, touching the intent every kRenameAlive while it does. Every mount, when it
// asks the cluster for a listing or a name (askUnmoved), reads the bucket's intents (kept
// kIntentsFresh; when stale, beside the query) and, if one covers the path (under either prefix,
// or an ancestor listing that shows either), waits until it is gone and asks again; and checks
// once more after the answer (it may hold a part of a move that started meanwhile). A listing is
// thus from before the move or after it. The settle time is twice the intents' freshness, so a
// mount's view of the intents is never older than the first move. An intent not touched for
// kRenameStale (its mount died: finished by the next mount of the bucket, docs/aisfs.md) is not
// waited for, and no wait lasts more than kRenameWaitMax.
#include <future>

#include "common/clock.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/posix_meta.h"

namespace ais::fusefs {
namespace {

bool overlaps(std::string_view a, std::string_view b) {
  return a.starts_with(b) || b.starts_with(a);
}

}  // namespace

bool Fs::intentsFresh(const RenameSnapshot& snap, Clock::time_point now) {
  return snap.at != Clock::time_point{} && now - snap.at < kIntentsFresh;
}

std::vector<Fs::RenameSpan> Fs::renameSpans(const std::string& bucket, bool fresh) {
  std::lock_guard l(renameSpansMu_);
  auto& snap = renameSpans_[bucket];
  auto now = Clock::now();
  if (!fresh && intentsFresh(snap, now)) return snap.spans;
  std::vector<RenameSpan> spans;
  int64_t staleBefore = unixNowNs() - std::chrono::nanoseconds(kRenameStale).count();
  // (Partial when a target is down: the intents the others hold still count.)
  ListOptions all{.prefix = kRenamesPrefix, .allowPartial = true};
  Status st = client_.listAll(bucket, all, [&](ObjectInfo& o) {
    auto from = o.custom.find(kKeyRenameFrom);
    auto to = o.custom.find(kKeyRenameTo);
    if (from == o.custom.end() || to == o.custom.end()) return true;
    int64_t alive = o.mtimeNs;
    if (auto a = o.custom.find(kKeyRenameAlive); a != o.custom.end()) {
      alive = std::max<int64_t>(alive, std::strtoll(a->second.c_str(), nullptr, 10));
    }
    if (alive < staleBefore) return true;  // its mount died part-way
    spans.push_back(RenameSpan{.intent = o.name, .from = from->second, .to = to->second});
    return true;
  });
  if (!st.ok()) {
    // Not knowing is not a reason to fail the caller's lookup: the last view stands until the
    // next try (not at once: a target down must not cost every lookup a failing listing).
    if (now - snap.warnedAt > std::chrono::seconds(10)) {
      snap.warnedAt = now;
      log::warn("aisfs: reading the renames in progress in ais://{}: {}", bucket, st.toString());
    }
    snap.at = now;
    return snap.spans;
  }
  snap.at = now;
  snap.spans = std::move(spans);
  return snap.spans;
}

void Fs::askUnmoved(const std::string& bucket, const std::string& path,
                    const std::function<bool()>& ask) {
  if (bucket.empty() || path.starts_with("./")) {  // the cluster's root, the records themselves
    ask();
    return;
  }
  for (int attempt = 0;; ++attempt) {
    bool fresh;
    {
      std::lock_guard l(renameSpansMu_);
      auto it = renameSpans_.find(bucket);
      fresh = it != renameSpans_.end() && intentsFresh(it->second, Clock::now());
    }
    bool ok;
    if (fresh) {
      awaitRenames(bucket, path);
      ok = ask();
    } else {
      // The intents are read beside the query, not before it (a target down makes both slow):
      // a rename seen running meanwhile means asking again once it is done.
      auto before = std::async(std::launch::async, [&] { return awaitRenames(bucket, path); });
      ok = ask();
      if (before.get() && attempt < 3) continue;
    }
    if (!ok || attempt == 3 || !awaitRenames(bucket, path)) return;
  }
}

bool Fs::awaitRenames(const std::string& bucket, const std::string& path) {
  if (bucket.empty() || path.starts_with("./")) return false;  // (the records themselves)
  auto giveUp = Clock::now() + kRenameWaitMax;
  bool waited = false;
  bool fresh = false;
  for (;;) {
    const RenameSpan* covering = nullptr;
    auto spans = renameSpans(bucket, fresh);
    for (const auto& s : spans) {
      if (s.intent.starts_with(std::string(kRenamesPrefix) + mountId_ + ".") &&
          ownRenames_.load() == 0) {
        continue;  // this mount's own, cut short: finished in the background (mount_records.cc)
      }
      if (overlaps(path, s.from) || overlaps(path, s.to)) {
        covering = &s;
        break;
      }
    }
    if (!covering) return waited;
    if (Clock::now() > giveUp) {
      log::warn("aisfs: ais://{}/{} read while the rename of {} to {} is still running", bucket,
                path, covering->from, covering->to);
      return waited;
    }
    waited = true;
    fresh = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ais::fusefs
