#include "node/archive/archive_job.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "node/archive/archive_writer.h"

namespace ais::archive {

std::string archivePlanJson(const ArchivePlan& plan) {
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& s : plan.shards) shards.push_back({{"name", s.name}, {"members", s.members}});
  return nlohmann::json{{"src", plan.src},
                        {"dst", plan.dst},
                        {"format", formatName(plan.format)},
                        {"shards", std::move(shards)}}
      .dump();
}

Result<ArchivePlan> parseArchivePlan(std::string_view text) {
  auto bad = [](const std::string& why) {
    return Status(Code::kInvalidArgument, "archive job plan: " + why);
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  ArchivePlan plan;
  try {
    plan.src = j.at("src").get<std::string>();
    plan.dst = j.at("dst").get<std::string>();
    auto format = parseFormat(j.at("format").get<std::string>());
    if (!format) return bad("unknown format " + j.at("format").dump());
    plan.format = *format;
    for (const auto& s : j.at("shards")) {
      ShardPlan sp{s.at("name").get<std::string>(),
                   s.at("members").get<std::vector<std::string>>()};
      if (sp.name.empty() || sp.members.empty()) return bad("a shard without a name or members");
      plan.shards.push_back(std::move(sp));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (plan.src.empty() || plan.dst.empty()) return bad("no source or destination bucket");
  return plan;
}

namespace {

// One shard: members read from their owners in chunks, written through the archive writer into
// one streamed PUT that commits only once the whole shard went through (an early return drops
// the handle uncommitted: nothing is stored).
Status buildShard(Client& client, const ArchivePlan& plan, const ShardPlan& shard,
                  const BuildProgress& progress) {
  auto handle = client.beginPut(plan.dst, shard.name);
  if (!handle.ok()) return handle.status();
  auto writer = ArchiveWriter::make(plan.format,
                                    [&handle](std::string_view b) { return (*handle)->write(b); });
  for (const std::string& name : shard.members) {
    if (progress.stopRequested && progress.stopRequested()) {
      return Status(Code::kInternal, "stopped");  // (the job registry calls it aborted)
    }
    auto info = client.head(plan.src, name);
    if (!info.ok()) {
      return Status(info.code(), "ais://" + plan.src + "/" + name + ": " + info.status().message());
    }
    uint64_t off = 0;
    auto source = [&](char* buf, size_t len) -> Result<size_t> {
      if (off >= info->size) return size_t{0};
      ByteRange range;
      range.offset = off;
      range.length = std::min<uint64_t>(len, info->size - off);
      size_t got = 0;
      auto r = client.getStream(plan.src, name, range, info->version, [&](std::string_view c) {
        if (got + c.size() > len) return Status(Code::kInternal, "more bytes than asked");
        std::memcpy(buf + got, c.data(), c.size());
        got += c.size();
        return Status::OK();
      });
      if (!r.ok()) return r.status();
      off += got;
      return got;
    };
    Status st = writer->add(name, info->size, 0644, info->mtimeNs / 1'000'000'000, source);
    if (!st.ok()) {
      return Status(st.code(), "ais://" + plan.src + "/" + name + ": " + st.message());
    }
    if (progress.memberDone) progress.memberDone(info->size);
  }
  AIS_RETURN_IF_ERROR(writer->finish());
  auto committed = (*handle)->commit();
  return committed.ok() ? Status::OK() : committed.status();
}

}  // namespace

Status buildShards(Client& client, const ArchivePlan& plan, const BuildProgress& progress) {
  for (const ShardPlan& shard : plan.shards) {
    Status st = buildShard(client, plan, shard, progress);
    if (!st.ok()) {
      return Status(st.code(), "shard ais://" + plan.dst + "/" + shard.name + ": " + st.message());
    }
  }
  return Status::OK();
}

}  // namespace ais::archive
