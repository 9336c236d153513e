// S3 browser POST uploads (PostObject): a multipart/form-data form to the bucket's URL, its
// fields before the `file` part (key with ${filename}, acl, Content-Type and other headers,
// x-amz-meta-*, success_action_status/_redirect) and, when signed, a base64 policy the form
// must satisfy (expiration, exact and starts-with conditions, content-length-range, no field
// left uncovered), signed with SigV4 (x-amz-credential, x-amz-signature) or SigV2
// (AWSAccessKeyId, signature). The file streams into the object as it arrives; a form that breaks
// a rule stores nothing. Unsigned forms act as anonymous (a public-read-write bucket's).
#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "common/digest.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_auth_sigv4.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

namespace {

constexpr size_t kMaxFormFieldBytes = 20 << 10;  // S3's limit on what precedes the file
constexpr size_t kPostInlineMax = 8 << 20;       // above: streamed through a PutHandle

// The request body as a multipart/form-data stream: parts' headers and values, then the file
// part's bytes up to the closing delimiter.
class FormStream {
 public:
  FormStream(Exchange& ex, std::string boundary)
      : ex_(ex), delim_("\r\n--" + std::move(boundary)) {}

  // Skips the preamble up to the first delimiter (the body starts with "--boundary").
  Status start() {
    buf_ = "\r\n";  // so the first "--boundary" is found as a delimiter
    return skipPast();
  }
  // After a delimiter: true if another part follows ("\r\n"), false at the end ("--").
  Result<bool> nextPart() {
    AIS_RETURN_IF_ERROR(need(2));
    bool more = buf_.compare(pos_, 2, "--") != 0;
    pos_ += 2;
    return more;
  }
  // The part's headers up to the blank line.
  Result<std::string> headers() {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n", pos_);
      if (end != std::string::npos) {
        std::string h = buf_.substr(pos_, end - pos_);
        pos_ = end + 4;
        return h;
      }
      if (buf_.size() - pos_ > kMaxFormFieldBytes) return tooLarge();
      AIS_RETURN_IF_ERROR(more());
    }
  }
  // A (small) field's value, up to the next delimiter.
  Result<std::string> value(size_t limit) {
    std::string out;
    AIS_RETURN_IF_ERROR(stream([&](std::string_view piece) {
      if (out.size() + piece.size() > limit) return tooLarge();
      out.append(piece);
      return Status::OK();
    }));
    return out;
  }
  // The part's bytes to sink as they arrive, up to the next delimiter.
  template <typename Sink>
  Status stream(Sink&& sink) {
    for (;;) {
      size_t at = buf_.find(delim_, pos_);
      if (at != std::string::npos) {
        AIS_RETURN_IF_ERROR(sink(std::string_view(buf_).substr(pos_, at - pos_)));
        pos_ = at + delim_.size();
        return Status::OK();
      }
      // Everything but a possible start of the delimiter can go.
      size_t keep = std::min(buf_.size() - pos_, delim_.size() - 1);
      size_t ready = buf_.size() - pos_ - keep;
      if (ready > 0) {
        AIS_RETURN_IF_ERROR(sink(std::string_view(buf_).substr(pos_, ready)));
        pos_ += ready;
      }
      AIS_RETURN_IF_ERROR(more());
    }
  }

 private:
  static Status tooLarge() {
    return Status(Code::kInvalidArgument, "the form's fields exceed 20 KiB before the file");
  }
  Status skipPast() {
    return stream([](std::string_view) { return Status::OK(); });
  }
  Status need(size_t n) {
    while (buf_.size() - pos_ < n) AIS_RETURN_IF_ERROR(more());
    return Status::OK();
  }
  Status more() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + (64 << 10));
    auto n = ex_.readBody(buf_.data() + old, 64 << 10);
    if (!n.ok()) return n.status();
    buf_.resize(old + *n);
    if (*n == 0) return Status(Code::kInvalidArgument, "the form ends before its closing boundary");
    return Status::OK();
  }

  Exchange& ex_;
  std::string delim_;
  std::string buf_;
  size_t pos_ = 0;
};

// `name="x"` from a Content-Disposition header of a part ("" if absent).
std::string dispositionParam(std::string_view headers, std::string_view param) {
  std::string lower = asciiLower(headers);
  size_t cd = lower.find("content-disposition:");
  if (cd == std::string::npos) return {};
  size_t eol = lower.find("\r\n", cd);
  std::string_view line = std::string_view(headers).substr(cd, eol - cd);
  std::string_view lowerLine = std::string_view(lower).substr(cd, eol - cd);
  std::string key = std::string(param) + "=\"";
  size_t at = 0;
  while ((at = lowerLine.find(key, at)) != std::string_view::npos) {
    // a whole parameter name ("filename=" must not match "name=")
    if (at == 0 || lowerLine[at - 1] == ' ' || lowerLine[at - 1] == ';') break;
    ++at;
  }
  if (at == std::string_view::npos) return {};
  size_t begin = at + key.size();
  size_t end = line.find('"', begin);
  if (end == std::string_view::npos) return {};
  return std::string(line.substr(begin, end - begin));
}

// "2030-01-01T00:00:00Z" or with fractional seconds → epoch seconds; -1 if malformed.
std::time_t parseIsoTime(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return -1;
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (std::string_view(end) != "Z") return -1;
  return timegm(&tm);
}

struct Form {
  std::map<std::string, std::string> fields;  // lowercased names
  std::map<std::string, std::string> names;   // lowercased → as sent (x-amz-meta-* keep case)
  std::string get(const std::string& lower) const {
    auto it = fields.find(lower);
    return it == fields.end() ? std::string() : it->second;
  }
  bool has(const std::string& lower) const { return fields.count(lower) > 0; }
};

// Checks the policy against the form (key already expanded). sizeRange: the content-length-range
// to hold the file to. An S3Error if the form breaks it.
std::optional<S3Error> checkPolicy(const std::string& policyBase64, const Form& form,
                                   const std::string& bucket,
                                   std::pair<uint64_t, uint64_t>& sizeRange) {
  std::string text = base64Decode(policyBase64);
  nlohmann::json policy = nlohmann::json::parse(text, nullptr, false);
  if (text.empty() || policy.is_discarded() || !policy.is_object()) {
    return s3Error("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.");
  }
  if (!policy.contains("expiration") || !policy["expiration"].is_string()) {
    return s3Error("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.");
  }
  std::time_t expires = parseIsoTime(policy["expiration"].get<std::string>());
  if (expires < 0) {
    return s3Error("InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.");
  }
  if (std::time(nullptr) > expires) {
    return s3Error("AccessDenied", "Invalid according to Policy: Policy expired.");
  }
  if (!policy.contains("conditions") || !policy["conditions"].is_array()) {
    return s3Error("InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.");
  }
  auto valueOf = [&](const std::string& field) {
    return field == "bucket" ? bucket : form.get(field);
  };
  std::set<std::string> covered{"bucket"};
  auto failed = [](const nlohmann::json& c) {
    return s3Error("AccessDenied",
                   "Invalid according to Policy: Policy Condition failed: " + c.dump());
  };
  for (const auto& c : policy["conditions"]) {
    if (c.is_object() && c.size() == 1) {
      std::string field = asciiLower(c.begin().key());
      if (!c.begin().value().is_string())
        return s3Error("InvalidPolicyDocument", "Invalid Policy: " + c.dump());
      covered.insert(field);
      if (valueOf(field) != c.begin().value().get<std::string>()) return failed(c);
    } else if (c.is_array() && c.size() == 3 && c[0].is_string()) {
      std::string op = asciiLower(c[0].get<std::string>());
      if (op == "content-length-range") {
        if (!c[1].is_number_unsigned() || !c[2].is_number_unsigned()) {
          return s3Error("InvalidPolicyDocument", "Invalid Policy: " + c.dump());
        }
        sizeRange = {c[1].get<uint64_t>(), c[2].get<uint64_t>()};
        continue;
      }
      if (!c[1].is_string() || !c[2].is_string() || !c[1].get<std::string>().starts_with("$")) {
        return s3Error("InvalidPolicyDocument", "Invalid Policy: " + c.dump());
      }
      std::string field = asciiLower(c[1].get<std::string>().substr(1));
      std::string want = c[2].get<std::string>();
      covered.insert(field);
      std::string have = valueOf(field);
      if (op == "eq") {
        if (have != want) return failed(c);
      } else if (op == "starts-with") {
        if (!have.starts_with(want)) return failed(c);
      } else {
        return s3Error("InvalidPolicyDocument", "Invalid Policy: unknown condition " + op);
      }
    } else {
      return s3Error("InvalidPolicyDocument", "Invalid Policy: " + c.dump());
    }
  }
  for (const auto& [name, value] : form.fields) {
    if (name == "policy" || name == "x-amz-signature" || name == "signature" ||
        name == "awsaccesskeyid" || name == "file" || name.starts_with("x-ignore-") ||
        covered.count(name)) {
      continue;
    }
    return s3Error("AccessDenied",
                   "Invalid according to Policy: Extra input fields: " + form.names.at(name));
  }
  return std::nullopt;
}

// Who signed the form (S3Auth::user), or the error. Unsigned: anonymous.
std::variant<S3Auth, S3Error> formAuth(S3Request& r, const Form& form) {
  const S3Credentials& creds = r.gw.options().s3;
  S3Auth who;
  if (!creds.enabled()) {
    who.user = kS3AdminUser;
    return who;
  }
  std::string policy = form.get("policy");
  if (form.has("x-amz-signature") || form.has("x-amz-credential")) {
    if (asciiLower(form.get("x-amz-algorithm")) != "aws4-hmac-sha256") {
      return s3Error("InvalidArgument", "x-amz-algorithm must be AWS4-HMAC-SHA256");
    }
    std::string cred = form.get("x-amz-credential");
    std::vector<std::string> parts;
    for (size_t at = 0;;) {
      size_t slash = cred.find('/', at);
      parts.push_back(cred.substr(at, slash - at));
      if (slash == std::string::npos) break;
      at = slash + 1;
    }
    if (parts.size() != 5 || parts[4] != "aws4_request") {
      return s3Error("InvalidArgument", "malformed x-amz-credential");
    }
    if (policy.empty()) return s3Error("InvalidArgument", "a signed form needs a policy");
    if (!form.has("x-amz-signature")) {
      return s3Error("InvalidArgument", "Bucket POST must contain a field named 'x-amz-signature'");
    }
    const S3User* user = creds.findByKey(parts[0]);
    if (!user) return s3Error("InvalidAccessKeyId");
    if (parts[2] != creds.region) {
      return s3Error("AuthorizationQueryParametersError",
                     "the region '" + parts[2] + "' is wrong; expecting '" + creds.region + "'");
    }
    std::string want = policySignatureV4(user->secretKey, parts[1], parts[2], parts[3], policy);
    if (!constantTimeEquals(want, form.get("x-amz-signature"))) {
      return s3Error("SignatureDoesNotMatch");
    }
    who.user = user->name;
    who.verified = true;
  } else if (form.has("awsaccesskeyid") || form.has("signature")) {
    if (policy.empty()) return s3Error("InvalidArgument", "a signed form needs a policy");
    if (!form.has("signature")) {
      return s3Error("InvalidArgument", "Bucket POST must contain a field named 'signature'");
    }
    const S3User* user = creds.findByKey(form.get("awsaccesskeyid"));
    if (!user) return s3Error("InvalidAccessKeyId");
    if (!constantTimeEquals(base64Encode(hmacSha1(user->secretKey, policy)),
                            form.get("signature"))) {
      return s3Error("SignatureDoesNotMatch");
    }
    who.user = user->name;
    who.verified = true;
  }
  return who;
}

// The object the file becomes: in memory while small, then streamed to its owner target.
class PostSink {
 public:
  PostSink(S3Request& r, Client& c, std::string key, PutOptions opts, uint64_t maxSize)
      : r_(r), c_(c), key_(std::move(key)), opts_(std::move(opts)), maxSize_(maxSize) {}
  ~PostSink() {
    if (handle_) handle_->abort();
  }
  Status write(std::string_view piece) {
    size_ += piece.size();
    if (size_ > maxSize_) {
      overLimit_ = true;
      return Status(Code::kInvalidArgument, "the file is larger than the policy allows");
    }
    md5_.update(piece);
    if (!handle_ && mem_.size() + piece.size() <= kPostInlineMax) {
      mem_.append(piece);
      return Status::OK();
    }
    if (!handle_) {
      auto h = r_.gw.beginPut(c_, r_.bucket, key_, opts_);
      if (!h.ok()) return h.status();
      handle_ = std::move(*h);
      AIS_RETURN_IF_ERROR(handle_->write(mem_));
      mem_.clear();
    }
    return handle_->write(piece);
  }
  uint64_t size() const { return size_; }
  // The file went past the policy's content-length-range.
  bool overLimit() const { return overLimit_; }
  Result<ObjectInfo> commit() {
    opts_.custom[std::string(kMetaEtag)] = toHex(md5_.finish());
    if (!handle_) return r_.gw.put(c_, r_.bucket, key_, mem_, opts_);
    auto h = std::move(handle_);
    return h->commit(opts_.custom);
  }

 private:
  S3Request& r_;
  Client& c_;
  std::string key_;
  PutOptions opts_;
  uint64_t maxSize_;
  uint64_t size_ = 0;
  bool overLimit_ = false;
  std::string mem_;
  Hasher md5_{"md5"};
  std::unique_ptr<PutHandle> handle_;
};

std::string urlOf(S3Request& r, const std::string& key) {
  std::string host(r.ex.header(http::field::host));
  return "http://" + host + "/" + uriEncode(r.bucket, true) + "/" + uriEncode(key, false);
}

}  // namespace

void postObject(S3Request& r) {
  std::string_view type = r.ex.header(http::field::content_type);
  std::string lowerType = asciiLower(type);
  size_t b = lowerType.find("boundary=");
  if (!lowerType.starts_with("multipart/form-data") || b == std::string::npos) {
    return r.fail(s3Error("PreconditionFailed",
                          "Bucket POST must be of the enclosure-type multipart/form-data"));
  }
  std::string boundary(type.substr(b + 9));
  if (size_t semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty()) return r.fail(s3Error("MalformedPOSTRequest", "no multipart boundary"));
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));

  FormStream in(r.ex, boundary);
  auto malformed = [&r](const Status& st) {
    r.fail(s3Error(
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data: " + st.message()));
  };
  if (Status st = in.start(); !st.ok()) return malformed(st);
  Form form;
  std::string filename, fileType;
  size_t fieldBytes = 0;
  bool sawFile = false;
  for (;;) {
    auto more = in.nextPart();
    if (!more.ok()) return malformed(more.status());
    if (!*more) break;
    auto headers = in.headers();
    if (!headers.ok()) return malformed(headers.status());
    std::string name = dispositionParam(*headers, "name");
    if (name.empty()) return malformed(Status(Code::kInvalidArgument, "a part without a name"));
    if (asciiLower(name) == "file") {
      filename = dispositionParam(*headers, "filename");
      sawFile = true;
      break;  // the file is the last field S3 reads; it streams below
    }
    auto value = in.value(kMaxFormFieldBytes - std::min(fieldBytes, kMaxFormFieldBytes));
    if (!value.ok())
      return r.fail(s3Error("MaxPostPreDataLengthExceeded", value.status().message()));
    fieldBytes += value->size() + name.size();
    std::string lower = asciiLower(name);
    form.names[lower] = name;
    form.fields[lower] = std::move(*value);
  }
  if (!sawFile)
    return r.fail(s3Error("InvalidArgument", "POST requires exactly one file upload per request."));
  if (!form.has("key"))
    return r.fail(s3Error("InvalidArgument", "Bucket POST must contain a field named 'key'."));
  std::string key = form.get("key");
  if (size_t at = key.find("${filename}"); at != std::string::npos) key.replace(at, 11, filename);
  form.fields["key"] = key;
  if (key.empty())
    return r.fail(s3Error("InvalidArgument", "User key must have a length greater than 0."));
  if (key.size() > meta::kMaxS3KeyBytes) return r.fail(s3Error("KeyTooLongError"));
  if (Status st = meta::validateObjectName(key); !st.ok()) {
    return r.fail(s3Error("InvalidArgument", "invalid key: " + st.message()));
  }

  auto who = formAuth(r, form);
  if (auto* e = std::get_if<S3Error>(&who)) return r.fail(*e);
  r.auth = std::get<S3Auth>(std::move(who));
  std::pair<uint64_t, uint64_t> sizeRange{0, UINT64_MAX};
  if (form.has("policy")) {
    if (auto err = checkPolicy(form.get("policy"), form, r.bucket, sizeRange)) return r.fail(*err);
  }
  if (!bucketAllowed(r, r.bucket, BucketAccess::kWrite)) return;

  // The object's metadata from the form's fields, as a PUT's headers would give it.
  PutOptions opts;
  for (std::string_view h : kKeptHeaders) {
    if (form.has(std::string(h))) opts.custom[std::string(h)] = form.get(std::string(h));
  }
  for (const auto& [lower, value] : form.fields) {
    if (lower.starts_with("x-amz-meta-")) opts.custom[lower] = value;
  }
  if (form.has("tagging") || form.has("x-amz-server-side-encryption") ||
      (form.has("x-amz-storage-class") && form.get("x-amz-storage-class") != "STANDARD")) {
    return r.fail(
        s3Error("NotImplemented", "tagging, encryption and storage classes in a POST form"));
  }
  auto acl = cannedAcl(r, form.get("acl"));
  if (!acl) return;
  recordAccess(r, *acl, opts.custom);

  Client* c = r.client();
  if (!c) return;
  PostSink sink(r, *c, key, opts, sizeRange.second);
  Status st = in.stream([&](std::string_view piece) { return sink.write(piece); });
  if (!st.ok()) {
    if (sink.overLimit()) {
      return r.fail(
          s3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"));
    }
    return malformed(st);
  }
  if (sink.size() < sizeRange.first) {
    return r.fail(
        s3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"));
  }
  auto info = sink.commit();
  if (!info.ok()) return r.fail(info.status());

  std::string etag = etagOf(*info);
  std::string location = urlOf(r, key);
  r.ex.responseHeaders().set(http::field::etag, etag);
  r.ex.responseHeaders().set(http::field::location, location);
  std::string redirect = form.get("success_action_redirect");
  if (redirect.empty()) redirect = form.get("redirect");
  if (redirect.starts_with("http://") || redirect.starts_with("https://")) {
    redirect += redirect.find('?') == std::string::npos ? '?' : '&';
    redirect += "bucket=" + uriEncode(r.bucket, true) + "&key=" + uriEncode(key, true) +
                "&etag=" + uriEncode(etag, true);
    r.ex.responseHeaders().set(http::field::location, redirect);
    (void)r.ex.respond(303);
    return;
  }
  std::string status = form.get("success_action_status");
  if (status == "201") {
    XmlWriter x;
    x.open("PostResponse");  // (S3's has no namespace: clients find Key without one)
    x.leaf("Location", location);
    x.leaf("Bucket", r.bucket);
    x.leaf("Key", key);
    x.leaf("ETag", etag);
    x.close("PostResponse");
    r.ex.responseHeaders().set(http::field::content_type, "application/xml");
    (void)r.ex.respond(201, x.str());
    return;
  }
  (void)r.ex.respond(status == "200" ? 200 : 204);
}

}  // namespace ais::gateway
