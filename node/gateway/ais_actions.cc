#include "node/gateway/ais_actions.h"

#include <ctime>
#include <thread>

#include "common/log.h"
#include "meta/bucket_props_edit.h"
#include "meta/names.h"
#include "node/gateway/native_reply.h"

namespace ais::gateway {

using nlohmann::json;

namespace {

constexpr size_t kMessageLimit = 64 << 10;

// {"action": A, ...} from the body; nullopt once an error was answered.
std::optional<json> actionMessage(Exchange& ex, const S3Auth& auth) {
  auto text = readMessage(ex, auth, kMessageLimit, "action message");
  if (!text) return std::nullopt;
  json msg = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!msg.is_object() || !msg.contains("action") || !msg["action"].is_string()) {
    sendError(ex, Status(Code::kInvalidArgument,
                         "expected an action message {\"action\": ..., \"value\": ...}"));
    return std::nullopt;
  }
  return msg;
}

void wrongMethod(Exchange& ex, const std::string& action, const char* method) {
  sendJson(ex, 405,
           json{{"code", "MethodNotAllowed"},
                {"message", "action '" + action + "' is " + method + " (AIStore's http_api)"}});
}

// AIStore's time format of list entries' atime (RFC 822 with a numeric zone).
std::string aisTime(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  char buf[40];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%d %b %y %H:%M UTC", &tm);
  return buf;
}

void setBucketProps(Exchange& ex, Client& c, const std::string& bucket, const json& value) {
  if (!value.is_object()) {
    return sendError(ex, Status(Code::kInvalidArgument, "set-bprops: value must be an object"));
  }
  auto edits = flattenJson(value);
  auto current = c.bucketProps(bucket);
  if (!current.ok()) return sendError(ex, current.status());
  meta::BucketProps updated = *current;
  for (const auto& [key, v] : edits) {
    if (Status st = meta::applyBucketProp(updated, key, v); !st.ok()) return sendError(ex, st);
  }
  // Over the props read above: a change made meanwhile is not silently undone.
  if (Status st = c.setBucketProps(bucket, updated, &*current); !st.ok()) {
    return sendError(ex, st);
  }
  sendJson(ex, 200, json::object());
}

void listObjects(Exchange& ex, Client& c, const std::string& bucket, const json& value) {
  ListOptions opts;
  if (!value.is_null() && !value.is_object()) {
    return sendError(ex, Status(Code::kInvalidArgument, "list: value must be an object"));
  }
  json v = value.is_object() ? value : json::object();
  opts.prefix = v.value("prefix", "");
  opts.continuationToken = v.value("continuation_token", "");
  if (v.contains("pagesize")) {
    if (!v["pagesize"].is_number_unsigned()) {
      return sendError(ex, Status(Code::kInvalidArgument, "list: pagesize must be a number"));
    }
    opts.pageSize = static_cast<uint32_t>(v["pagesize"].get<uint64_t>());
  }
  // (No partial pages: AIStore's reply has no field to name a target that could not be asked, so
  // a dead target fails the listing rather than silently leaving its objects out.)
  auto page = c.list(bucket, opts);
  if (!page.ok()) return sendError(ex, page.status());
  json entries = json::array();
  for (const auto& o : page->entries) {
    entries.push_back(json{{"name", o.name},
                           {"checksum", o.checksumValue},
                           {"atime", aisTime(o.atimeNs)},
                           {"size", std::to_string(o.size)},
                           {"version", std::to_string(o.version)},
                           {"flags", 64}});  // (present in the cluster: AIStore's EntryIsCached)
  }
  sendJson(ex, 200,
           json{{"uuid", ""},
                {"continuation_token", page->continuationToken},
                {"entries", entries},
                {"flags", 0}});
}

// AIStore's answer to an action that starts a job: the job's id as plain text ("" when there was
// nothing to do).
void sendJobId(Exchange& ex, const Result<std::string>& id) {
  if (!id.ok()) return sendError(ex, id.status());
  ex.responseHeaders().set(http::field::content_type, "text/plain");
  (void)ex.respond(200, *id);
}

// The props a new bucket gets, keeping what is not a setting: when it was made, its S3 owner and
// ACL, and S3 object versioning once on (it can be suspended, never turned off).
void resetBucketProps(Exchange& ex, Client& c, const std::string& bucket) {
  auto current = c.bucketProps(bucket);
  if (!current.ok()) return sendError(ex, current.status());
  meta::BucketProps fresh;
  fresh.createdNs = current->createdNs;
  fresh.owner = current->owner;
  fresh.acl = current->acl;
  fresh.objectVersioning = current->objectVersioning;
  fresh.cors = current->cors;
  fresh.tags = current->tags;
  if (Status st = c.setBucketProps(bucket, fresh, &*current); !st.ok()) return sendError(ex, st);
  sendJson(ex, 200, json::object());
}

const char* const kBucketActions =
    "list, create-bck, destroy-bck, set-bprops, reset-bprops, copy-bck, move-bck, "
    "make-n-copies, ec-encode, promote";

// The destination of copy-bck/move-bck: AIStore's bck_to query ("ais/@#/NAME/", or a bare
// name, or ais://NAME), else the message's "name".
Result<std::string> destinationBucket(const json& msg, const Query& q) {
  std::string raw = queryGet(q, "bck_to").value_or(queryGet(q, "bckto").value_or(""));
  if (raw.empty() && msg.contains("name") && msg["name"].is_string()) raw = msg["name"];
  if (raw.rfind("ais://", 0) == 0) raw = raw.substr(6);
  std::vector<std::string> parts;
  for (size_t at = 0; at <= raw.size();) {
    size_t slash = raw.find('/', at);
    if (slash == std::string::npos) slash = raw.size();
    if (slash > at) parts.push_back(raw.substr(at, slash - at));
    at = slash + 1;
  }
  if (parts.size() > 1 && parts[0] == "ais") parts.erase(parts.begin());
  if (parts.size() > 1 && parts[0][0] == '@') parts.erase(parts.begin());
  if (parts.size() != 1) {
    return Status(Code::kInvalidArgument,
                  "the destination bucket: ?bck_to=ais/@#/NAME/ (AIStore's) or ?bck_to=NAME");
  }
  AIS_RETURN_IF_ERROR(meta::validateBucketName(parts[0]));
  AIS_RETURN_IF_ERROR(meta::refuseReservedBucket(parts[0]));
  return parts[0];
}

}  // namespace

bool hasActionMessage(const Exchange& ex) {
  if (ex.method() == http::verb::put) return false;
  return ex.contentLength().value_or(0) > 0 || ex.chunked();
}

void bucketAction(Exchange& ex, Client& c, const std::string& bucket, const Query& q,
                  const std::string& fabricEndpoint, const S3Auth& auth) {
  auto msg = actionMessage(ex, auth);
  if (!msg) return;
  std::string action = (*msg)["action"].get<std::string>();
  json value = msg->value("value", json());
  auto m = ex.method();
  if (bucket.empty()) {
    if (action != "list") {
      return sendError(ex,
                       Status(Code::kInvalidArgument,
                              "/v1/buckets takes the action 'list' (GET); got '" + action + "'"));
    }
    if (m != http::verb::get) return wrongMethod(ex, action, "GET");
    auto list = c.listBuckets();
    if (!list.ok()) return sendError(ex, list.status());
    json arr = json::array();
    for (const auto& b : *list) {
      if (meta::isReservedBucket(b.name)) continue;
      arr.push_back(
          json{{"name", b.name}, {"provider", "ais"}, {"namespace", {{"uuid", ""}, {"name", ""}}}});
    }
    return sendJson(ex, 200, arr);
  }
  if (action == "list") {
    if (m != http::verb::get) return wrongMethod(ex, action, "GET");
    return listObjects(ex, c, bucket, value);
  }
  if (action == "create-bck") {
    if (m != http::verb::post) return wrongMethod(ex, action, "POST");
    Status st = c.createBucket(bucket);
    return st.ok() ? sendJson(ex, 200, json::object()) : sendError(ex, st);
  }
  if (action == "destroy-bck") {
    if (m != http::verb::delete_) return wrongMethod(ex, action, "DELETE");
    Status st = c.destroyBucket(bucket, /*force=*/true);  // (AIStore's: objects and all)
    return st.ok() ? sendJson(ex, 200, json::object()) : sendError(ex, st);
  }
  if (action == "set-bprops") {
    if (m != http::verb::patch) return wrongMethod(ex, action, "PATCH");
    return setBucketProps(ex, c, bucket, value);
  }
  if (action == "copy-bck" || action == "move-bck") {
    if (m != http::verb::post) return wrongMethod(ex, action, "POST");
    auto dst = destinationBucket(*msg, q);
    if (!dst.ok()) return sendError(ex, dst.status());
    if (action == "copy-bck") {
      json v = value.is_object() ? value : json::object();
      return sendJobId(
          ex, c.copyBucket(bucket, *dst, v.value("prefix", ""), v.value("dry_run", false)));
    }
    auto id = c.moveBucket(bucket, *dst);
    if (id.ok()) {
      // The source goes once the job has moved everything (Client::finishMove), whoever waits:
      // a thread of its own with its own client, so the reply does not wait for the move.
      std::thread([fabricEndpoint, jobId = *id, src = bucket] {
        Client::Options options;
        options.endpoint = fabricEndpoint;
        auto client = Client::connect(options);
        Status st = client.ok() ? (*client)->finishMove(jobId, src) : client.status();
        if (!st.ok()) log::warn("move-bck {}: {}", jobId, st.toString());
      }).detach();
    }
    return sendJobId(ex, id);
  }
  if (action == "promote") {
    // AIStore's: {"name": SRC, "value": {"tid", "src", "obj", "rcr", "ovw", "dls", "notshr"}}.
    if (m != http::verb::post) return wrongMethod(ex, action, "POST");
    json v = value.is_object() ? value : json::object();
    std::string src = v.value("src", "");
    if (src.empty() && msg->contains("name") && (*msg)["name"].is_string()) src = (*msg)["name"];
    Client::PromoteOptions o;
    o.target = v.value("tid", "");
    o.recursive = v.value("rcr", false);
    o.overwrite = v.value("ovw", false);
    o.deleteSrc = v.value("dls", false);
    o.notFileShare = v.value("notshr", false);
    std::string obj = v.value("obj", "");
    if (!obj.empty()) {
      std::string probe = obj.back() == '/' ? obj + "x" : obj;
      if (Status st = meta::validateObjectName(probe); !st.ok()) return sendError(ex, st);
    }
    return sendJobId(ex, c.promote(bucket, src, obj, o));
  }
  if (action == "reset-bprops") {
    if (m != http::verb::patch) return wrongMethod(ex, action, "PATCH");
    return resetBucketProps(ex, c, bucket);
  }
  if (action == "make-n-copies") {
    if (m != http::verb::post) return wrongMethod(ex, action, "POST");
    if (!value.is_number_unsigned() || value.get<uint64_t>() < 1 || value.get<uint64_t>() > 32) {
      return sendError(ex, Status(Code::kInvalidArgument,
                                  "make-n-copies: value must be the number of copies (1..32)"));
    }
    return sendJobId(ex, c.makeNCopies(bucket, value.get<uint32_t>()));
  }
  if (action == "ec-encode") {
    if (m != http::verb::post) return wrongMethod(ex, action, "POST");
    std::optional<uint32_t> data, parity;
    if (value.is_object()) {
      for (auto [key, slot] : {std::pair{"data_slices", &data}, {"parity_slices", &parity}}) {
        if (!value.contains(key)) continue;
        if (!value[key].is_number_unsigned()) {
          return sendError(ex, Status(Code::kInvalidArgument,
                                      std::string("ec-encode: ") + key + " must be a number"));
        }
        *slot = value[key].get<uint32_t>();
      }
    }
    return sendJobId(ex, c.ecEncode(bucket, data, parity));
  }
  if (action == "evict-remote-bck" || action == "evictobj" || action == "evict-listrange" ||
      action == "prefetch" || action == "prefetch-listrange") {
    return sendError(ex, Status(Code::kInvalidArgument,
                                "'" + action + "': ais://" + bucket +
                                    " is an ais bucket and there are no remote (cloud) buckets "
                                    "here: nothing is cached to evict or to prefetch"));
  }
  sendError(ex, Status(Code::kInvalidArgument, "unsupported bucket action '" + action +
                                                   "' (supported: " + kBucketActions + ")"));
}

void objectAction(Exchange& ex, Client& c, const std::string& bucket, const std::string& name,
                  const S3Auth& auth) {
  auto msg = actionMessage(ex, auth);
  if (!msg) return;
  std::string action = (*msg)["action"].get<std::string>();
  if (action != "rename") {
    return sendError(ex, Status(Code::kInvalidArgument,
                                "unsupported object action '" + action + "' (supported: rename)"));
  }
  if (ex.method() != http::verb::post) return wrongMethod(ex, action, "POST");
  if (!msg->contains("name") || !(*msg)["name"].is_string()) {
    return sendError(ex,
                     Status(Code::kInvalidArgument, "rename: \"name\" (the new name) is required"));
  }
  std::string to = (*msg)["name"].get<std::string>();
  if (Status st = meta::validateObjectName(to); !st.ok()) return sendError(ex, st);
  Status st = c.rename(bucket, name, to);
  st.ok() ? sendJson(ex, 200, json::object()) : sendError(ex, st);
}

json aisBucketProps(const meta::BucketProps& p) {
  return json{{"provider", "ais"},
              {"checksum", {{"type", p.checksumType == "xxhash64" ? "xxhash" : p.checksumType}}},
              {"mirror", {{"enabled", p.mirrorCopies > 1}, {"copies", p.mirrorCopies}}},
              {"ec",
               {{"enabled", p.ec.enabled},
                {"data_slices", p.ec.dataSlices},
                {"parity_slices", p.ec.paritySlices},
                {"objsize_limit", p.ec.objSizeLimit}}},
              {"versioning", {{"enabled", p.versioning}}},
              {"created", p.createdNs}};
}

json aisSnode(const meta::NodeInfo& n) {
  auto net = [](const std::string& hostport, bool http) {
    auto colon = hostport.rfind(':');
    std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    std::string port = colon == std::string::npos ? "" : hostport.substr(colon + 1);
    return json{{"node_ip_addr", host},
                {"daemon_port", port},
                {"direct_url", http && !hostport.empty() ? "http://" + hostport : ""}};
  };
  return json{{"daemon_id", n.id},
              {"daemon_type", n.isProxy() ? "proxy" : "target"},
              {"public_net", net(n.httpEndpoint, true)},
              {"intra_control_net", net(n.rpcEndpoint, false)},  // (the Cap'n Proto fabric)
              {"flags", n.flags}};
}

json aisSmap(const meta::Smap& smap) {
  json pmap = json::object(), tmap = json::object(), primary;
  for (const auto& n : smap.nodes) {
    (n.isProxy() ? pmap : tmap)[n.id] = aisSnode(n);
    if (n.isProxy() && n.id == smap.primaryId) primary = aisSnode(n);
  }
  return json{{"tmap", tmap},
              {"pmap", pmap},
              {"proxy_si", primary},
              {"uuid", smap.uuid},
              {"version", smap.version}};
}

}  // namespace ais::gateway
