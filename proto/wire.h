// Conversions between the fabric's wire types (ais.capnp) and the C++ types both sides use, and
// the one mapping from KJ exceptions (transport faults) to Status codes.
#pragma once

#include <kj/exception.h>

#include <map>
#include <string>

#include "common/status.h"
#include "proto/ais.capnp.h"
#include "proto/client.h"

namespace ais::proto {

void setStatus(wire::Status::Builder out, const Status& status);
Status toStatus(wire::Status::Reader in);

void toWire(const std::map<std::string, std::string>& kv, capnp::List<wire::KeyValue>::Builder out);
std::map<std::string, std::string> fromWire(capnp::List<wire::KeyValue>::Reader in);

// An object's attributes from anything with ObjectInfo's fields (ObjectInfo, the target's LOM)
// written field by field, so a listing writes each LOM without copying it into an ObjectInfo.
template <class Attrs>
void attrsToWire(const Attrs& a, const std::string& targetId, wire::ObjectAttrs::Builder out) {
  out.setName(a.name);
  out.setSize(a.size);
  out.setHoleBytes(a.holeBytes);
  out.setChecksum(a.checksum);
  out.setChecksumType(a.checksumType);
  out.setChecksumValue(a.checksumValue);
  out.setVersion(a.version);
  out.setAtimeNs(a.atimeNs);
  out.setMtimeNs(a.mtimeNs);
  if (!a.custom.empty()) toWire(a.custom, out.initCustom(a.custom.size()));
  out.setTargetId(targetId);
}
inline void toWire(const ObjectInfo& info, wire::ObjectAttrs::Builder out) {
  attrsToWire(info, info.targetId, out);
}
ObjectInfo fromWire(wire::ObjectAttrs::Reader in);

// DISCONNECTED and OVERLOADED become kUnavailable (retryable), timeouts kTimeout, the rest
// kInternal.
Status statusFromException(const kj::Exception& e);

// Text as received, embedded NULs included (the implicit conversion stops at the first NUL, so a
// name "a\0b" would silently become "a"); validators then refuse NUL.
inline std::string str(capnp::Text::Reader t) { return std::string(t.begin(), t.size()); }

inline kj::ArrayPtr<const kj::byte> asBytes(std::string_view s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

}  // namespace ais::proto
