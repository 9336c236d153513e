#include "meta/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "meta/hrw.h"

namespace ais::meta {

void toWire(const NodeInfo& n, wire::NodeInfo::Builder out) {
  out.setId(n.id);
  out.setRole(n.role == Role::kProxy ? wire::Role::PROXY : wire::Role::TARGET);
  out.setRpcEndpoint(n.rpcEndpoint);
  out.setHttpEndpoint(n.httpEndpoint);
  out.setFlags(n.flags);
}

NodeInfo fromWire(wire::NodeInfo::Reader in) {
  NodeInfo n;
  n.id = in.getId();
  n.role = in.getRole() == wire::Role::PROXY ? Role::kProxy : Role::kTarget;
  n.rpcEndpoint = in.getRpcEndpoint();
  n.httpEndpoint = in.getHttpEndpoint();
  n.flags = in.getFlags();
  return n;
}

void toWire(const Smap& smap, wire::Smap::Builder out) {
  out.setVersion(smap.version);
  out.setPrimaryId(smap.primaryId);
  out.setUuid(smap.uuid);
  auto nodes = out.initNodes(smap.nodes.size());
  for (size_t i = 0; i < smap.nodes.size(); ++i) toWire(smap.nodes[i], nodes[i]);
}

Smap fromWire(wire::Smap::Reader in) {
  Smap s;
  s.version = in.getVersion();
  s.primaryId = in.getPrimaryId();
  s.uuid = in.getUuid();
  for (auto n : in.getNodes()) s.nodes.push_back(fromWire(n));
  return s;
}

void toWire(const BucketProps& p, wire::BucketProps::Builder out) {
  out.setChecksumType(p.checksumType);
  out.setVersioning(p.versioning);
  out.setFsync(p.fsync);
  out.setMirrorCopies(p.mirrorCopies);
  auto ec = out.initEc();
  ec.setEnabled(p.ec.enabled);
  ec.setDataSlices(p.ec.dataSlices);
  ec.setParitySlices(p.ec.paritySlices);
  ec.setObjSizeLimit(p.ec.objSizeLimit);
  out.setCreatedNs(p.createdNs);
  out.setOwner(p.owner);
  out.setAcl(p.acl);
  out.setCors(p.cors);
  out.setTags(p.tags);
  out.setObjectVersioning(p.objectVersioning);
}

BucketProps fromWire(wire::BucketProps::Reader in) {
  BucketProps p;
  p.checksumType = in.getChecksumType();
  p.versioning = in.getVersioning();
  p.fsync = in.getFsync();
  p.mirrorCopies = in.getMirrorCopies();
  p.ec.enabled = in.getEc().getEnabled();
  p.ec.dataSlices = in.getEc().getDataSlices();
  p.ec.paritySlices = in.getEc().getParitySlices();
  p.ec.objSizeLimit = in.getEc().getObjSizeLimit();
  p.createdNs = in.getCreatedNs();
  p.owner = in.getOwner();
  p.acl = in.getAcl();
  p.cors = in.getCors();
  p.tags = in.getTags();
  p.objectVersioning = in.getObjectVersioning();
  return p;
}

void toWire(const BMD& bmd, wire::Bmd::Builder out) {
  out.setVersion(bmd.version);
  out.setUuid(bmd.uuid);
  auto list = out.initBuckets(bmd.buckets.size());
  size_t i = 0;
  for (const auto& [name, props] : bmd.buckets) {
    list[i].setName(name);
    toWire(props, list[i].initProps());
    ++i;
  }
}

BMD fromWire(wire::Bmd::Reader in) {
  BMD b;
  b.version = in.getVersion();
  b.uuid = in.getUuid();
  for (auto bk : in.getBuckets()) b.buckets[bk.getName()] = fromWire(bk.getProps());
  return b;
}

void toWire(const ClusterConfig& c, wire::ClusterConfig::Builder out) {
  out.setVersion(c.version);
  out.setKeepaliveIntervalMs(c.keepaliveIntervalMs);
  out.setKeepaliveTimeoutMs(c.keepaliveTimeoutMs);
  out.setInlineMaxBytes(c.inlineMaxBytes);
  out.setChunkBytes(c.chunkBytes);
  out.setDownGraceMs(c.downGraceMs);
}

ClusterConfig fromWire(wire::ClusterConfig::Reader in) {
  ClusterConfig c;
  c.version = in.getVersion();
  c.keepaliveIntervalMs = in.getKeepaliveIntervalMs();
  c.keepaliveTimeoutMs = in.getKeepaliveTimeoutMs();
  c.inlineMaxBytes = in.getInlineMaxBytes();
  c.chunkBytes = in.getChunkBytes();
  c.downGraceMs = in.getDownGraceMs();
  return c;
}

namespace {

template <typename Wire, typename T>
std::string encodeAs(const T& value) {
  capnp::MallocMessageBuilder msg;
  toWire(value, msg.initRoot<Wire>());
  auto words = capnp::messageToFlatArray(msg);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

template <typename Wire, typename T>
Result<T> decodeAs(std::string_view bytes, const char* what) {
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) {
    return Status(Code::kInvalidArgument, std::string("malformed ") + what);
  }
  // Copy to guarantee word alignment.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    return fromWire(reader.getRoot<Wire>());
  } catch (const kj::Exception& e) {
    return Status(Code::kInvalidArgument,
                  std::string("malformed ") + what + ": " + e.getDescription().cStr());
  }
}

}  // namespace

std::string encode(const Smap& smap) { return encodeAs<wire::Smap>(smap); }
std::string encode(const BMD& bmd) { return encodeAs<wire::Bmd>(bmd); }
std::string encode(const ClusterConfig& cfg) { return encodeAs<wire::ClusterConfig>(cfg); }
Result<Smap> decodeSmap(std::string_view b) { return decodeAs<wire::Smap, Smap>(b, "Smap"); }
Result<BMD> decodeBmd(std::string_view b) { return decodeAs<wire::Bmd, BMD>(b, "BMD"); }
Result<ClusterConfig> decodeConfig(std::string_view b) {
  return decodeAs<wire::ClusterConfig, ClusterConfig>(b, "config");
}

namespace {
constexpr std::string_view kSealMagic{"AISMETA\x01", 8};
}  // namespace

std::string seal(std::string_view payload) {
  uint64_t sum = xxhash64(payload);
  std::string out(kSealMagic);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  out.append(payload);
  return out;
}

Result<std::string> unseal(std::string_view bytes) {
  if (bytes.substr(0, kSealMagic.size()) != kSealMagic) return std::string(bytes);
  if (bytes.size() < kSealMagic.size() + 8) {
    return Status(Code::kChecksumMismatch, "metadata file cut short");
  }
  uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) {
    sum |= uint64_t{static_cast<unsigned char>(bytes[kSealMagic.size() + i])} << (8 * i);
  }
  std::string_view payload = bytes.substr(kSealMagic.size() + 8);
  if (xxhash64(payload) != sum) {
    return Status(Code::kChecksumMismatch, "metadata file fails its checksum");
  }
  return std::string(payload);
}

Status writeFileAtomic(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status(Code::kIoError, "open " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status(err == ENOSPC ? Code::kOutOfSpace : Code::kIoError,
                    "write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status(Code::kIoError, "fsync " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status(Code::kIoError, "rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(errno == ENOENT ? Code::kObjectNotFound : Code::kIoError,
                  path + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status(Code::kIoError, path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace ais::meta
