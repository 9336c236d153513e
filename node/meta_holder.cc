#include "node/meta_holder.h"

#include <stdio.h>

#include <ctime>
#include <optional>
#include <string_view>

#include "common/log.h"
#include "meta/codec.h"

namespace ais::node {

namespace {

// A persisted BMD or config that does not decode is a copy of what the cluster holds: it is
// kept aside (for a post-mortem) and the node starts without it, to be sent the cluster's (a
// primary asks the Smap's nodes for theirs: recoverMetaFromNodes). The Smap is not set aside:
// without it a primary would found a new cluster beside its own targets.
void setAside(const std::string& path, const Status& why) {
  std::string aside = path + ".damaged." + std::to_string(::time(nullptr));
  log::error("{} is damaged ({}); moved to {}: the cluster's copy replaces it", path,
             why.toString(), aside);
  if (::rename(path.c_str(), aside.c_str()) != 0) ::unlink(path.c_str());
}

// A persisted file's contents: nullopt if it cannot be read (a fresh node), else what its
// sealed bytes decode to, or why they do not.
template <typename T>
std::optional<Result<T>> readSealed(const std::string& path,
                                    Result<T> (*decode)(std::string_view)) {
  auto bytes = meta::readFile(path);
  if (!bytes.ok()) return std::nullopt;
  auto payload = meta::unseal(*bytes);
  if (!payload.ok()) return Result<T>(payload.status());
  return decode(*payload);
}

}  // namespace

Status MetaHolder::load() {
  if (auto smap = readSealed(confdir_ + "/smap.bin", meta::decodeSmap)) {
    if (!smap->ok()) {
      return Status(smap->code(), confdir_ + "/smap.bin: " + smap->status().message() +
                                      " (remove it to join the cluster as a new node)");
    }
    smap_ = std::move(**smap);
  }
  if (auto bmd = readSealed(confdir_ + "/bmd.bin", meta::decodeBmd)) {
    if (bmd->ok()) {
      bmd_ = std::move(**bmd);
    } else {
      setAside(confdir_ + "/bmd.bin", bmd->status());
    }
  }
  if (auto cfg = readSealed(confdir_ + "/config.bin", meta::decodeConfig)) {
    if (cfg->ok()) {
      config_ = **cfg;
    } else {
      setAside(confdir_ + "/config.bin", cfg->status());
    }
  }
  return Status::OK();
}

namespace {

template <typename T>
Status checkVersion(const char* what, const T& current, const T& incoming) {
  if (!current.uuid.empty() && !incoming.uuid.empty() && current.uuid != incoming.uuid) {
    return Status(Code::kRejectedVersion, std::string(what) + " of another cluster (uuid " +
                                              incoming.uuid + ", ours " + current.uuid + ")");
  }
  if (incoming.version < current.version) {
    return Status(Code::kRejectedVersion, std::string(what) + " v" +
                                              std::to_string(incoming.version) +
                                              " is older than v" + std::to_string(current.version));
  }
  return Status::OK();
}

}  // namespace

Status MetaHolder::acceptSmap(meta::Smap smap) {
  AIS_RETURN_IF_ERROR(checkVersion("Smap", smap_, smap));
  if (smap.version == smap_.version) {
    // One Smap per version: two proposals of the same version (an old primary's and an elected
    // one's) never both count, which is what keeps two primaries from sharing a version.
    if (smap.version != 0 && !(smap == smap_)) {
      return Status(Code::kRejectedVersion,
                    "conflicting Smap v" + std::to_string(smap.version) + " (primary " +
                        smap.primaryId + "; this node holds one from " + smap_.primaryId + ")");
    }
    return Status::OK();
  }
  AIS_RETURN_IF_ERROR(
      meta::writeFileAtomic(confdir_ + "/smap.bin", meta::seal(meta::encode(smap))));
  log::info("accepted Smap v{} ({} nodes, primary {})", smap.version, smap.nodes.size(),
            smap.primaryId);
  smap_ = std::move(smap);
  if (onSmapChange) onSmapChange(smap_);
  return Status::OK();
}

Status MetaHolder::acceptBmd(meta::BMD bmd) {
  AIS_RETURN_IF_ERROR(checkVersion("BMD", bmd_, bmd));
  if (bmd.version == bmd_.version) return Status::OK();
  AIS_RETURN_IF_ERROR(meta::writeFileAtomic(confdir_ + "/bmd.bin", meta::seal(meta::encode(bmd))));
  log::info("accepted BMD v{} ({} buckets)", bmd.version, bmd.buckets.size());
  meta::BMD before = std::move(bmd_);
  bmd_ = std::move(bmd);
  if (onBmdChange) onBmdChange(before, bmd_);
  return Status::OK();
}

void MetaHolder::acceptNewer(meta::Smap smap, meta::BMD bmd, meta::ClusterConfig config) {
  for (Status st :
       {acceptSmap(std::move(smap)), acceptBmd(std::move(bmd)), acceptConfig(std::move(config))}) {
    if (!st.ok()) log::warn("{}", st.toString());
  }
}

Status MetaHolder::acceptConfig(meta::ClusterConfig config) {
  if (config.version < config_.version) {
    return Status(Code::kRejectedVersion, "config v" + std::to_string(config.version) +
                                              " is older than v" + std::to_string(config_.version));
  }
  if (config.version == config_.version) return Status::OK();
  AIS_RETURN_IF_ERROR(
      meta::writeFileAtomic(confdir_ + "/config.bin", meta::seal(meta::encode(config))));
  config_ = config;
  return Status::OK();
}

}  // namespace ais::node
