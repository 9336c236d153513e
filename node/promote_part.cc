#include "node/promote_part.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "node/client_job_part.h"

namespace ais::node {

namespace fs = std::filesystem;

namespace {

// True if `path` is `dir` or under it (both normalized).
bool within(const fs::path& path, const fs::path& dir) {
  auto [d, p] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return d == dir.end();
}

}  // namespace

Status startPromotePart(NodeContext& ctx, const std::string& id, const std::string& bucket,
                        const std::string& params) {
  auto j = nlohmann::json::parse(params, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("src") || !j["src"].is_string()) {
    return Status(Code::kInvalidArgument, "promote: params must be {\"src\": PATH, ...}");
  }
  fs::path src = fs::path(j["src"].get<std::string>()).lexically_normal();
  std::string obj = j.value("obj", "");
  bool recurse = j.value("rcr", false), overwrite = j.value("ovw", false);
  bool deleteSrc = j.value("dls", false), shared = j.value("shared", true);
  if (!src.is_absolute()) {
    return Status(Code::kInvalidArgument, "promote: " + src.string() + " is not an absolute path");
  }
  for (const auto& mp : ctx.store->mountpaths()) {
    fs::path m = fs::path(mp).lexically_normal();
    if (within(src, m) || within(m, src)) {
      return Status(Code::kInvalidArgument, "promote: " + src.string() +
                                                " overlaps the mountpath " + mp +
                                                " (the store's own files are not promoted)");
    }
  }
  std::error_code ec;
  auto st = fs::status(src, ec);
  if (ec || (!fs::is_regular_file(st) && !fs::is_directory(st))) {
    return Status(Code::kInvalidArgument, "promote: " + src.string() + " on target " + ctx.cfg.id +
                                              " is not a file or directory" +
                                              (ec ? ": " + ec.message() : ""));
  }
  if (!ctx.meta.bmd().find(bucket)) return Status(Code::kBucketNotFound, "ais://" + bucket);
  bool isDir = fs::is_directory(st);
  if (!obj.empty() && isDir && obj.back() != '/') obj += '/';
  std::string self = ctx.cfg.id;
  return startClientJobPart(
      ctx, id, "promote", bucket,
      [=](Client& client, JobCounters& counters, const std::atomic<bool>& stop) -> Status {
        std::string firstError;
        auto promote = [&](const fs::path& file, const std::string& name) {
          // A shared directory: each file once, by the target that owns its name.
          if (shared && !ownsName(client, self, bucket, name)) return;
          PutOptions opts;
          opts.ifAbsent = !overwrite;
          auto put = client.putFile(bucket, name, file.string(), opts);
          Status s = put.status();
          if (s.code() == Code::kObjectExists) return;  // (kept: "ovw" not set)
          if (s.ok() && deleteSrc && ::unlink(file.c_str()) != 0) {
            s = Status(Code::kIoError, file.string() + ": stored, but not removed");
          }
          if (!s.ok()) {
            counters.damaged += 1;
            if (firstError.empty()) firstError = file.string() + ": " + s.toString();
            log::warn("promote {}: {}", id, s.toString());
            return;
          }
          counters.objects += 1;
          counters.bytes += put->size;
        };
        if (!isDir) {
          promote(src, obj.empty() ? src.filename().string() : obj);
        } else {
          std::error_code walkError;
          auto opts = fs::directory_options::skip_permission_denied;
          auto visit = [&](const fs::directory_entry& e) {
            if (!e.is_regular_file()) return;  // (links, devices and the like are not objects)
            promote(e.path(), obj + e.path().lexically_relative(src).string());
          };
          if (recurse) {
            for (auto it = fs::recursive_directory_iterator(src, opts, walkError);
                 !walkError && it != fs::recursive_directory_iterator() && !stop.load();
                 it.increment(walkError)) {
              visit(*it);
            }
          } else {
            for (auto it = fs::directory_iterator(src, opts, walkError);
                 !walkError && it != fs::directory_iterator() && !stop.load();
                 it.increment(walkError)) {
              visit(*it);
            }
          }
          if (walkError) {
            return Status(Code::kIoError, src.string() + ": " + walkError.message());
          }
        }
        return partOutcome(counters, stop, "files not promoted", firstError);
      });
}

}  // namespace ais::node
