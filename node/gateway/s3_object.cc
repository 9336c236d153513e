// S3 object operations: PutObject (streamed, MD5 ETag computed on the way), GetObject/HeadObject
// (ranges, conditionals; the co-located owner serves with sendfile), DeleteObject, CopyObject,
// DeleteObjects.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

#include "common/ascii.h"
#include "common/log.h"
#include "node/gateway/forward_read.h"
#include "node/gateway/http_range.h"
#include "node/gateway/local_read.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_payload.h"
#include "node/gateway/s3_xml.h"
#include "node/target/object_attrs.h"

namespace ais::gateway {

namespace {

// Bodies up to this size are read whole and stored in one message together with their ETag;
// larger ones stream through a PutHandle.
constexpr uint64_t kInlinePutMax = 8 << 20;

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool etagMatches(std::string_view list, const std::string& etag) {
  // "*" or a comma-separated list of quoted tags.
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view item =
        list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.rfind("W/", 0) == 0) item.remove_prefix(2);
    if (item == "*" || unquote(item) == unquote(etag)) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

void setObjectHeaders(S3Request& r, const ObjectInfo& info) {
  auto& h = r.ex.responseHeaders();
  h.set(http::field::etag, etagOf(info));
  h.set(http::field::last_modified, httpDate(info.mtimeNs));
  h.set(http::field::accept_ranges, "bytes");
  bool typed = false;
  for (const auto& [k, v] : info.custom) {
    if (k.rfind("x-amz-meta-", 0) == 0) h.set(k, v);
    for (std::string_view kept : kKeptHeaders) {
      if (k == kept) {
        h.set(k, v);
        typed |= k == kMetaContentType;
      }
    }
  }
  if (!typed) h.set(http::field::content_type, "binary/octet-stream");
  // A GET (typically presigned) may override these headers of the response.
  static constexpr std::pair<const char*, const char*> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"},
  };
  for (const auto& [param, header] : kOverrides) {
    if (r.has(param)) h.set(header, r.param(param));
  }
}

// How an object meets If-Match, If-None-Match, If-Unmodified-Since and If-Modified-Since (or
// their x-amz-copy-source-if-* twins), as S3 has them: an If-Match makes If-Unmodified-Since
// moot, an If-None-Match makes If-Modified-Since moot. Empty: not asked.
struct ConditionsMet {
  bool failed = false;       // If-Match or If-Unmodified-Since does not hold (412)
  bool notModified = false;  // If-None-Match or If-Modified-Since does not hold (304 on a GET)
};
ConditionsMet evaluateConditions(const ObjectInfo& info, std::string_view im, std::string_view inm,
                                 std::string_view ius, std::string_view ims) {
  std::string etag = etagOf(info);
  std::time_t mtime = static_cast<std::time_t>(info.mtimeNs / 1000000000);
  ConditionsMet c;
  if (!im.empty()) {
    c.failed = !etagMatches(im, etag);
  } else if (!ius.empty()) {
    std::time_t t = parseHttpDate(ius);
    c.failed = t >= 0 && mtime > t;
  }
  if (!inm.empty()) {
    c.notModified = etagMatches(inm, etag);
  } else if (!ims.empty()) {
    std::time_t t = parseHttpDate(ims);
    c.notModified = t >= 0 && mtime <= t;
  }
  return c;
}

// Evaluates If-Match & co; returns true if it answered (304/412).
bool preconditionsAnswered(S3Request& r, const ObjectInfo& info) {
  auto c = evaluateConditions(
      info, r.ex.header(http::field::if_match), r.ex.header(http::field::if_none_match),
      r.ex.header(http::field::if_unmodified_since), r.ex.header(http::field::if_modified_since));
  if (c.failed) {
    r.fail(s3Error("PreconditionFailed"));
    return true;
  }
  if (c.notModified) {
    r.ex.responseHeaders().set(http::field::etag, etagOf(info));
    r.ex.responseHeaders().set(http::field::last_modified, httpDate(info.mtimeNs));
    (void)r.ex.respond(304);
    return true;
  }
  return false;
}

// A Content-Encoding list without aws-chunked, which is transport framing, not the object's
// encoding ("gzip, aws-chunked" is stored as "gzip"; "aws-chunked" alone as none).
std::string withoutAwsChunked(std::string_view encodings) {
  std::string out;
  while (!encodings.empty()) {
    size_t comma = encodings.find(',');
    std::string_view one = asciiTrim(encodings.substr(0, comma));
    encodings.remove_prefix(comma == std::string_view::npos ? encodings.size() : comma + 1);
    if (one.empty() || asciiLower(one) == "aws-chunked") continue;
    if (!out.empty()) out += ", ";
    out += one;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> metadataFromHeaders(const Exchange& ex) {
  std::map<std::string, std::string> m;
  for (const auto& f : ex.headers()) {
    std::string name = asciiLower(std::string_view(f.name_string().data(), f.name_string().size()));
    std::string value(toStd(f.value()));
    if (name.rfind("x-amz-meta-", 0) == 0) {
      m[name] = value;
      continue;
    }
    for (std::string_view kept : kKeptHeaders) {
      if (name != kept) continue;
      if (name == "content-encoding") value = withoutAwsChunked(value);
      if (!value.empty()) m[name] = value;
    }
  }
  return m;
}

void appendEtag(const ObjectInfo& info, std::string& out) {
  out += '"';
  const std::string* value = nullptr;
  if (!info.custom.empty()) {
    auto it = info.custom.find(std::string(kMetaEtag));
    if (it != info.custom.end()) value = &it->second;
  }
  // An md5 bucket's objects keep the MD5 of their content: the ETag S3 clients expect.
  if (!value && info.checksumType == "md5" && !info.checksumValue.empty()) {
    value = &info.checksumValue;
  }
  if (value) {
    out += *value;
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(info.checksum >> shift) & 0xf];
  }
  out += '"';
}

std::string etagOf(const ObjectInfo& info) {
  std::string etag;
  appendEtag(info, etag);
  return etag;
}

namespace {

// The verified x-amz-checksum-* into the object's metadata.
void keepChecksum(const PayloadReader& body, std::map<std::string, std::string>& custom) {
  if (auto sum = body.verifiedChecksum()) {
    custom[std::string(kMetaChecksumPrefix) + sum->first] = sum->second;
  }
}

}  // namespace

void setChecksumHeaders(S3Request& r, const ObjectInfo& info, bool wholeObject) {
  if (!wholeObject || asciiLower(r.ex.header("x-amz-checksum-mode")) != "enabled") return;
  forEachChecksum(info, [&](std::string_view alg, const std::string& value) {
    r.ex.responseHeaders().set("x-amz-checksum-" + std::string(alg), value);
    r.ex.responseHeaders().set("x-amz-checksum-type", checksumType(value));
  });
}

void echoChecksums(S3Request& r, const ObjectInfo& info) {
  forEachChecksum(info, [&](std::string_view alg, const std::string& value) {
    r.ex.responseHeaders().set("x-amz-checksum-" + std::string(alg), value);
  });
}

std::optional<ObjectInfo> receiveObject(S3Request& r, const std::string& bucket,
                                        const std::string& name, PutOptions opts) {
  PayloadReader body(r.ex, r.auth);
  if (body.error()) {
    r.fail(*body.error());
    return std::nullopt;
  }
  if (!r.ex.contentLength() && !r.ex.chunked()) {
    r.fail(s3Error("MissingContentLength"));
    return std::nullopt;
  }
  Client* c = r.client();
  if (!c) return std::nullopt;
  BodyBuffer buf;
  auto declared = body.declaredLength();
  if (declared && *declared <= kInlinePutMax) {
    std::string data;
    data.reserve(*declared);
    while (size_t n = body.read(buf.data(), buf.size())) data.append(buf.data(), n);
    if (!body.finish()) {
      r.fail(*body.error());
      return std::nullopt;
    }
    opts.custom[std::string(kMetaEtag)] = body.md5Hex();
    keepChecksum(body, opts.custom);
    auto info = r.gw.put(*c, bucket, name, data, opts);
    if (!info.ok()) {
      r.fail(info.status());
      return std::nullopt;
    }
    return std::move(*info);
  }
  auto handle = r.gw.beginPut(*c, bucket, name, opts);
  if (!handle.ok()) {
    r.fail(handle.status());
    return std::nullopt;
  }
  while (size_t n = body.read(buf.data(), buf.size())) {
    if (Status st = (*handle)->write(std::string_view(buf.data(), n)); !st.ok()) {
      (*handle)->abort();
      r.fail(st);
      return std::nullopt;
    }
  }
  if (!body.finish()) {
    (*handle)->abort();  // nothing partial becomes visible
    r.fail(*body.error());
    return std::nullopt;
  }
  // The MD5 is known only now: it is committed together with the bytes.
  opts.custom[std::string(kMetaEtag)] = body.md5Hex();
  keepChecksum(body, opts.custom);
  auto info = (*handle)->commit(opts.custom);
  if (!info.ok()) {
    r.fail(info.status());
    return std::nullopt;
  }
  return std::move(*info);
}

std::optional<uint64_t> versionIfMatch(S3Request& r, std::string_view ifMatch) {
  Client* c = r.client();
  if (!c) return std::nullopt;
  auto cur = r.gw.head(*c, r.bucket, r.key);
  if (!cur.ok()) {
    // No object: `*` (any object) fails as HTTP has it (412); a named ETag answers NoSuchKey, as
    // S3 does.
    if (cur.code() == Code::kObjectNotFound && ifMatch == "*") {
      r.fail(s3Error("PreconditionFailed", "If-Match: * and there is no object"));
    } else {
      r.fail(cur.status());
    }
    return std::nullopt;
  }
  if (!etagMatches(ifMatch, etagOf(*cur))) {
    r.fail(s3Error("PreconditionFailed", "If-Match: the object's ETag is " + etagOf(*cur)));
    return std::nullopt;
  }
  r.conditional = true;
  return cur->version;
}

bool conditionalWrite(S3Request& r, PutOptions& opts) {
  std::string_view im = r.ex.header(http::field::if_match);
  std::string_view inm = r.ex.header(http::field::if_none_match);
  if (!im.empty() && !inm.empty()) {
    r.fail(s3Error("InvalidRequest", "If-Match and If-None-Match together on a write"));
    return false;
  }
  if (!im.empty()) {
    auto v = versionIfMatch(r, im);
    if (!v) return false;
    opts.ifVersion = *v;
    return true;
  }
  if (inm.empty()) return true;
  if (inm == "*") {
    opts.ifAbsent = true;  // decided at the commit alone
    return true;
  }
  // ETags: stored unless the object has one of them, over the version seen here (or only if
  // there is still none), decided again at the commit.
  Client* c = r.client();
  if (!c) return false;
  auto cur = r.gw.head(*c, r.bucket, r.key);
  if (!cur.ok() && cur.code() != Code::kObjectNotFound) {
    r.fail(cur.status());
    return false;
  }
  if (cur.ok() && etagMatches(inm, etagOf(*cur))) {
    r.fail(s3Error("PreconditionFailed", "If-None-Match: the object's ETag is " + etagOf(*cur)));
    return false;
  }
  r.conditional = true;
  if (cur.ok()) {
    opts.ifVersion = cur->version;
  } else {
    opts.ifAbsent = true;
  }
  return true;
}

void putObject(S3Request& r) {
  PutOptions opts;
  if (!conditionalWrite(r, opts)) return;
  opts.custom = metadataFromHeaders(r.ex);
  if (!tagsFromHeader(r, opts.custom) || !accessFromHeaders(r, opts.custom)) return;
  auto info = receiveObject(r, r.bucket, r.key, std::move(opts));
  if (!info) return;
  r.ex.responseHeaders().set(http::field::etag, etagOf(*info));
  setWrittenVersionHeader(r, *info);
  echoChecksums(r, *info);
  (void)r.ex.respond(200);
}

namespace {

// GET or HEAD of bucket/key (the object, or a version kept in the versions bucket); bucket's
// ACLs decide. wantVid (non-null): the version asked for by id, found there a moment ago: if the
// object is another version by now, that one was kept meanwhile and is served from there.
// attempt: a ranged read from another owner whose object was overwritten between its HEAD and
// its first bytes is served again (kReadsOfChangedObject times, then from one call that returns
// the bytes with their version's info), not failed.
void serveObject(S3Request& r, const std::string& bucket, const std::string& key,
                 const std::string* wantVid, int attempt = 0) {
  Client* c = r.client();
  if (!c) return;
  // The co-located owner serves from its own disk: one open gives the LOM and the bytes.
  std::optional<LocalObject> local;
  ObjectInfo info;
  // (HEAD reads metadata only, the same through every gateway.)
  if (!r.ex.headOnly() && r.gw.readsOwnCopy(bucket, key)) {
    // A whole small object is opened and verified in one hop to its I/O worker.
    bool whole = r.ex.header(http::field::range).empty() && !r.has("partNumber");
    auto rd = openLocal(r.gw, r.ex, bucket, key, whole ? kVerifyBeforeStatus : 0);
    if (rd.ok()) {
      local = std::move(*rd);
      info = node::infoFromLom(local->reader->lom());
    } else if (rd.code() == Code::kObjectCorrupted && !c->ecEnabled(bucket)) {
      countFailedGet(r.gw, bucket, rd.status());
      return r.fail(rd.status());
    }  // (with EC, the owner's fabric GET below restores it)
  }
  // Another owner: a plain GET fetches its first chunk together with the info (one round trip);
  // HEAD and ranged GETs ask for the info alone.
  std::string first;
  if (!local) {
    bool prefetch =
        !r.ex.headOnly() && r.ex.header(http::field::range).empty() && !r.has("partNumber");
    Result<ObjectInfo> h = Status(Code::kRangeNotSatisfiable);
    if (prefetch) h = c->getRange(bucket, key, ByteRange{0, kForwardFirstPiece}, &first);
    // (An empty object has no byte 0.)
    if (h.code() == Code::kRangeNotSatisfiable) h = r.gw.head(*c, bucket, key);
    if (!h.ok()) {
      if (h.code() == Code::kObjectNotFound && !wantVid && bucket == r.bucket) {
        setDeleteMarkerHeaders(r, *c, key);
      }
      return failObjectLookup(r, r.bucket, h.status());
    }
    info = std::move(*h);
  }
  if (wantVid && versionIdOf(info) != *wantVid) {
    return serveObject(r, meta::versionsBucket(bucket), meta::versionName(key, *wantVid), nullptr);
  }
  // On the info of the very version served (its ACL and writer).
  if (!objectReadAllowed(r, r.bucket, info)) return;
  if (preconditionsAnswered(r, info)) return;
  std::optional<Span> span;
  if (r.has("partNumber")) {
    // One part of a multipart upload's object (a plain object is its one part 1).
    int n = 0;
    std::string v = r.param("partNumber");
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 10000) {
      return r.fail(s3Error("InvalidArgument",
                            "Part number must be an integer between 1 and 10000, inclusive"));
    }
    std::vector<uint64_t> sizes = partSizesOf(info);
    if (!sizes.empty()) {
      r.ex.responseHeaders().set("x-amz-mp-parts-count", std::to_string(sizes.size()));
    } else {
      sizes.push_back(info.size);
    }
    if (static_cast<size_t>(n) > sizes.size()) {
      return r.fail(s3Error("InvalidPartNumber", "The requested partnumber is not satisfiable"));
    }
    uint64_t offset = 0;
    for (int i = 0; i + 1 < n; ++i) offset += sizes[i];
    span = Span{offset, sizes[n - 1], sizes[n - 1] > 0};
  } else {
    span = parseRange(r.ex.header(http::field::range), info.size);
  }
  if (!span) {
    r.ex.responseHeaders().set(http::field::content_range, "bytes */" + std::to_string(info.size));
    return r.fail(s3Error("InvalidRange"));
  }
  bool verified = false;
  if (local && !r.ex.headOnly()) {
    if (Status st = verifyBeforeStatus(r.gw, r.ex, *local, span->offset, span->length); !st.ok()) {
      if (st.code() != Code::kObjectCorrupted || !c->ecEnabled(bucket)) {
        countFailedGet(r.gw, bucket, st);
        return r.fail(st);
      }
      local.reset();  // with EC, the owner's fabric GET below restores it
    }
    verified = span->length <= kVerifyBeforeStatus;
  }
  if (!local && !r.ex.headOnly() && span->length > 0 && (first.empty() || span->offset != 0)) {
    // A ranged GET from another owner: its first piece arrives verified before the status line.
    auto got =
        fetchFirstPiece(*c, bucket, key, span->offset, span->length, {info.version, info.checksum});
    if (!got.ok() && got.code() == Code::kVersionChanged && !wantVid && !r.has("partNumber")) {
      if (attempt < kReadsOfChangedObject) {
        return serveObject(r, bucket, key, wantVid, attempt + 1);
      }
      // Overwritten again every time: the bytes with the info of the version they are of, in
      // one call, served if that version's span is the same bytes (and it may be read).
      uint64_t n = std::min<uint64_t>(kForwardFirstPiece, span->length);
      std::string bytes;
      auto newer = c->getRange(bucket, key, ByteRange{span->offset, n}, &bytes);
      if (newer.ok() && bytes.size() == n) {
        auto again = parseRange(r.ex.header(http::field::range), newer->size);
        if (again && again->offset == span->offset && again->length == span->length) {
          if (!objectReadAllowed(r, r.bucket, *newer)) return;
          if (preconditionsAnswered(r, *newer)) return;
          info = std::move(*newer);
          got = std::move(bytes);
        }
      }
    }
    if (!got.ok()) return r.fail(got.status());
    first = std::move(*got);
  }
  setObjectHeaders(r, info);
  setVersionHeader(r, r.bucket, info);
  setTaggingCount(r, info);
  setChecksumHeaders(r, info, !span->partial);
  unsigned status = 200;
  if (span->partial) {
    status = 206;
    r.ex.responseHeaders().set(http::field::content_range,
                               "bytes " + std::to_string(span->offset) + "-" +
                                   std::to_string(span->offset + span->length - 1) + "/" +
                                   std::to_string(info.size));
  }
  if (Status st = r.ex.beginResponse(status, span->length); !st.ok() || r.ex.headOnly()) return;
  if (local) return sendVerified(r.gw, r.ex, *local, span->offset, span->length, verified);
  sendForwarded(r.ex, *c, bucket, key, span->offset, span->length, {info.version, info.checksum},
                first);
}

}  // namespace

void getObject(S3Request& r) {
  if (!r.has("versionId")) return serveObject(r, r.bucket, r.key, nullptr);
  Client* c = r.client();
  if (!c) return;
  std::string vid = r.param("versionId");
  auto v = findVersion(r, *c, r.bucket, r.key, vid);
  if (!v) return;
  if (isDeleteMarker(v->info)) {
    auto& h = r.ex.responseHeaders();
    h.set("x-amz-delete-marker", "true");
    h.set("x-amz-version-id", vid);
    h.set(http::field::last_modified, httpDate(v->info.mtimeNs));
    return r.fail(
        s3Error("MethodNotAllowed", "The specified method is not allowed against this resource."));
  }
  serveObject(r, v->bucket, v->name, v->bucket == r.bucket ? &vid : nullptr);
}

void deleteObject(S3Request& r) {
  uint64_t ifVersion = 0;
  std::string vid = r.param("versionId");
  if (!vid.empty() && !versioningEverEnabled(r, r.bucket)) {
    if (vid != meta::kNullVersionId) {
      return r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
    }
    vid.clear();  // (never versioned: "null" is the object)
  }
  Client* c = r.client();
  if (!c) return;
  if (std::string_view im = r.ex.header(http::field::if_match); !im.empty()) {
    if (!vid.empty()) {
      // One version's bytes never change: its ETag holds until it is deleted.
      auto v = findVersion(r, *c, r.bucket, r.key, vid);
      if (!v) return;
      if (isDeleteMarker(v->info) || !etagMatches(im, etagOf(v->info))) {
        return r.fail(
            s3Error("PreconditionFailed", "If-Match: version " + vid + " has another ETag"));
      }
    } else {
      auto v = versionIfMatch(r, im);
      if (!v) return;
      ifVersion = *v;
    }
  }
  auto removed = r.gw.removeObject(*c, r.bucket, r.key, ifVersion, vid);
  if (ifVersion && removed.code() == Code::kObjectNotFound) {
    return r.fail(removed.status());  // gone meanwhile
  }
  // S3 deletes are idempotent: a missing key or version is success (a missing bucket is not).
  if (!removed.ok() && removed.code() != Code::kObjectNotFound) return r.fail(removed.status());
  auto& h = r.ex.responseHeaders();
  if (removed.ok() && removed->deleteMarker) h.set("x-amz-delete-marker", "true");
  if (!vid.empty()) {
    h.set("x-amz-version-id", vid);
  } else if (removed.ok() && !removed->versionId.empty()) {
    h.set("x-amz-version-id", removed->versionId);
  }
  (void)r.ex.respond(204);
}

std::optional<CopySource> copySource(S3Request& r, Client& c) {
  // "bucket/key[?versionId=...]", URL-encoded: the query split off before decoding (a key may
  // hold an encoded '?').
  std::string_view raw = r.ex.header("x-amz-copy-source");
  std::string_view query;
  if (size_t q = raw.find('?'); q != std::string_view::npos) {
    query = raw.substr(q + 1);
    raw = raw.substr(0, q);
  }
  auto path = urlDecode(raw, false);
  if (!path) {
    r.fail(s3Error("InvalidArgument", "bad x-amz-copy-source"));
    return std::nullopt;
  }
  std::optional<std::string> versionId;
  if (!query.empty()) {
    auto params = parseQuery(query);
    versionId = params ? queryGet(*params, "versionId") : std::nullopt;
    if (!versionId || !meta::validVersionId(*versionId)) {
      r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
      return std::nullopt;
    }
  }
  std::string s = *path;
  if (!s.empty() && s.front() == '/') s.erase(0, 1);
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) {
    r.fail(s3Error("InvalidArgument", "x-amz-copy-source must be bucket/key"));
    return std::nullopt;
  }
  CopySource src{s.substr(0, slash), s.substr(slash + 1), {}, {}, {}};
  if (src.bucket == kMultipartBucket) {
    r.fail(s3Error("AccessDenied"));
    return std::nullopt;
  }
  if (!findBucket(r, src.bucket)) {
    r.fail(Status(Code::kBucketNotFound, src.bucket));
    return std::nullopt;
  }
  src.readBucket = src.bucket;
  src.readName = src.key;
  if (versionId) {
    auto v = findVersion(r, c, src.bucket, src.key, *versionId);
    if (!v) return std::nullopt;
    if (isDeleteMarker(v->info)) {
      r.fail(s3Error("InvalidRequest", "The source of a copy may not be a delete marker"));
      return std::nullopt;
    }
    src.readBucket = v->bucket;
    src.readName = v->name;
    src.info = std::move(v->info);
  } else {
    auto info = r.gw.head(c, src.bucket, src.key);
    if (!info.ok()) {
      failObjectLookup(r, src.bucket, info.status());
      return std::nullopt;
    }
    src.info = std::move(*info);
  }
  if (!objectReadAllowed(r, src.bucket, src.info)) return std::nullopt;
  // A copy has no 304: any condition that does not hold fails it.
  auto met = evaluateConditions(src.info, r.ex.header("x-amz-copy-source-if-match"),
                                r.ex.header("x-amz-copy-source-if-none-match"),
                                r.ex.header("x-amz-copy-source-if-unmodified-since"),
                                r.ex.header("x-amz-copy-source-if-modified-since"));
  if (met.failed || met.notModified) {
    r.fail(s3Error("PreconditionFailed", "a condition on x-amz-copy-source does not hold"));
    return std::nullopt;
  }
  return src;
}

void copyObject(S3Request& r) {
  // If-Match / If-None-Match name the destination, decided atomically with the copy's commit.
  PutOptions dst;
  if (!conditionalWrite(r, dst)) return;
  r.conditional = dst.ifAbsent || dst.ifVersion;
  bool replace = r.ex.header("x-amz-metadata-directive") == "REPLACE";
  Client* c = r.client();
  if (!c) return;
  auto source = copySource(r, *c);
  if (!source) return;
  const std::string& srcBucket = source->bucket;
  const std::string& srcKey = source->key;
  const ObjectInfo* srcInfo = &source->info;
  std::optional<std::map<std::string, std::string>> custom;
  if (replace) {
    custom = metadataFromHeaders(r.ex);
    // The bytes are the source's: so are their ETag and checksums.
    for (const auto& [k, v] : srcInfo->custom) {
      if (k == kMetaEtag || k.starts_with(kMetaChecksumPrefix)) (*custom)[k] = v;
    }
  }
  // Tags follow their own directive: the source's (COPY, the default) or the request's
  // x-amz-tagging (REPLACE), whatever happens to the rest of the metadata.
  std::string_view tagging = r.ex.header("x-amz-tagging-directive");
  if (!tagging.empty() && tagging != "COPY" && tagging != "REPLACE") {
    return r.fail(s3Error("InvalidArgument", "x-amz-tagging-directive must be COPY or REPLACE"));
  }
  bool replaceTags = tagging == "REPLACE";
  // A copy's ACL and writer are the request's, never the source's.
  if (!custom) custom = srcInfo->custom;
  if (!accessFromHeaders(r, *custom)) return;
  {
    // A website redirect location is each object's own: the request's, never the source's (S3).
    const std::string redirect(kMetaWebsiteRedirect);
    custom->erase(redirect);
    if (auto to = r.ex.header(redirect); !to.empty()) (*custom)[redirect] = std::string(to);
  }
  {
    const std::string tagsKey(kMetaTags);
    custom->erase(tagsKey);
    if (replaceTags) {
      if (!tagsFromHeader(r, *custom)) return;
    } else if (auto it = srcInfo->custom.find(tagsKey); it != srcInfo->custom.end()) {
      (*custom)[tagsKey] = it->second;
    }
  }
  Result<ObjectInfo> out = Status(Code::kInternal);
  // The current object onto itself (an older version onto its key restores it: a copy).
  bool ontoItself = srcBucket == r.bucket && srcKey == r.key && source->readBucket == r.bucket;
  if (ontoItself && !replace && !replaceTags) {
    return r.fail(s3Error("InvalidRequest",
                          "This copy request is illegal because it is trying to copy an object "
                          "to itself without changing the object's metadata"));
  }
  if (ontoItself && !r.conditional && !versioningEverEnabled(r, r.bucket)) {
    // Only the metadata changes. (A conditional one is a copy, decided at its commit like any;
    // in a versioned bucket it is a new version.)
    out = c->setCustom(r.bucket, r.key, *custom, false);
  } else {
    out = c->copy(source->readBucket, source->readName, r.bucket, r.key, custom, dst.ifAbsent,
                  dst.ifVersion);
  }
  if (!out.ok()) return r.fail(out.status());
  if (versioningEverEnabled(r, srcBucket)) {
    r.ex.responseHeaders().set("x-amz-copy-source-version-id", versionIdOf(*srcInfo));
  }
  setWrittenVersionHeader(r, *out);
  XmlWriter x;
  x.root("CopyObjectResult");
  x.leaf("LastModified", isoDate(out->mtimeNs));
  x.leaf("ETag", etagOf(*out));
  x.close("CopyObjectResult");
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, x.str());
}

void deleteObjects(S3Request& r) {
  auto body = readSmallBody(r, 2 << 20);
  if (!body) return;
  auto req = parseDeleteObjects(*body);
  if (!req.ok()) return r.fail(s3Error("MalformedXML"));
  Client* c = r.client();
  if (!c) return;
  XmlWriter x;
  x.root("DeleteResult");
  const bool versioned = versioningEverEnabled(r, r.bucket);
  for (const auto& [key, etag, versionId] : req->keys) {
    std::optional<S3Error> err;              // this key's error, if any
    std::optional<Client::Removal> removal;  // in a versioned bucket: what went
    if (!versionId.empty() &&
        (!meta::validVersionId(versionId) || (!versioned && versionId != "null"))) {
      err = s3Error("InvalidArgument", "Invalid version id specified");
    } else if (versioned) {
      uint64_t ifVersion = 0;  // an <ETag> without <VersionId>: the current object's
      if (!etag.empty()) {
        // The current object, or the version named wherever it is (its ETag never changes).
        Result<ObjectInfo> cur = Status(Code::kInternal);
        if (versionId.empty()) {
          cur = r.gw.head(*c, r.bucket, key);
        } else if (auto v = lookupVersion(r, *c, r.bucket, key, versionId); v.ok()) {
          cur = std::move(v->info);
        } else {
          cur = v.status();
        }
        if (!cur.ok()) {
          err = s3Error(cur.status());
        } else if (isDeleteMarker(*cur) || !etagMatches(etag, etagOf(*cur))) {
          err = s3Error("PreconditionFailed", "the object's ETag is " + etagOf(*cur));
        } else if (versionId.empty()) {
          ifVersion = cur->version;
        }
      }
      if (!err) {
        auto rm = r.gw.removeObject(*c, r.bucket, key, ifVersion, versionId);
        if (rm.ok()) {
          removal = std::move(*rm);
        } else if (rm.code() == Code::kBucketNotFound) {
          return r.fail(rm.status());
        } else if (rm.code() == Code::kVersionChanged) {
          err = s3Error("ConditionalRequestConflict", rm.status().message());
        } else if (rm.code() == Code::kObjectNotFound && !ifVersion) {
          removal = Client::Removal{versionId, false};  // idempotent
        } else {
          err = s3Error(rm.status());
        }
      }
    } else if (!etag.empty()) {
      // Conditional: only the version that has this ETag, atomically.
      auto cur = r.gw.head(*c, r.bucket, key);
      if (!cur.ok()) {
        if (cur.code() == Code::kBucketNotFound) return r.fail(cur.status());
        err = s3Error(cur.status());  // NoSuchKey: nothing to match
      } else if (!etagMatches(etag, etagOf(*cur))) {
        err = s3Error("PreconditionFailed", "the object's ETag is " + etagOf(*cur));
      } else if (Status st = r.gw.remove(*c, r.bucket, key, cur->version); !st.ok()) {
        bool changed = st.code() == Code::kVersionChanged || st.code() == Code::kObjectNotFound;
        err = changed ? s3Error("ConditionalRequestConflict", st.message()) : s3Error(st);
      }
    } else if (Status st = r.gw.remove(*c, r.bucket, key);
               !st.ok() && st.code() != Code::kObjectNotFound) {
      if (st.code() == Code::kBucketNotFound) return r.fail(st);
      err = s3Error(st);
    }
    if (!err) {
      if (req->quiet) continue;
      x.open("Deleted");
      x.leaf("Key", key);
      if (!versionId.empty()) x.leaf("VersionId", versionId);
      if (removal && removal->deleteMarker) {
        x.leaf("DeleteMarker", "true");
        if (versionId.empty()) x.leaf("DeleteMarkerVersionId", removal->versionId);
      }
      x.close("Deleted");
    } else {
      x.open("Error");
      x.leaf("Key", key);
      x.leaf("Code", err->code);
      x.leaf("Message", err->message);
      x.close("Error");
    }
  }
  x.close("DeleteResult");
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, x.str());
}

}  // namespace ais::gateway
