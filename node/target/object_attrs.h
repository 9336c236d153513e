// The one conversion between a target's LOM and what clients see of an object (ObjectInfo, and
// its wire form ObjectAttrs).
#pragma once

#include <string>

#include "node/store/lom.h"
#include "proto/ais.capnp.h"
#include "proto/client.h"

namespace ais::node {

ObjectInfo infoFromLom(const store::Lom& lom, const std::string& targetId = "");
store::Lom lomFromInfo(ObjectInfo info);
void toAttrs(const store::Lom& lom, const std::string& targetId, wire::ObjectAttrs::Builder out);

}  // namespace ais::node
