// S3 multipart upload. State lives in the hidden bucket kMultipartBucket: the upload record
// "<bucket>/u/<uploadId>" (custom: key, initiation time, the object's metadata) and the parts
// "<bucket>/p/<uploadId>/<00001>" (custom etag: the part's MD5). Complete assembles the parts
// into the object and removes them; Abort removes them. ETag of the result: md5-of-md5s "-N".
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "common/ascii.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/log.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_payload.h"
#include "node/gateway/s3_xml.h"
#include "proto/wait_hook.h"

namespace ais::gateway {

std::string encodePartSizes(const std::vector<uint64_t>& sizes) {
  std::string out;
  for (size_t i = 0; i < sizes.size();) {
    size_t run = 1;
    while (i + run < sizes.size() && sizes[i + run] == sizes[i]) ++run;
    if (!out.empty()) out += ',';
    out += std::to_string(sizes[i]);
    if (run > 1) out += '*' + std::to_string(run);
    i += run;
  }
  return out;
}

std::vector<uint64_t> partSizesOf(const ObjectInfo& info) {
  auto it = info.custom.find(std::string(kMetaPartSizes));
  if (it == info.custom.end()) return {};
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  std::string_view s = it->second;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    uint64_t size = 0, run = 1;
    size_t star = item.find('*');
    std::string_view a = item.substr(0, star);
    auto r1 = std::from_chars(a.data(), a.data() + a.size(), size);
    if (r1.ec != std::errc() || r1.ptr != a.data() + a.size()) return {};
    if (star != std::string_view::npos) {
      std::string_view b = item.substr(star + 1);
      auto r2 = std::from_chars(b.data(), b.data() + b.size(), run);
      if (r2.ec != std::errc() || r2.ptr != b.data() + b.size() || run > 10000) return {};
    }
    if (sizes.size() + run > 10000) return {};
    sizes.insert(sizes.end(), run, size);
    total += size * run;
  }
  // (Parts that do not add up to the object describe another one: none then.)
  if (total != info.size) return {};
  return sizes;
}

namespace {

constexpr int kMaxParts = 10000;
constexpr uint64_t kMinPartSize = 5 << 20;
const std::string kHidden(kMultipartBucket);

std::string uploadRecord(const std::string& bucket, const std::string& id) {
  return bucket + "/u/" + id;
}
std::string partPrefix(const std::string& bucket, const std::string& id) {
  return bucket + "/p/" + id + "/";
}
std::string partName(const std::string& bucket, const std::string& id, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%05d", n);
  return partPrefix(bucket, id) + buf;
}

std::string newUploadId() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  return toHex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
}

bool validUploadId(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The upload's record, or nullopt after answering NoSuchUpload (or another error).
std::optional<ObjectInfo> findUpload(S3Request& r, Client* c, const std::string& id) {
  if (!validUploadId(id)) {
    r.fail(s3Error("NoSuchUpload"));
    return std::nullopt;
  }
  auto rec = c->head(kHidden, uploadRecord(r.bucket, id));
  if (!rec.ok()) {
    if (rec.code() == Code::kObjectNotFound || rec.code() == Code::kBucketNotFound) {
      r.fail(s3Error("NoSuchUpload"));
    } else {
      r.fail(rec.status());
    }
    return std::nullopt;
  }
  if (rec->custom["key"] != r.key) {
    r.fail(s3Error("NoSuchUpload", "the upload belongs to another key"));
    return std::nullopt;
  }
  return std::move(*rec);
}

// Every entry under prefix in the hidden bucket (all pages).
Result<std::vector<ObjectInfo>> listAll(Client* c, const std::string& prefix) {
  std::vector<ObjectInfo> out;
  ListOptions opts;
  opts.prefix = prefix;
  while (true) {
    auto page = c->list(kHidden, opts);
    if (!page.ok()) {
      if (page.code() == Code::kBucketNotFound) return out;
      return page.status();
    }
    for (auto& e : page->entries) out.push_back(std::move(e));
    if (page->continuationToken.empty()) return out;
    opts.continuationToken = page->continuationToken;
  }
}

void removeUpload(Client* c, const std::string& bucket, const std::string& id) {
  auto parts = listAll(c, partPrefix(bucket, id));
  if (parts.ok()) {
    for (const auto& p : *parts) (void)c->remove(kHidden, p.name);
  }
  (void)c->remove(kHidden, uploadRecord(bucket, id));
}

// An upload record's keys for the checksum the upload was created with (x-amz-checksum-algorithm,
// x-amz-checksum-type); never copied to the object.
constexpr std::string_view kRecAlgorithm = "checksum-algorithm";
constexpr std::string_view kRecChecksumType = "checksum-type";

struct UploadChecksum {
  std::string algorithm;  // "" if none
  std::string type;       // COMPOSITE or FULL_OBJECT
};

UploadChecksum checksumOf(const ObjectInfo& rec) {
  UploadChecksum u;
  if (auto it = rec.custom.find(std::string(kRecAlgorithm)); it != rec.custom.end()) {
    u.algorithm = it->second;
  }
  if (auto it = rec.custom.find(std::string(kRecChecksumType)); it != rec.custom.end()) {
    u.type = it->second;
  }
  return u;
}

// "crc32" → "ChecksumCRC32", the XML element S3 names it by.
std::string checksumElement(std::string_view alg) { return "Checksum" + asciiUpper(alg); }

// Every kept checksum of an object or part, as the XML elements S3 names them.
void checksumLeaves(XmlWriter& x, const ObjectInfo& info) {
  forEachChecksum(info, [&](std::string_view alg, const std::string& value) {
    x.leaf(checksumElement(alg), value);
  });
}

Result<int> partNumber(const S3Request& r) {
  try {
    std::string v = r.param("partNumber");
    size_t pos = 0;
    int n = std::stoi(v, &pos);
    if (pos == v.size() && n >= 1 && n <= kMaxParts) return n;
  } catch (...) {
  }
  return Status(Code::kInvalidArgument, "Part number must be an integer between 1 and 10000");
}

}  // namespace

void createMultipart(S3Request& r) {
  // (The router found the bucket.)
  Client* c = r.client();
  if (!c) return;
  Status st = c->createBucket(kHidden);
  if (!st.ok() && st.code() != Code::kBucketExists) return r.fail(st);
  std::string id = newUploadId();
  PutOptions opts;
  opts.custom = metadataFromHeaders(r.ex);
  if (!tagsFromHeader(r, opts.custom) || !accessFromHeaders(r, opts.custom)) return;
  // The checksum the parts carry and the object gets: COMPOSITE (a checksum of the parts'
  // checksums, "-N") or FULL_OBJECT (the CRC of the whole, combined from the parts' CRCs).
  std::string alg = asciiLower(r.ex.header("x-amz-checksum-algorithm"));
  std::string type = asciiUpper(r.ex.header("x-amz-checksum-type"));
  if (!alg.empty()) {
    if (!knownChecksum(alg)) {
      return r.fail(s3Error("InvalidRequest", "Checksum algorithm provided is unsupported"));
    }
    if (type.empty()) type = alg == "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE";
    bool crc = alg.starts_with("crc");
    if ((type != "COMPOSITE" && type != "FULL_OBJECT") || (type == "FULL_OBJECT" && !crc) ||
        (type == "COMPOSITE" && alg == "crc64nvme")) {
      return r.fail(s3Error(
          "InvalidRequest",
          "The " + type + " checksum type cannot be used with the " + alg + " checksum algorithm"));
    }
    opts.custom[std::string(kRecAlgorithm)] = alg;
    opts.custom[std::string(kRecChecksumType)] = type;
  } else if (!type.empty()) {
    return r.fail(s3Error("InvalidRequest", "x-amz-checksum-type needs x-amz-checksum-algorithm"));
  }
  opts.custom["key"] = r.key;
  opts.custom["initiated"] = std::to_string(unixNowNs());
  if (!r.auth.user.empty()) opts.custom["initiator"] = r.auth.user;
  auto rec = c->put(kHidden, uploadRecord(r.bucket, id), "", opts);
  if (!rec.ok()) return r.fail(rec.status());
  XmlWriter x;
  x.root("InitiateMultipartUploadResult");
  x.leaf("Bucket", r.bucket);
  x.leaf("Key", r.key);
  x.leaf("UploadId", id);
  x.close("InitiateMultipartUploadResult");
  if (!alg.empty()) {
    r.ex.responseHeaders().set("x-amz-checksum-algorithm", asciiUpper(alg));
    r.ex.responseHeaders().set("x-amz-checksum-type", type);
  }
  sendXml(r, x);
}

void uploadPart(S3Request& r) {
  auto n = partNumber(r);
  if (!n.ok()) return r.fail(s3Error("InvalidArgument", n.status().message()));
  Client* c = r.client();
  if (!c) return;
  std::string id = r.param("uploadId");
  auto rec = findUpload(r, c, id);
  if (!rec) return;
  const std::string alg = checksumOf(*rec).algorithm;
  std::string name = partName(r.bucket, id, *n);
  std::string_view copyHeader = r.ex.header("x-amz-copy-source");
  if (copyHeader.empty()) {
    // An upload created with a checksum takes parts with that checksum, and no other.
    for (std::string_view a : kChecksumAlgorithms) {
      std::string h = "x-amz-checksum-" + std::string(a);
      bool sent = !r.ex.header(h).empty() || asciiLower(r.ex.header("x-amz-trailer")) == h;
      if (sent && a != alg) {
        return r.fail(
            s3Error("InvalidRequest", h + " on a part of an upload created " +
                                          (alg.empty() ? "without a checksum" : "with " + alg)));
      }
      if (!sent && a == alg) {
        return r.fail(s3Error("InvalidRequest", "the upload was created with a " + alg +
                                                    " checksum: each part needs " + h));
      }
    }
    auto info = receiveObject(r, kHidden, name, {});
    if (!info) return;
    r.ex.responseHeaders().set(http::field::etag, etagOf(*info));
    echoChecksums(r, *info);
    (void)r.ex.respond(200);
    return;
  }
  // UploadPartCopy: the source range is read and stored as the part, hashing for its ETag.
  auto source = copySource(r, *c);
  if (!source) return;
  const ObjectInfo& srcInfo = source->info;
  uint64_t off = 0, len = srcInfo.size;
  std::string_view range = r.ex.header("x-amz-copy-source-range");
  if (!range.empty()) {
    unsigned long long a = 0, b = 0;
    char extra = 0;
    if (std::sscanf(std::string(range).c_str(), "bytes=%llu-%llu%c", &a, &b, &extra) != 2 ||
        b < a) {
      return r.fail(s3Error("InvalidArgument", "bad x-amz-copy-source-range"));
    }
    if (b >= srcInfo.size) {
      return r.fail(s3Error("InvalidRange", "x-amz-copy-source-range is past the source's end"));
    }
    off = a;
    len = b - a + 1;
  }
  auto handle = r.gw.beginPut(*c, kHidden, name, {});
  if (!handle.ok()) return r.fail(handle.status());
  // One stream of the version whose conditions were checked: an overwrite meanwhile fails the
  // copy (VersionChanged) rather than mixing two versions' bytes in the part.
  Hasher md5("md5");
  std::optional<Hasher> sum;  // the upload's checksum algorithm, of the copied range
  if (!alg.empty()) sum.emplace(alg);
  ByteRange pinned{off, len};
  pinned.ifChecksum = srcInfo.checksum;
  auto got = c->getStream(source->readBucket, source->readName, pinned, srcInfo.version,
                          [&](std::string_view chunk) {
                            md5.update(chunk);
                            if (sum) sum->update(chunk);
                            return (*handle)->write(chunk);
                          });
  if (!got.ok()) {
    (*handle)->abort();
    return r.fail(got.status());
  }
  std::string etag = toHex(md5.finish());
  std::map<std::string, std::string> meta{{std::string(kMetaEtag), etag}};
  if (sum) meta[std::string(kMetaChecksumPrefix) + alg] = base64Encode(sum->finish());
  auto tagged = (*handle)->commit(meta);
  if (!tagged.ok()) return r.fail(tagged.status());
  XmlWriter x;
  x.root("CopyPartResult");
  x.leaf("LastModified", isoDate(tagged->mtimeNs));
  x.leaf("ETag", etagOf(*tagged));
  checksumLeaves(x, *tagged);
  x.close("CopyPartResult");
  sendXml(r, x);
}

void completeMultipart(S3Request& r) {
  auto body = readSmallBody(r, 4 << 20);
  if (!body) return;
  auto parts = parseCompleteMultipart(*body);
  if (!parts.ok()) return r.fail(s3Error("MalformedXML"));
  Client* c = r.client();
  if (!c) return;
  std::string id = r.param("uploadId");
  auto sendResult = [&r](const ObjectInfo& out) {
    XmlWriter x;
    x.root("CompleteMultipartUploadResult");
    x.leaf("Location", "/" + r.bucket + "/" + r.key);
    x.leaf("Bucket", r.bucket);
    x.leaf("Key", r.key);
    x.leaf("ETag", etagOf(out));
    checksumLeaves(x, out);
    forEachChecksum(out, [&](std::string_view, const std::string& value) {
      x.leaf("ChecksumType", checksumType(value));
    });
    x.close("CompleteMultipartUploadResult");
    setWrittenVersionHeader(r, out);
    sendXml(r, x);
  };
  // A retry of a Complete that already succeeded: the same answer (its conditions held then).
  if (auto done = r.gw.head(*c, r.bucket, r.key); done.ok()) {
    auto it = done->custom.find(std::string(kMetaUploadId));
    if (it != done->custom.end() && it->second == id) return sendResult(*done);
  }
  auto rec = findUpload(r, c, id);
  if (!rec) return;
  PutOptions opts;
  if (!conditionalWrite(r, opts)) return;
  // Every listed part must exist with the ETag the client saw, in ascending order, and all but
  // the last must be at least 5 MiB.
  std::vector<ObjectInfo> infos;
  int prev = 0;
  std::string md5s;
  for (size_t i = 0; i < parts->size(); ++i) {
    const CompletePart& p = (*parts)[i];
    if (p.number <= prev) return r.fail(s3Error("InvalidPartOrder"));
    prev = p.number;
    auto info = c->head(kHidden, partName(r.bucket, id, p.number));
    if (!info.ok()) {
      if (info.code() == Code::kObjectNotFound) return r.fail(s3Error("InvalidPart"));
      return r.fail(info.status());
    }
    std::string etag = info->custom[std::string(kMetaEtag)];
    if (etag != p.etag)
      return r.fail(s3Error("InvalidPart", "ETag mismatch for part " + std::to_string(p.number)));
    for (const auto& [a, v] : p.checksums) {
      auto kept = info->custom.find(std::string(kMetaChecksumPrefix) + a);
      if (kept == info->custom.end() || kept->second != v) {
        return r.fail(s3Error(
            "InvalidPart", checksumElement(a) + " mismatch for part " + std::to_string(p.number)));
      }
    }
    if (i + 1 < parts->size() && info->size < kMinPartSize)
      return r.fail(s3Error("EntityTooSmall"));
    std::string raw;
    for (size_t k = 0; k + 1 < etag.size(); k += 2) {
      raw += static_cast<char>(std::stoi(etag.substr(k, 2), nullptr, 16));
    }
    md5s += raw;
    infos.push_back(std::move(*info));
  }
  Hasher h("md5");
  h.update(md5s);
  std::string etag = toHex(h.finish()) + "-" + std::to_string(parts->size());
  for (const auto& [k, v] : rec->custom) {
    if (k != "key" && k != "initiated" && k != kRecAlgorithm && k != kRecChecksumType) {
      opts.custom[k] = v;
    }
  }
  // The object's checksum from its parts' (each verified when the part came in).
  if (auto [alg, type] = checksumOf(*rec); !alg.empty()) {
    const std::string key = std::string(kMetaChecksumPrefix) + alg;
    std::optional<std::string> acc;  // FULL_OBJECT: the CRC so far (raw)
    Hasher composite(alg);
    for (size_t i = 0; i < infos.size(); ++i) {
      auto kept = infos[i].custom.find(key);
      std::string raw = kept == infos[i].custom.end() ? "" : base64Decode(kept->second);
      if (raw.empty()) {
        return r.fail(s3Error("InvalidPart", "part " + std::to_string((*parts)[i].number) +
                                                 " has no " + alg + " checksum"));
      }
      if (type == "COMPOSITE") {
        composite.update(raw);
      } else {
        acc = i == 0 ? std::optional<std::string>(raw) : combineCrc(alg, *acc, raw, infos[i].size);
        if (!acc) return r.fail(Status(Code::kInternal, "cannot combine " + alg));
      }
    }
    std::string value = type == "COMPOSITE"
                            ? base64Encode(composite.finish()) + "-" + std::to_string(infos.size())
                            : base64Encode(*acc);
    // A full-object checksum the client computed itself must be the one the parts make.
    std::string_view expected = r.ex.header("x-amz-checksum-" + alg);
    if (!expected.empty() && expected != value) {
      return r.fail(s3Error("BadDigest", "x-amz-checksum-" + alg + " does not match the parts'"));
    }
    opts.custom[key] = value;
  }
  opts.custom[std::string(kMetaEtag)] = etag;
  opts.custom[std::string(kMetaUploadId)] = id;
  std::vector<uint64_t> sizes;
  for (const auto& info : infos) sizes.push_back(info.size);
  opts.custom[std::string(kMetaPartSizes)] = encodePartSizes(sizes);
  std::vector<std::string> names;
  for (const auto& p : *parts) names.push_back(partName(r.bucket, id, p.number));
  auto out = c->assemble(r.bucket, r.key, kHidden, names, opts);
  // A part the owner target did not find though it was just there: a rebalance moving it while a
  // target restarts (the chaos drill saw it). Asked again while every part still answers; a part
  // that went (a concurrent Abort) is InvalidPart, one that stays out of reach 503.
  for (int again = 1; again <= 3 && out.code() == Code::kObjectNotFound; ++again) {
    for (const auto& name : names) {
      if (auto part = c->head(kHidden, name); part.code() == Code::kObjectNotFound) {
        return r.fail(s3Error("InvalidPart", out.status().message()));
      }
    }
    sleepOrSuspend(std::chrono::milliseconds(250 * again));
    out = c->assemble(r.bucket, r.key, kHidden, names, opts);
  }
  if (!out.ok()) {
    if (out.code() == Code::kObjectNotFound) {
      return r.fail(Status(Code::kUnavailable,
                           out.status().message() + " is listed but out of reach now: try again"));
    }
    return r.fail(out.status());
  }
  removeUpload(c, r.bucket, id);
  sendResult(*out);
}

void abortMultipart(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  std::string id = r.param("uploadId");
  if (!findUpload(r, c, id)) return;
  removeUpload(c, r.bucket, id);
  (void)r.ex.respond(204);
}

void listParts(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  std::string id = r.param("uploadId");
  auto rec = findUpload(r, c, id);
  if (!rec) return;
  auto parts = listAll(c, partPrefix(r.bucket, id));
  if (!parts.ok()) return r.fail(parts.status());
  int marker = 0, maxParts = 1000;
  try {
    marker = std::stoi(r.param("part-number-marker", "0"));
    maxParts = std::clamp(std::stoi(r.param("max-parts", "1000")), 0, 1000);
  } catch (...) {
    return r.fail(s3Error("InvalidArgument", "bad part-number-marker or max-parts"));
  }
  XmlWriter x;
  x.root("ListPartsResult");
  x.leaf("Bucket", r.bucket);
  x.leaf("Key", r.key);
  x.leaf("UploadId", id);
  x.leaf("PartNumberMarker", std::to_string(marker));
  x.leaf("MaxParts", std::to_string(maxParts));
  if (auto [alg, type] = checksumOf(*rec); !alg.empty()) {
    x.leaf("ChecksumAlgorithm", asciiUpper(alg));
    x.leaf("ChecksumType", type);
  }
  int count = 0, last = marker;
  bool truncated = false;
  std::string body;
  for (const auto& p : *parts) {
    int n = std::atoi(p.name.substr(p.name.rfind('/') + 1).c_str());
    if (n <= marker) continue;
    if (count == maxParts) {
      truncated = true;
      break;
    }
    ++count;
    last = n;
    XmlWriter px;
    px.open("Part");
    px.leaf("PartNumber", std::to_string(n));
    px.leaf("LastModified", isoDate(p.mtimeNs));
    px.leaf("ETag", etagOf(p));
    px.leaf("Size", std::to_string(p.size));
    checksumLeaves(px, p);
    px.close("Part");
    body += px.str().substr(px.str().find('>') + 2);  // drop the XML declaration
  }
  x.leaf("NextPartNumberMarker", std::to_string(last));
  x.leaf("IsTruncated", truncated ? "true" : "false");
  std::string doc = x.str() + body + "</ListPartsResult>";
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, doc);
}

void listMultipartUploads(S3Request& r) {
  // (The router found the bucket.)
  Client* c = r.client();
  if (!c) return;
  auto recs = listAll(c, r.bucket + "/u/");
  if (!recs.ok()) return r.fail(recs.status());
  std::string prefix = r.param("prefix");
  std::string bucketOwnerName(kS3Owner);
  if (auto props = findBucket(r, r.bucket)) bucketOwnerName = bucketOwner(*props);
  // S3's order: by key, then by when each upload began; each with who began it.
  struct Upload {
    std::string key, id, initiator;
    int64_t initiated = 0;
  };
  std::vector<Upload> uploads;
  for (auto& rec : *recs) {
    // A record's custom holds the key; listing should return it with the entry.
    ObjectInfo h = rec;
    if (!h.custom.count("key")) {
      auto full = c->head(kHidden, rec.name);
      if (!full.ok()) continue;
      h = std::move(*full);
    }
    const std::string& key = h.custom["key"];
    if (key.rfind(prefix, 0) != 0) continue;
    auto who = h.custom.find("initiator");
    uploads.push_back({key, rec.name.substr(rec.name.rfind('/') + 1),
                       who == h.custom.end() ? bucketOwnerName : who->second,
                       std::atoll(h.custom["initiated"].c_str())});
  }
  std::sort(uploads.begin(), uploads.end(), [](const Upload& a, const Upload& b) {
    return a.key != b.key ? a.key < b.key : a.initiated < b.initiated;
  });
  XmlWriter x;
  x.root("ListMultipartUploadsResult");
  x.leaf("Bucket", r.bucket);
  x.leaf("KeyMarker", "");
  x.leaf("UploadIdMarker", "");
  x.leaf("Prefix", prefix);
  x.leaf("MaxUploads", "1000");
  x.leaf("IsTruncated", "false");
  for (const Upload& u : uploads) {
    x.open("Upload");
    x.leaf("Key", u.key);
    x.leaf("UploadId", u.id);
    x.user("Initiator", u.initiator);
    x.user("Owner", u.initiator);
    x.leaf("Initiated", isoDate(u.initiated));
    x.leaf("StorageClass", "STANDARD");
    x.close("Upload");
  }
  x.close("ListMultipartUploadsResult");
  sendXml(r, x);
}

}  // namespace ais::gateway
