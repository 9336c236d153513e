#include "proto/wire.h"

namespace ais::proto {

void setStatus(wire::Status::Builder out, const Status& status) {
  out.setCode(static_cast<uint16_t>(status.code()));
  if (!status.message().empty()) out.setMessage(status.message());
}

Status toStatus(wire::Status::Reader in) {
  if (in.getCode() == 0) return Status::OK();
  return Status(codeFromNumber(in.getCode()), in.getMessage());
}

void toWire(const std::map<std::string, std::string>& kv,
            capnp::List<wire::KeyValue>::Builder out) {
  size_t i = 0;
  for (const auto& [k, v] : kv) {
    out[i].setKey(k);
    out[i].setValue(v);
    ++i;
  }
}

std::map<std::string, std::string> fromWire(capnp::List<wire::KeyValue>::Reader in) {
  std::map<std::string, std::string> kv;
  for (auto e : in) kv[e.getKey()] = e.getValue();
  return kv;
}

ObjectInfo fromWire(wire::ObjectAttrs::Reader in) {
  ObjectInfo info;
  info.name = in.getName();
  info.size = in.getSize();
  info.holeBytes = in.getHoleBytes();
  info.checksum = in.getChecksum();
  info.checksumType = in.getChecksumType();
  info.checksumValue = in.getChecksumValue();
  info.version = in.getVersion();
  info.atimeNs = in.getAtimeNs();
  info.mtimeNs = in.getMtimeNs();
  info.custom = fromWire(in.getCustom());
  info.targetId = in.getTargetId();
  return info;
}

Status statusFromException(const kj::Exception& e) {
  std::string desc = e.getDescription().cStr();
  switch (e.getType()) {
    case kj::Exception::Type::DISCONNECTED:
      return Status(Code::kUnavailable, desc);
    case kj::Exception::Type::OVERLOADED:
      if (desc.find("timed out") != std::string::npos) return Status(Code::kTimeout, desc);
      return Status(Code::kUnavailable, desc);
    case kj::Exception::Type::UNIMPLEMENTED:
      return Status(Code::kNotImplemented, desc);
    default:
      if (desc.find("timed out") != std::string::npos) return Status(Code::kTimeout, desc);
      if (desc.find("Connection refused") != std::string::npos ||
          desc.find("ECONNREFUSED") != std::string::npos) {
        return Status(Code::kUnavailable, desc);
      }
      return Status(Code::kInternal, desc);
  }
}

}  // namespace ais::proto
