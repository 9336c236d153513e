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

// Shards up to kBatchedShard go many per putBatch call (up to kBatchItems or kBatchBytes), like
// `ais put DIR`'s small files; larger ones are streamed into a PUT of their own.
constexpr size_t kBatchedShard = size_t{1} << 20;
constexpr size_t kBatchItems = 128;
constexpr size_t kBatchBytes = size_t{4} << 20;

// Finished small shards waiting for their batch PUT.
class ShardBatch {
 public:
  ShardBatch(Client& client, const std::string& bucket) : client_(client), bucket_(bucket) {}

  Status add(std::string name, std::string bytes) {
    bytes_ += bytes.size();
    shards_.emplace_back(std::move(name), std::move(bytes));
    return shards_.size() >= kBatchItems || bytes_ >= kBatchBytes ? flush() : Status::OK();
  }

  // Stores every waiting shard; the first that failed names the error (the others are stored).
  Status flush() {
    if (shards_.empty()) return Status::OK();
    std::vector<BatchPut> items;
    items.reserve(shards_.size());
    for (const auto& [name, bytes] : shards_) items.push_back({name, bytes, {}});
    auto results = client_.putBatch(bucket_, items);
    Status first = Status::OK();
    for (size_t i = 0; i < results.size() && first.ok(); ++i) {
      if (!results[i].ok()) {
        first = Status(results[i].code(), "shard ais://" + bucket_ + "/" + shards_[i].first + ": " +
                                              results[i].status().message());
      }
    }
    shards_.clear();
    bytes_ = 0;
    return first;
  }

 private:
  Client& client_;
  const std::string& bucket_;
  std::vector<std::pair<std::string, std::string>> shards_;
  size_t bytes_ = 0;
};

// Where a shard's bytes go as the writer makes them: memory while the shard is small (then the
// batch), a streamed PUT from the first byte past kBatchedShard. Dropped before finish(),
// nothing is stored (an open PUT handle drops uncommitted).
class ShardOut {
 public:
  ShardOut(Client& client, const std::string& bucket, const std::string& name)
      : client_(client), bucket_(bucket), name_(name) {}

  Status write(std::string_view b) {
    if (!handle_) {
      if (buffer_.size() + b.size() <= kBatchedShard) {
        buffer_.append(b);
        return Status::OK();
      }
      auto handle = client_.beginPut(bucket_, name_);
      if (!handle.ok()) return handle.status();
      handle_ = std::move(*handle);
      AIS_RETURN_IF_ERROR(handle_->write(buffer_));
      buffer_ = std::string();
    }
    return handle_->write(b);
  }

  // Stores the shard (or hands it to the batch); errors name the shard they are about.
  Status finish(ShardBatch& batch) {
    if (!handle_) return batch.add(name_, std::move(buffer_));
    auto committed = handle_->commit();
    if (committed.ok()) return Status::OK();
    return Status(committed.code(),
                  "shard ais://" + bucket_ + "/" + name_ + ": " + committed.status().message());
  }

 private:
  Client& client_;
  const std::string& bucket_;
  const std::string& name_;
  std::string buffer_;
  std::unique_ptr<PutHandle> handle_;
};

// One shard: members read from their owners in chunks, written through the archive writer to
// `out` (stored by the caller only once the whole shard went through).
Status buildShard(Client& client, const ArchivePlan& plan, const ShardPlan& shard,
                  const BuildProgress& progress, ShardOut& out) {
  auto writer =
      ArchiveWriter::make(plan.format, [&out](std::string_view b) { return out.write(b); });
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
      range.ifChecksum = info->checksum;
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
  return writer->finish();
}

}  // namespace

Status buildShards(Client& client, const ArchivePlan& plan, const BuildProgress& progress) {
  ShardBatch batch(client, plan.dst);
  for (const ShardPlan& shard : plan.shards) {
    ShardOut out(client, plan.dst, shard.name);
    Status st = buildShard(client, plan, shard, progress, out);
    if (!st.ok()) {
      st = Status(st.code(), "shard ais://" + plan.dst + "/" + shard.name + ": " + st.message());
    } else {
      st = out.finish(batch);  // (named already)
    }
    if (!st.ok()) {
      (void)batch.flush();  // the shards finished before it are stored all the same
      return st;
    }
  }
  return batch.flush();
}

}  // namespace ais::archive
