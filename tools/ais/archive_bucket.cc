#include "tools/ais/archive_bucket.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "common/name_template.h"
#include "meta/hrw.h"
#include "meta/names.h"
#include "node/archive/archive_job.h"
#include "tools/ais/archive_put.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

constexpr size_t kMaxNames = 10'000'000;
constexpr uint64_t kDefaultShardSize = uint64_t{1} << 30;

struct Selected {
  std::string name;
  uint64_t size;
};

Result<std::vector<Selected>> select(Client& client, const std::string& bucket,
                                     const ArchiveBucketArgs& a) {
  std::vector<Selected> out;
  if (!a.list.empty()) {
    std::stringstream ss(a.list);
    for (std::string name; std::getline(ss, name, ',');) {
      if (name.empty()) continue;
      auto info = client.head(bucket, name);
      if (!info.ok()) {
        return Status(info.code(), "ais://" + bucket + "/" + name + ": " + info.status().message());
      }
      out.push_back({name, info->size});
    }
    return out;
  }
  std::set<std::string> wanted;
  ListOptions opts;
  if (!a.templ.empty()) {
    auto names = expandNameTemplate(a.templ, kMaxNames);
    if (!names.ok()) return names.status();
    wanted.insert(names->begin(), names->end());
    opts.prefix = a.templ.substr(0, a.templ.find('{'));
  } else {
    opts.prefix = a.prefix.value_or("");
  }
  std::vector<std::pair<std::string, Status>> missing;
  Status st = client.listAll(
      bucket, opts,
      [&](ObjectInfo& o) {
        if (wanted.empty() || wanted.count(o.name)) out.push_back({o.name, o.size});
        return true;
      },
      &missing);
  if (!st.ok()) return st;
  if (!missing.empty()) {
    return Status(Code::kUnavailable,
                  "target " + missing.front().first +
                      " did not list its objects: " + missing.front().second.message());
  }
  return out;
}

}  // namespace

int archiveBucket(Cli& cli, const ArchiveBucketArgs& a) {
  auto src = parseBucketUri(a.src);
  if (!src.ok()) return fail(src.status());
  auto dst = parseObjectUri(a.dst);
  if (!dst.ok()) return fail(dst.status());
  int ways = (a.prefix ? 1 : 0) + (a.list.empty() ? 0 : 1) + (a.templ.empty() ? 0 : 1);
  if (ways > 1) {
    return fail(Status(Code::kInvalidArgument, "one of --prefix, --list, --template at most"));
  }
  auto format = shardFormatOf(dst->name, a.mime);
  if (!format.ok()) return fail(format.status());
  auto names = expandNameTemplate(dst->name, kMaxNames);
  if (!names.ok()) return fail(names.status());
  bool many = hasNameRange(dst->name);
  uint64_t limit = many ? kDefaultShardSize : UINT64_MAX;
  if (!a.shardSize.empty()) {
    auto s = parseSize(a.shardSize);
    if (!s || *s == 0)
      return fail(Status(Code::kInvalidArgument, "bad --shard-size " + a.shardSize));
    limit = *s;
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto sources = select(**client, src->bucket, a);
  if (!sources.ok()) return fail(sources.status());
  if (sources->empty()) {
    return fail(Status(
        Code::kObjectNotFound,
        "no objects of ais://" + src->bucket + " to archive (check --prefix/--list/--template)"));
  }
  // Shards in name order, each up to the size (by members' bytes and a header each); an object
  // larger than the size makes a shard of its own.
  archive::ArchivePlan all{src->bucket, dst->bucket, *format, {}};
  uint64_t inShard = 0, total = 0;
  for (const Selected& s : *sources) {
    uint64_t cost = s.size + 512;
    if (all.shards.empty() || (inShard + cost > limit && !all.shards.back().members.empty())) {
      if (all.shards.size() == names->size()) {
        return fail(Status(Code::kInvalidArgument,
                           fmt::format("'{}' names {} shard(s), the objects need more: widen its "
                                       "range or raise --shard-size",
                                       dst->name, names->size())));
      }
      all.shards.push_back({(*names)[all.shards.size()], {}});
      inShard = 0;
    }
    all.shards.back().members.push_back(s.name);
    inShard += cost;
    total += s.size;
  }
  // Each shard is built by its HRW owner (so its PUT is local there).
  auto smap = (*client)->smap();
  if (!smap.ok()) return fail(smap.status());
  std::map<std::string, archive::ArchivePlan> parts;
  for (auto& shard : all.shards) {
    const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname(dst->bucket, shard.name));
    if (!owner) return fail(Status(Code::kNoTargets));
    auto& part = parts[owner->id];
    if (part.src.empty()) part = archive::ArchivePlan{all.src, all.dst, all.format, {}};
    part.shards.push_back(std::move(shard));
  }
  std::map<std::string, std::string> params;
  for (const auto& [target, part] : parts) params[target] = archive::archivePlanJson(part);
  std::string id = Client::newJobId("archive");
  Status st = (*client)->startJob(id, "archive", dst->bucket, params);
  if (!st.ok()) return fail(st);
  if (!a.quiet) {
    std::printf("Archiving %zu objects (%s) of ais://%s into %zu %s shard(s) ais://%s/%s: job %s\n",
                sources->size(), humanSize(total).c_str(), src->bucket.c_str(), all.shards.size(),
                std::string(archive::formatName(*format)).c_str(), dst->bucket.c_str(),
                dst->name.c_str(), id.c_str());
  }
  return a.wait ? waitForJob(cli, id, 0) : kExitOk;
}

}  // namespace ais::cli
