#include "node/target/object_attrs.h"

#include "proto/wire.h"

namespace ais::node {

ObjectInfo infoFromLom(const store::Lom& lom, const std::string& targetId) {
  ObjectInfo info;
  info.name = lom.name;
  info.size = lom.size;
  info.holeBytes = lom.holeBytes;
  info.checksum = lom.checksum;
  info.checksumType = lom.checksumType;
  info.checksumValue = lom.checksumValue;
  info.version = lom.version;
  info.atimeNs = lom.atimeNs;
  info.mtimeNs = lom.mtimeNs;
  info.custom = lom.custom;
  info.targetId = targetId;
  return info;
}

store::Lom lomFromInfo(ObjectInfo info) {
  store::Lom lom;
  lom.name = std::move(info.name);
  lom.size = info.size;
  lom.holeBytes = info.holeBytes;
  lom.checksum = info.checksum;
  lom.checksumType = std::move(info.checksumType);
  lom.checksumValue = std::move(info.checksumValue);
  lom.version = info.version;
  lom.atimeNs = info.atimeNs;
  lom.mtimeNs = info.mtimeNs;
  lom.custom = std::move(info.custom);
  return lom;
}

void toAttrs(const store::Lom& lom, const std::string& targetId, wire::ObjectAttrs::Builder out) {
  proto::attrsToWire(lom, targetId, out);
}

}  // namespace ais::node
