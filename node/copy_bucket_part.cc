#include "node/copy_bucket_part.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "node/client_job_part.h"

namespace ais::node {

Status startCopyBucketPart(NodeContext& ctx, const std::string& id, const std::string& kind,
                           const std::string& src, const std::string& params) {
  auto j = nlohmann::json::parse(params, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("to") || !j["to"].is_string()) {
    return Status(Code::kInvalidArgument, "copy-bck: params must be {\"to\": BUCKET, ...}");
  }
  std::string dst = j["to"].get<std::string>(), prefix = j.value("prefix", "");
  bool dryRun = j.value("dry_run", false), move = kind == "move-bck";
  if (!ctx.meta.bmd().find(src)) return Status(Code::kBucketNotFound, "ais://" + src);
  if (!dryRun && !ctx.meta.bmd().find(dst)) {
    return Status(Code::kBucketNotFound, "ais://" + dst);
  }
  if (src == dst) return Status(Code::kInvalidArgument, "copy-bck: the same bucket");
  std::string self = ctx.cfg.id;
  return startClientJobPart(
      ctx, id, kind, src,
      [=](Client& client, JobCounters& counters, const std::atomic<bool>& stop) -> Status {
        ListOptions opts;
        opts.prefix = prefix;
        std::string firstError;
        Status listed = client.listAll(src, opts, [&](ObjectInfo& o) {
          if (stop.load()) return false;
          // Each object is copied by its owner only (the one that serves it), so once.
          if (!ownsName(client, self, src, o.name)) return true;
          if (dryRun) {
            counters.objects += 1;
            counters.bytes += o.size;
            return true;
          }
          auto copied = client.copy(src, o.name, dst, o.name);
          Status st = copied.status();
          if (st.ok() && move) {
            st = client.remove(src, o.name, o.version);
            // (A newer version written meanwhile stays in the source: nothing is lost.)
            if (st.code() == Code::kVersionChanged) st = Status::OK();
          }
          if (!st.ok()) {
            counters.damaged += 1;
            if (firstError.empty()) firstError = o.name + ": " + st.toString();
            log::warn("{} {}: ais://{}/{}: {}", kind, id, src, o.name, st.toString());
            return true;
          }
          counters.objects += 1;
          counters.bytes += o.size;
          return true;
        });
        if (!listed.ok()) return listed;
        return partOutcome(counters, stop, "objects not copied", firstError);
      });
}

}  // namespace ais::node
