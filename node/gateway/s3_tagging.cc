// S3 tagging. Objects: up to 10 key/value tags, kept in the object's custom metadata
// (kMetaTags, URL-encoded as the x-amz-tagging header carries them), so they travel with the
// object through copies, mirrors, EC slices and rebalance. Set on PUT, CreateMultipartUpload
// and CopyObject (x-amz-tagging), replaced or removed with ?tagging. Changing tags changes
// neither the object's bytes, ETag nor version. Buckets: up to 50 tags in the bucket's props
// (BucketProps::tags, the same encoding), the owner's to change.
#include <fmt/format.h>

#include <set>

#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"
#include "node/gateway/url.h"

namespace ais::gateway {

namespace {

constexpr size_t kMaxTags = 10;
constexpr size_t kMaxBucketTags = 50;
constexpr size_t kMaxKeyChars = 128;
constexpr size_t kMaxValueChars = 256;

// Length in Unicode characters (S3's limits count characters, not bytes).
size_t utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<S3Error> checkTags(const TagSet& tags, size_t maxTags = kMaxTags) {
  if (tags.size() > maxTags) {
    return s3Error(maxTags == kMaxTags ? "BadRequest" : "InvalidTag",
                   fmt::format("{} tags cannot be greater than {}",
                               maxTags == kMaxTags ? "Object" : "Bucket", maxTags));
  }
  std::set<std::string_view> keys;
  for (const auto& [k, v] : tags) {
    if (k.empty() || utf8Chars(k) > kMaxKeyChars) {
      return s3Error("InvalidTag", "The TagKey you have provided is invalid");
    }
    if (utf8Chars(v) > kMaxValueChars) {
      return s3Error("InvalidTag", "The TagValue you have provided is invalid");
    }
    if (k.rfind("aws:", 0) == 0) {
      return s3Error("InvalidTag", "Your TagKey cannot be prefixed with aws:");
    }
    if (!keys.insert(k).second) {
      return s3Error("InvalidTag", "Cannot provide multiple Tags with the same key");
    }
  }
  return std::nullopt;
}

std::string encodeTags(const TagSet& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    if (!out.empty()) out += '&';
    out += uriEncode(k, false);
    out += '=';
    out += uriEncode(v, false);
  }
  return out;
}

// The header's or the stored form, in order; nullopt if malformed.
std::optional<TagSet> decodeTags(std::string_view encoded) {
  TagSet tags;
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t amp = encoded.find('&', pos);
    std::string_view item = encoded.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    pos = amp == std::string_view::npos ? encoded.size() : amp + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto k = urlDecode(item.substr(0, eq), true);
    auto v = urlDecode(eq == std::string_view::npos ? "" : item.substr(eq + 1), true);
    if (!k || !v) return std::nullopt;
    tags.emplace_back(std::move(*k), std::move(*v));
  }
  return tags;
}

TagSet tagsOf(const ObjectInfo& info) {
  auto it = info.custom.find(std::string(kMetaTags));
  if (it == info.custom.end()) return {};
  return decodeTags(it->second).value_or(TagSet{});
}

void sendTagging(S3Request& r, const TagSet& tags) {
  XmlWriter x;
  x.root("Tagging");
  x.open("TagSet");
  for (const auto& [k, v] : tags) {
    x.open("Tag");
    x.leaf("Key", k);
    x.leaf("Value", v);
    x.close("Tag");
  }
  x.close("TagSet");
  x.close("Tagging");
  sendXml(r, x);
}

// A PutObjectTagging/PutBucketTagging body, checked; nullopt after answering.
std::optional<TagSet> tagsFromBody(S3Request& r, size_t maxTags) {
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return std::nullopt;
  auto tags = parseTagging(*body);
  if (!tags.ok()) {
    r.fail(s3Error("MalformedXML", tags.status().message()));
    return std::nullopt;
  }
  if (auto err = checkTags(*tags, maxTags)) {
    r.fail(*err);
    return std::nullopt;
  }
  return std::move(*tags);
}

}  // namespace

bool tagsFromHeader(S3Request& r, std::map<std::string, std::string>& custom) {
  std::string_view header = r.ex.header("x-amz-tagging");
  if (header.empty()) return true;
  auto tags = decodeTags(header);
  if (!tags) {
    r.fail(s3Error("InvalidArgument", "x-amz-tagging is not a URL-encoded query string"));
    return false;
  }
  if (auto err = checkTags(*tags)) {
    r.fail(*err);
    return false;
  }
  if (!tags->empty()) custom[std::string(kMetaTags)] = encodeTags(*tags);
  return true;
}

void setTaggingCount(S3Request& r, const ObjectInfo& info) {
  size_t n = tagsOf(info).size();
  if (n > 0) r.ex.responseHeaders().set("x-amz-tagging-count", std::to_string(n));
}

namespace {

// Tags are the business of the bucket's owner and the object's writer.
std::optional<VersionRef> taggingAllowed(S3Request& r, Client& c) {
  auto v = requestedVersion(r, c);
  if (!v || !objectOwnerAllowed(r, r.bucket, v->info)) return std::nullopt;
  return v;
}

// Merged under the owner's name lock: only the tags change (an empty value removes them).
void setTags(S3Request& r, Client& c, const VersionRef& v, std::string encoded, unsigned status) {
  auto out = c.setCustom(v.bucket, v.name, {{std::string(kMetaTags), std::move(encoded)}}, true);
  if (!out.ok()) return r.fail(out.status());
  setVersionHeader(r, r.bucket, *out);
  (void)r.ex.respond(status);
}

}  // namespace

void getObjectTagging(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  auto v = taggingAllowed(r, *c);
  if (!v) return;
  setVersionHeader(r, r.bucket, v->info);
  sendTagging(r, tagsOf(v->info));
}

void putObjectTagging(S3Request& r) {
  auto tags = tagsFromBody(r, kMaxTags);
  if (!tags) return;
  Client* c = r.client();
  if (!c) return;
  if (auto v = taggingAllowed(r, *c)) setTags(r, *c, *v, encodeTags(*tags), 200);
}

void deleteObjectTagging(S3Request& r) {
  Client* c = r.client();
  if (!c) return;
  if (auto v = taggingAllowed(r, *c)) setTags(r, *c, *v, "", 204);
}

void getBucketTagging(S3Request& r) {
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  if (props->tags.empty()) return r.fail(s3Error("NoSuchTagSet"));
  sendTagging(r, decodeTags(props->tags).value_or(TagSet{}));
}

void putBucketTagging(S3Request& r) {
  auto tags = tagsFromBody(r, kMaxBucketTags);
  if (!tags) return;
  if (!setBucketField(r, &meta::BucketProps::tags, encodeTags(*tags))) return;
  (void)r.ex.respond(204);
}

void deleteBucketTagging(S3Request& r) {
  if (!setBucketField(r, &meta::BucketProps::tags, "")) return;
  (void)r.ex.respond(204);
}

}  // namespace ais::gateway
