// Conversion of Smap, BMD and ClusterConfig to and from their Cap'n Proto form (meta.capnp), and
// versioned persistence: a node stores the newest version it accepted and refuses older ones.
#pragma once

#include <string>

#include "common/status.h"
#include "meta/bmd.h"
#include "meta/config.h"
#include "meta/meta.capnp.h"
#include "meta/smap.h"

namespace ais::meta {

void toWire(const Smap& smap, wire::Smap::Builder out);
Smap fromWire(wire::Smap::Reader in);
void toWire(const BMD& bmd, wire::Bmd::Builder out);
BMD fromWire(wire::Bmd::Reader in);
void toWire(const BucketProps& props, wire::BucketProps::Builder out);
BucketProps fromWire(wire::BucketProps::Reader in);
void toWire(const ClusterConfig& cfg, wire::ClusterConfig::Builder out);
ClusterConfig fromWire(wire::ClusterConfig::Reader in);
void toWire(const NodeInfo& node, wire::NodeInfo::Builder out);
NodeInfo fromWire(wire::NodeInfo::Reader in);

// Flat byte encodings (one capnp message each).
std::string encode(const Smap& smap);
std::string encode(const BMD& bmd);
std::string encode(const ClusterConfig& cfg);
Result<Smap> decodeSmap(std::string_view bytes);
Result<BMD> decodeBmd(std::string_view bytes);
Result<ClusterConfig> decodeConfig(std::string_view bytes);

// Atomic file write (temp file, fsync, rename) and whole-file read.
Status writeFileAtomic(const std::string& path, std::string_view bytes);
// A persisted metadata file's bytes: a magic, the payload's xxhash64, the payload. unseal gives
// the payload back, kChecksumMismatch if it does not match (damage on disk); bytes without the
// magic (files written before the seal) are taken as the payload.
std::string seal(std::string_view payload);
Result<std::string> unseal(std::string_view bytes);
Result<std::string> readFile(const std::string& path);

}  // namespace ais::meta
