// The native REST API (AIS-style, JSON): /v1/objects/B/NAME, /v1/buckets[/B], /v1/cluster,
// /v1/daemon, /v1/health. Documented in docs/api.md. Errors: {"code": "...", "message": "..."}
// with the same HTTP statuses the S3 side uses.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "meta/names.h"
#include "node/archive/get_batch.h"
#include "node/gateway/ais_actions.h"
#include "node/gateway/ais_cluster.h"
#include "node/gateway/forward_read.h"
#include "node/gateway/gateway.h"
#include "node/gateway/http_dates.h"
#include "node/gateway/http_range.h"
#include "node/gateway/local_read.h"
#include "node/gateway/native_reply.h"
#include "node/gateway/owner_relay.h"
#include "node/gateway/s3_auth_sigv4.h"
#include "node/gateway/s3_errors.h"
#include "node/gateway/s3_payload.h"
#include "node/gateway/url.h"

namespace ais::gateway {

namespace {

// The object's attributes under AIStore's header names: the checksum as its bucket keeps it
// (checksum.type), version, access time (ns), custom metadata ("k=v,k2=v2") and where it lives.
void setObjectHeaders(Exchange& ex, const ObjectInfo& info) {
  auto& h = ex.responseHeaders();
  h.set("ais-version", std::to_string(info.version));
  h.set("ais-checksum-type", info.checksumType);
  if (!info.checksumValue.empty()) h.set("ais-checksum-value", info.checksumValue);
  if (info.atimeNs > 0) h.set("ais-atime", std::to_string(info.atimeNs));
  h.set("ais-present", "true");
  if (!info.targetId.empty()) h.set("ais-location", "t[" + info.targetId + "]");
  std::string custom;
  for (const auto& [k, v] : info.custom) custom += (custom.empty() ? "" : ",") + k + "=" + v;
  if (!custom.empty()) h.set("ais-custom-md", custom);
  if (info.mtimeNs > 0) h.set(http::field::last_modified, httpDate(info.mtimeNs));
}

using nlohmann::json;

json objectJson(const ObjectInfo& o) {
  return json{{"name", o.name},         {"size", o.size},
              {"checksum", o.checksum}, {"checksum_type", o.checksumType},
              {"version", o.version},   {"atime_ns", o.atimeNs},
              {"mtime_ns", o.mtimeNs},  {"custom", o.custom},
              {"target", o.targetId}};
}

// A JSON string (escaped; bytes that are not UTF-8 replaced). Plain printable ASCII, most names,
// goes as it is.
void appendJsonString(std::string& out, const std::string& s) {
  bool plain = true;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (!plain) {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

// The listing reply, written entry by entry: the same fields as objectJson, without building a
// document of a thousand objects first (the cost that bounded /v1 listings); numbers formatted
// in place.
std::string listJson(const ListPage& page) {
  std::string out = "{\"entries\":[";
  out.reserve(page.entries.size() * 240 + 128);
  auto field = [&out](std::string_view key, auto v) {
    out += key;
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
  };
  for (size_t i = 0; i < page.entries.size(); ++i) {
    const ObjectInfo& o = page.entries[i];
    if (i) out += ',';
    out += std::string_view("{\"name\":");
    appendJsonString(out, o.name);
    field(",\"size\":", o.size);
    field(",\"checksum\":", o.checksum);
    out += std::string_view(",\"checksum_type\":");
    appendJsonString(out, o.checksumType);
    field(",\"version\":", o.version);
    field(",\"atime_ns\":", o.atimeNs);
    field(",\"mtime_ns\":", o.mtimeNs);
    out += std::string_view(",\"custom\":");
    out += o.custom.empty() ? "{}"
                            : json(o.custom).dump(-1, ' ', false, json::error_handler_t::replace);
    out += std::string_view(",\"target\":");
    appendJsonString(out, o.targetId);
    out += '}';
  }
  out += "],\"prefixes\":";
  out += json(page.commonPrefixes).dump(-1, ' ', false, json::error_handler_t::replace);
  out += ",\"continuation_token\":";
  appendJsonString(out, page.continuationToken);
  json missing = json::array();
  for (const auto& [id, why] : page.missingTargets) {
    missing.push_back(json{{"target", id}, {"error", why.toString()}});
  }
  out += ",\"missing_targets\":" + missing.dump() + "}\n";
  return out;
}

json propsJson(const meta::BucketProps& p) {
  return json{{"checksum_type", p.checksumType},
              {"versioning", p.versioning},
              {"fsync", p.fsync},
              {"mirror_copies", p.mirrorCopies},
              {"ec",
               {{"enabled", p.ec.enabled},
                {"data_slices", p.ec.dataSlices},
                {"parity_slices", p.ec.paritySlices},
                {"objsize_limit", p.ec.objSizeLimit}}},
              {"created_ns", p.createdNs},
              {"s3",
               {{"owner", p.owner},
                {"acl", p.acl.empty() ? "private" : p.acl},
                {"versioning", p.objectVersioning.empty() ? "off" : p.objectVersioning}}}};
}

json nodeJson(const meta::NodeInfo& n) {
  return json{{"id", n.id},
              {"role", n.isTarget() ? "target" : "proxy"},
              {"rpc", n.rpcEndpoint},
              {"http", n.httpEndpoint},
              {"down", n.down()},
              {"maintenance", n.inMaintenance()},
              {"decommissioning", n.decommissioning()}};
}

// GET (or POST) /v1/ml/moss[/BUCKET] with AIStore's GetBatch request (MossReq JSON; BUCKET is
// the default for items that name none): the items as one TAR, in order. Every item's size is
// known before the status line, so a missing one is a 404 (without "coer"), never a cut TAR; an
// item that changes while the TAR streams cuts it short (the connection closes).
void getBatch(Exchange& ex, Client& c, const std::string& bucket, const S3Auth& auth) {
  auto text = readMessage(ex, auth, 16 << 20, "GetBatch request");
  if (!text) return;
  auto req = archive::parseBatchRequest(*text, bucket);
  if (!req.ok()) return sendError(ex, req.status());
  for (const auto& it : req->items) {
    if (Status st = meta::validateBucketName(it.bucket); !st.ok()) return sendError(ex, st);
    if (Status st = meta::refuseReservedBucket(it.bucket); !st.ok()) return sendError(ex, st);
  }
  if (!req->streaming) {
    return sendError(ex, Status(Code::kNotImplemented,
                                "GetBatch in buffered mode (\"strm\": false, a multipart reply) "
                                "is not served: ask with \"strm\": true for the TAR stream"));
  }
  auto batch = archive::GetBatch::plan(c, std::move(req->items), req->options);
  if (!batch.ok()) return sendError(ex, batch.status());
  ex.responseHeaders().set(http::field::content_type, "application/x-tar");
  if (!ex.beginResponse(200, batch->tarSize()).ok()) return;
  Status st = batch->stream(c, [&ex](std::string_view b) { return ex.write(b); });
  if (!st.ok()) {
    log::warn("GetBatch failed mid-stream: {}", st.toString());
    ex.closeAfter();  // the client sees a short TAR, never wrong bytes
  }
}

// PUT /v1/objects/B/NAME. The body goes through the S3 payload reader, so everything the client
// asserted about it is checked before the object is committed: a signed x-amz-content-sha256,
// Content-MD5, x-amz-checksum-*, and AIStore's ais-checksum-type/ais-checksum-value (xxhash,
// md5, crc32c, sha256). A mismatch stores nothing (400 BadDigest).
void putObject(Gateway& gw, Exchange& ex, Client& c, const std::string& bucket,
               const std::string& name, const S3Auth& auth) {
  auto badDigest = [&](const std::string& why) {
    return sendJson(ex, 400, json{{"code", "BadDigest"}, {"message", why}});
  };
  PayloadReader body(ex, auth);
  if (const auto& e = body.error()) {
    return sendJson(ex, e->http, json{{"code", e->code}, {"message", e->message}});
  }
  std::string aisType(ex.header("ais-checksum-type")), aisValue(ex.header("ais-checksum-value"));
  for (auto& ch : aisValue) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (aisType == "xxhash") aisType = "xxhash64";
  std::unique_ptr<Hasher> aisHash;  // set when the client asserts a checksum
  if (!aisType.empty() && aisType != "none") {
    if (aisValue.empty()) return badDigest("ais-checksum-type without ais-checksum-value");
    aisHash = std::make_unique<Hasher>(aisType);
    if (!aisHash->valid()) return badDigest("unknown ais-checksum-type " + aisType);
  }
  auto h = gw.beginPut(c, bucket, name, {});
  if (!h.ok()) return sendError(ex, h.status());
  BodyBuffer buf;
  while (size_t n = body.read(buf.data(), buf.size())) {
    if (aisHash) aisHash->update(std::string_view(buf.data(), n));
    if (Status st = (*h)->write(std::string_view(buf.data(), n)); !st.ok()) {
      (*h)->abort();
      return sendError(ex, st);
    }
  }
  if (!body.finish()) {
    (*h)->abort();  // nothing partial becomes visible
    const auto& e = *body.error();
    return sendJson(ex, e.http, json{{"code", e.code}, {"message", e.message}});
  }
  if (aisHash) {
    std::string got = toHex(aisHash->finish());
    if (got != aisValue) {
      (*h)->abort();
      return badDigest(aisType + " of the body is " + got + ", not " + aisValue);
    }
  }
  auto info = (*h)->commit();
  if (!info.ok()) return sendError(ex, info.status());
  return sendJson(ex, 200, objectJson(*info));
}

// The bytes a GET asked for (Range: bytes=a-b of `size`): 206 with Content-Range, or 200.
struct ByteSpan {
  uint64_t off = 0, len = 0;
  unsigned status = 200;
};
Result<ByteSpan> rangeOf(Exchange& ex, uint64_t size) {
  std::string_view range = ex.header(http::field::range);
  auto span = parseRange(range, size);
  if (!span) return Status(Code::kRangeNotSatisfiable, std::string(range));
  ByteSpan out{span->offset, span->length, 200};
  if (!span->partial) return out;
  out.status = 206;
  ex.responseHeaders().set(http::field::content_range, "bytes " + std::to_string(out.off) + "-" +
                                                           std::to_string(out.off + out.len - 1) +
                                                           "/" + std::to_string(size));
  return out;
}

// Sends [base + span.off, +span.len) of the object at info->version (base: a member's offset in
// its shard, which then sends no checksum headers): from this node's own copy when it has it, else
// forwarded from the owner; every byte verified before it leaves. False, with nothing sent, if
// `orChanged` and the object is another version by now (overwritten since its HEAD, or a
// catching-up owner's newer copy found meanwhile): the caller asks again.
bool sendBytes(Gateway& gw, Exchange& ex, Client* c, const std::string& bucket,
               const std::string& name, const ObjectInfo& objectInfo, const ByteSpan& span,
               uint64_t base = 0, bool orChanged = false) {
  const ObjectInfo* info = &objectInfo;
  uint64_t off = base + span.off, len = span.len;
  unsigned status = span.status;
  std::optional<LocalObject> local;
  bool verified = false;
  ObjectInfo opened;
  if (gw.readsOwnCopy(bucket, name)) {
    auto rd = openLocal(gw, ex, bucket, name);
    // With EC, a damaged copy is restored by the owner's fabric GET below.
    bool ec = c->ecEnabled(bucket);
    if (!rd.ok() && rd.code() == Code::kObjectCorrupted && !ec) {
      countFailedGet(gw, bucket, rd.status());
      sendError(ex, rd.status());
      return true;
    }
    if (rd.ok() && orChanged && base == 0 &&
        (rd->reader->lom().version != info->version ||
         rd->reader->lom().checksum != info->checksum)) {
      // Overwritten since the HEAD: the copy opened is the newest, its LOM and bytes one version.
      opened = node::infoFromLom(rd->reader->lom(), info->targetId);  // (the same node)
      auto again = rangeOf(ex, opened.size);
      if (!again.ok()) {
        sendError(ex, again.status());
        return true;
      }
      info = &opened;
      off = again->off, len = again->len, status = again->status;
    }
    if (rd.ok() && rd->reader->lom().version == info->version &&
        rd->reader->lom().checksum == info->checksum) {
      local = std::move(*rd);
      Status st = verifyBeforeStatus(gw, ex, *local, off, len);
      if (!st.ok() && (st.code() != Code::kObjectCorrupted || !ec)) {
        countFailedGet(gw, bucket, st);
        sendError(ex, st);
        return true;
      }
      if (!st.ok()) local.reset();
      verified = len <= kVerifyBeforeStatus;
    }
  }
  // From another owner: the first piece (the whole of a small object) arrives verified before
  // the status line, so a damaged object gets an error response, not a truncated 200.
  std::string first;
  if (!local && len > 0) {
    auto got = fetchFirstPiece(*c, bucket, name, off, len, {info->version, info->checksum});
    if (!got.ok() && orChanged && got.code() == Code::kVersionChanged) return false;
    if (!got.ok()) {
      sendError(ex, got.status());
      return true;
    }
    first = std::move(*got);
  }
  ex.responseHeaders().set(http::field::content_type, "application/octet-stream");
  if (base == 0) {
    setObjectHeaders(ex, *info);
  } else {
    ex.responseHeaders().set("ais-version", std::to_string(info->version));  // (of the shard)
  }
  if (!ex.beginResponse(status, len).ok()) return true;
  if (local) {
    sendVerified(gw, ex, *local, off, len, verified);
    return true;
  }
  sendForwarded(ex, *c, bucket, name, off, len, {info->version, info->checksum}, first);
  return true;
}

json memberJson(const ArchiveMember& m) {
  json e = {{"name", m.name},     {"size", m.size},
            {"offset", m.offset}, {"type", memberTypeName(m.type)},
            {"mode", m.mode},     {"mtime", m.mtimeSec}};
  if (!m.linkTarget.empty()) e["link"] = m.linkTarget;
  return e;
}

// GET /v1/objects/B/SHARD?archpath= (&archmime=FORMAT): the shard's members.
void archiveListing(Exchange& ex, Client& c, const std::string& bucket, const std::string& name,
                    const std::string& mime) {
  auto listing = c.listArchive(bucket, name, "", mime);
  if (!listing.ok()) return sendError(ex, listing.status());
  json members = json::array();
  for (const auto& m : listing->members) members.push_back(memberJson(m));
  sendJson(ex, 200,
           json{{"shard", objectJson(listing->shard)},
                {"format", listing->format},
                {"members", std::move(members)}});
}

// GET /v1/objects/B/SHARD?archpath=M (&archmime=FORMAT): the member's bytes (Range: within the
// member), pinned to the shard version its index describes. A TAR member is a range of the
// shard, sent like one; any other is decoded by the owner and forwarded.
void getMember(Gateway& gw, Exchange& ex, Client* c, const std::string& bucket,
               const std::string& name, const std::string& archpath, const std::string& mime) {
  auto listing = c->memberToRead(bucket, name, archpath, mime);
  if (!listing.ok()) return sendError(ex, listing.status());
  const ArchiveMember& m = listing->members.at(0);
  if (m.type != ArchiveMember::Type::kFile) {
    return sendError(
        ex, Status(Code::kInvalidArgument, "ais://" + bucket + "/" + name + ": member '" + m.name +
                                               "' is not a regular file"));
  }
  auto span = rangeOf(ex, m.size);
  if (!span.ok()) return sendError(ex, span.status());
  if (listing->format == "tar") {
    sendBytes(gw, ex, c, bucket, name, listing->shard, *span, m.offset);
    return;
  }
  Within within{archpath, mime};
  std::string first;
  if (span->len > 0) {
    auto got = fetchFirstPiece(*c, bucket, name, span->off, span->len,
                               {listing->shard.version, listing->shard.checksum}, within);
    if (!got.ok()) return sendError(ex, got.status());
    first = std::move(*got);
  }
  ex.responseHeaders().set(http::field::content_type, "application/octet-stream");
  ex.responseHeaders().set("ais-version", std::to_string(listing->shard.version));
  if (!ex.beginResponse(span->status, span->len).ok()) return;
  sendForwarded(ex, *c, bucket, name, span->off, span->len,
                {listing->shard.version, listing->shard.checksum}, first, within);
}

void objects(Gateway& gw, Exchange& ex, Client* c, const std::string& bucket,
             const std::string& name, const Query& q, const S3Auth& auth) {
  switch (ex.method()) {
    case http::verb::get: {
      if (auto archpath = queryGet(q, "archpath")) {
        std::string mime = queryGet(q, "archmime").value_or("");
        return archpath->empty() ? archiveListing(ex, *c, bucket, name, mime)
                                 : getMember(gw, ex, c, bucket, name, *archpath, mime);
      }
      // HEAD, then the bytes of that version: asked again (kReadsOfChangedObject
      // times at most) if it changed between.
      for (int attempt = 0;; ++attempt) {
        auto info = gw.head(*c, bucket, name);
        if (!info.ok()) return sendError(ex, info.status());
        auto span = rangeOf(ex, info->size);
        if (!span.ok()) return sendError(ex, span.status());
        if (sendBytes(gw, ex, c, bucket, name, *info, *span, 0, attempt < kReadsOfChangedObject))
          return;
      }
    }
    case http::verb::head: {
      auto info = gw.head(*c, bucket, name);
      if (!info.ok()) return sendError(ex, info.status());
      setObjectHeaders(ex, *info);
      ex.responseHeaders().set(http::field::content_length, std::to_string(info->size));
      (void)ex.respond(200);
      return;
    }
    case http::verb::put:
      return putObject(gw, ex, *c, bucket, name, auth);
    case http::verb::post:
      return objectAction(ex, *c, bucket, name, auth);
    case http::verb::delete_: {
      Status st = gw.remove(*c, bucket, name);
      if (!st.ok()) return sendError(ex, st);
      return sendJson(ex, 200, json::object());
    }
    default:
      return sendError(ex, Status(Code::kInvalidArgument, "method not allowed"));
  }
  (void)q;
}

void buckets(Exchange& ex, Client* c, const std::string& bucket, const Query& q) {
  auto m = ex.method();
  if (bucket.empty()) {
    if (m != http::verb::get) return sendError(ex, Status(Code::kInvalidArgument, "GET only"));
    auto list = c->listBuckets();
    if (!list.ok()) return sendError(ex, list.status());
    json arr = json::array();
    for (const auto& b : *list) {
      if (meta::isReservedBucket(b.name)) continue;  // the gateway's client sees it; users not
      arr.push_back(json{{"name", b.name}, {"props", propsJson(b.props)}});
    }
    return sendJson(ex, 200, json{{"buckets", arr}});
  }
  if (m == http::verb::put || m == http::verb::post) {
    Status st = c->createBucket(bucket);
    if (!st.ok()) return sendError(ex, st);
    return sendJson(ex, 200, json::object());
  }
  if (m == http::verb::delete_) {
    Status st = c->destroyBucket(bucket, queryGet(q, "force").value_or("") == "true");
    if (!st.ok()) return sendError(ex, st);
    return sendJson(ex, 200, json::object());
  }
  if (m == http::verb::head || (m == http::verb::get && q.count("props"))) {
    auto props = c->bucketProps(bucket);
    if (!props.ok()) return sendError(ex, props.status());
    // AIStore's HEAD answer: the props, its JSON, in a header.
    ex.responseHeaders().set("Ais-Bucket-Props", aisBucketProps(*props).dump());
    return sendJson(ex, 200, json{{"name", bucket}, {"props", propsJson(*props)}});
  }
  if (m != http::verb::get)
    return sendError(ex, Status(Code::kInvalidArgument, "method not allowed"));
  ListOptions opts;
  opts.prefix = queryGet(q, "prefix").value_or("");
  opts.delimiter = queryGet(q, "delimiter").value_or("");
  opts.continuationToken = queryGet(q, "continuation_token").value_or("");
  try {
    opts.pageSize = static_cast<uint32_t>(std::stoul(queryGet(q, "page_size").value_or("1000")));
  } catch (...) {
    return sendError(ex, Status(Code::kInvalidArgument, "bad page_size"));
  }
  opts.allowPartial = true;  // a dead target: the rest, and missing_targets names it
  auto page = c->list(bucket, opts);
  if (!page.ok()) return sendError(ex, page.status());
  ex.responseHeaders().set(http::field::content_type, "application/json");
  (void)ex.respond(200, listJson(*page));
}

json jobJson(const JobSummary& m) {
  json parts = json::array();
  for (const auto& p : m.parts) {
    parts.push_back(json{{"node", p.node},
                         {"state", p.state},
                         {"objects", p.objects},
                         {"bytes", p.bytes},
                         {"errors", p.errors},
                         {"start_ns", p.startNs},
                         {"end_ns", p.endNs},
                         {"message", p.message}});
  }
  return json{{"id", m.id},         {"kind", m.kind},        {"bucket", m.bucket},
              {"state", m.state},   {"objects", m.objects},  {"bytes", m.bytes},
              {"errors", m.errors}, {"start_ns", m.startNs}, {"end_ns", m.endNs},
              {"parts", parts}};
}

// /v1/jobs: list (GET), start (POST ?kind=validate&bucket=B), stop (DELETE /v1/jobs/ID or
// ?kind=K).
void jobs(Exchange& ex, Client* c, const std::string& id, const Query& q) {
  std::string kind = queryGet(q, "kind").value_or("");
  switch (ex.method()) {
    case http::verb::get: {
      auto list = c->listJobs(id, kind);
      if (!list.ok()) return sendError(ex, list.status());
      bool all = !id.empty() || queryGet(q, "all").value_or("") == "true";
      json out = json::array();
      for (const auto& m : summarizeJobs(*list)) {
        if (all || m.state == "running") out.push_back(jobJson(m));
      }
      json unreachable = json::array();
      for (const auto& [node, why] : list->unreachable) {
        unreachable.push_back(json{{"node", node}, {"error", why.toString()}});
      }
      if (!id.empty() && out.empty()) {
        return sendError(ex, Status(Code::kObjectNotFound, "no job " + id));
      }
      return sendJson(ex, 200, json{{"jobs", out}, {"unreachable", unreachable}});
    }
    case http::verb::post: {
      if (!id.empty()) return sendError(ex, Status(Code::kInvalidArgument, "POST /v1/jobs?kind="));
      std::string bucket = queryGet(q, "bucket").value_or("");
      if (Status st = meta::refuseReservedBucket(bucket); !st.ok()) return sendError(ex, st);
      std::string newId = Client::newJobId(kind);
      Status st = c->startJob(newId, kind, bucket);
      if (!st.ok()) return sendError(ex, st);
      return sendJson(ex, 200, json{{"id", newId}});
    }
    case http::verb::delete_: {
      auto n = c->stopJob(id, kind);
      if (!n.ok()) return sendError(ex, n.status());
      if (*n == 0)
        return sendError(ex, Status(Code::kObjectNotFound, "no running job " + id + kind));
      return sendJson(ex, 200, json{{"stopped", *n}});
    }
    default:
      return sendError(ex, Status(Code::kInvalidArgument, "jobs: GET, POST or DELETE"));
  }
}

// AIStore query parameters that ask for what this cluster does not do: refused, never dropped (a
// PUT with appendty=append taken for a plain PUT would replace the object it meant to extend;
// provider=aws would read and write the ais:// bucket of that name).
Status refuseUnservedQuery(const Query& q) {
  if (auto provider = queryGet(q, "provider");
      provider && !provider->empty() && *provider != "ais") {
    return Status(Code::kNotImplemented,
                  "provider=" + *provider +
                      ": remote backends are not supported, only ais:// buckets (provider=ais)");
  }
  if (auto ns = queryGet(q, "namespace"); ns && !ns->empty() && *ns != "@#") {  // (the global one)
    return Status(Code::kNotImplemented,
                  "namespace=" + *ns + ": remote AIS clusters (namespaces) are not supported");
  }
  for (const char* name : {"appendty", "handle", "archregx", "archmode"}) {
    if (queryGet(q, name)) {
      return Status(Code::kNotImplemented,
                    std::string(name) +
                        ": not supported (appends: PUT the whole object; several members of a "
                        "shard: one GET with archpath each)");
    }
  }
  return Status::OK();
}

}  // namespace

void serveNative(Gateway& gw, Exchange& ex) {
  std::string_view target = ex.target();
  size_t qpos = target.find('?');
  auto path = urlDecode(target.substr(0, qpos), false);
  auto q = parseQuery(qpos == std::string_view::npos ? "" : target.substr(qpos + 1));
  if (!path || !q) return sendError(ex, Status(Code::kInvalidArgument, "bad URL"));
  std::string_view p = *path;
  // Open even with S3 keys; names this node's fabric endpoint, so a client given the gateway's
  // URL (AIStore's AIS_ENDPOINT form) can find the fabric.
  if (p == "/v1/health") {
    return sendJson(ex, 200, json{{"status", "ok"}, {"rpc", gw.options().fabricEndpoint}});
  }
  // With S3 users configured, the native API takes the same signatures as S3 (e.g. curl
  // --aws-sigv4 aws:amz:REGION:s3 --user KEY:SECRET), from the admin only: it is the cluster's
  // administration (every bucket, no S3 ownership). Only the health probe stays open.
  S3Auth authCtx;  // anonymous unless keys are configured
  if (gw.options().s3.enabled()) {
    std::string_view rawQuery = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
    // Without x-amz-content-sha256 a bodiless request signs the hash of the empty payload.
    static constexpr std::string_view kEmptySha256 =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    bool bodiless = ex.contentLength().value_or(0) == 0;
    auto auth = authenticate(ex, target.substr(0, qpos), rawQuery, *q, "", gw.options().s3,
                             std::time(nullptr), bodiless ? kEmptySha256 : std::string_view());
    if (auto* e = std::get_if<S3Error>(&auth)) {
      return sendJson(ex, e->http, json{{"code", e->code}, {"message", e->message}});
    }
    authCtx = std::get<S3Auth>(std::move(auth));
    if (authCtx.user != kS3AdminUser) {
      return sendJson(
          ex, 403,
          json{{"code", "AccessDenied"},
               {"message", authCtx.anonymous() ? "the native API needs the admin's signature"
                                               : "the native API is the admin's; user '" +
                                                     authCtx.user + "' may use S3"}});
    }
  }
  if (Status st = refuseUnservedQuery(*q); !st.ok()) return sendError(ex, st);
  if (p == "/v1/daemon" && queryGet(*q, "what")) {
    auto c = gw.client();
    if (!c.ok()) return sendError(ex, c.status());
    return aisWhat(gw, ex, **c, *queryGet(*q, "what"), /*wholeCluster=*/false, *q, authCtx);
  }
  if (p == "/v1/daemon/set-config" || p == "/v1/daemon/setconfig") {
    return sendError(ex, Status(Code::kInvalidArgument,
                                "a node's own config is not set here: every node follows the "
                                "cluster config (PUT /v1/cluster/set-config?KEY=VALUE)"));
  }
  if (p == "/v1/daemon") {
    const auto& o = gw.options();
    json j{{"id", o.nodeId},
           {"role", o.role},
           {"rpc", o.fabricEndpoint},
           {"http", o.httpEndpoint},
           {"s3_auth", o.s3.enabled()}};
    if (auto c = gw.client(); c.ok()) {
      if (auto s = (*c)->smap(); s.ok()) j["smap_version"] = s->version;
    }
    return sendJson(ex, 200, j);
  }
  auto c = gw.client();
  if (!c.ok()) return sendError(ex, c.status());
  if (p == "/v1/cluster/set-config" || p == "/v1/cluster/setconfig") {
    if (ex.method() != http::verb::put) {
      return sendError(ex, Status(Code::kInvalidArgument, "set-config is PUT"));
    }
    return setConfigFromQuery(ex, **c, *q);
  }
  if (p == "/v1/cluster") {
    if (ex.method() == http::verb::put || ex.method() == http::verb::post) {
      return aisClusterAction(ex, **c, authCtx);
    }
    if (ex.method() != http::verb::get && ex.method() != http::verb::head) {
      return sendError(ex, Status(Code::kInvalidArgument, "cluster: GET, or PUT an action"));
    }
    if (auto what = queryGet(*q, "what")) {
      return aisWhat(gw, ex, **c, *what, /*wholeCluster=*/true, *q, authCtx);
    }
    auto smap = (*c)->smap(true);
    if (!smap.ok()) return sendError(ex, smap.status());
    json nodes = json::array();
    for (const auto& n : smap->nodes) nodes.push_back(nodeJson(n));
    json j{{"smap",
            {{"version", smap->version},
             {"primary", smap->primaryId},
             {"uuid", smap->uuid},
             {"nodes", nodes}}}};
    if (queryGet(*q, "health").value_or("") == "true") {
      auto st = (*c)->clusterStatus();
      if (st.ok()) {
        json h = json::array();
        for (const auto& s : *st) {
          h.push_back(json{{"id", s.node.id},
                           {"reachable", s.reachable},
                           {"smap_version", s.smapVersion},
                           {"capacity", s.capacityBytes},
                           {"available", s.availableBytes},
                           {"objects", s.objectCount},
                           {"uptime_sec", s.uptimeSec}});
        }
        j["health"] = h;
      }
    }
    return sendJson(ex, 200, j);
  }
  if (p == "/v1/jobs" || p == "/v1/jobs/") return jobs(ex, *c, "", *q);
  if (p.rfind("/v1/jobs/", 0) == 0) return jobs(ex, *c, std::string(p.substr(9)), *q);
  if (p == "/v1/buckets" || p == "/v1/buckets/") {
    if (hasActionMessage(ex)) {
      return bucketAction(ex, **c, "", *q, gw.options().fabricEndpoint, authCtx);
    }
    return buckets(ex, *c, "", *q);
  }
  if (p.rfind("/v1/buckets/", 0) == 0) {
    std::string bucket(p.substr(12));
    if (!bucket.empty() && bucket.back() == '/') bucket.pop_back();
    if (Status st = meta::validateBucketName(bucket); !st.ok()) return sendError(ex, st);
    if (Status st = meta::refuseReservedBucket(bucket); !st.ok()) return sendError(ex, st);
    if (hasActionMessage(ex)) {
      return bucketAction(ex, **c, bucket, *q, gw.options().fabricEndpoint, authCtx);
    }
    return buckets(ex, *c, bucket, *q);
  }
  if (p == "/v1/ml/moss" || p.rfind("/v1/ml/moss/", 0) == 0) {
    if (ex.method() != http::verb::get && ex.method() != http::verb::post) {
      return sendError(ex, Status(Code::kInvalidArgument, "GetBatch is GET (or POST) /v1/ml/moss"));
    }
    std::string bucket(p.size() > 12 ? p.substr(12) : "");
    if (!bucket.empty() && bucket.back() == '/') bucket.pop_back();
    if (!bucket.empty()) {
      if (Status st = meta::validateBucketName(bucket); !st.ok()) return sendError(ex, st);
    }
    return getBatch(ex, **c, bucket, authCtx);
  }
  if (p.rfind("/v1/objects/", 0) == 0) {
    std::string_view rest = p.substr(12);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      return sendError(ex, Status(Code::kInvalidArgument, "expected /v1/objects/BUCKET/NAME"));
    }
    std::string bucket(rest.substr(0, slash)), name(rest.substr(slash + 1));
    if (Status st = meta::validateBucketName(bucket); !st.ok()) return sendError(ex, st);
    if (Status st = meta::refuseReservedBucket(bucket); !st.ok()) return sendError(ex, st);
    if (Status st = meta::validateObjectName(name); !st.ok()) return sendError(ex, st);
    // Another target owns it: a GET is answered by that target's gateway (owner_relay.h).
    if (relayToOwner(gw, ex, bucket, name)) return;
    return objects(gw, ex, *c, bucket, name, *q, authCtx);
  }
  sendError(ex, Status(Code::kNotImplemented, "unknown endpoint " + std::string(p)));
}

}  // namespace ais::gateway
