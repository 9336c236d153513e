// ListObjects (v1), ListObjectsV2 and ListObjectVersions: prefix, delimiter (CommonPrefixes),
// max-keys, marker / continuation-token / start-after / key-marker, encoding-type=url. Pages come
// from the cluster's merged, sorted listing, so pagination is exact. Without S3 versioning every
// object is one version, "null" and latest, so ListObjectVersions is v1 in its own shape (what
// S3 answers for a bucket whose versioning was never enabled).
#include <charconv>

#include "common/digest.h"
#include "meta/names.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"

namespace ais::gateway {

std::optional<ListParams> listParams(S3Request& r) {
  ListParams p{r.param("prefix"), r.param("delimiter"), false, 1000};
  std::string encoding = r.param("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    r.fail(s3Error("InvalidArgument", "Invalid Encoding Method specified in Request"));
    return std::nullopt;
  }
  p.url = encoding == "url";
  if (r.has("max-keys")) {
    std::string v = r.param("max-keys");
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p.maxKeys);
    if (ec != std::errc() || end != v.data() + v.size() || p.maxKeys < 0) {
      r.fail(s3Error("InvalidArgument", "max-keys must be a non-negative integer"));
      return std::nullopt;
    }
  }
  p.maxKeys = std::min(p.maxKeys, 1000);
  return p;
}

void listObjects(S3Request& r, ListKind kind) {
  const bool v2 = kind == ListKind::kV2;
  const bool versions = kind == ListKind::kVersions;
  auto params = listParams(r);
  if (!params) return;
  const std::string& prefix = params->prefix;
  const std::string& delimiter = params->delimiter;
  const bool url = params->url;
  const int maxKeys = params->maxKeys;

  // Where to start: v2's token is ours (base64 of the listing's own token), start-after and v1's
  // marker are keys; the listing continues after either.
  std::string start;
  std::string token = r.param("continuation-token");
  if (v2 && r.has("continuation-token")) {
    start = base64Decode(token);
    if (start.empty())
      return r.fail(s3Error("InvalidArgument", "The continuation token provided is incorrect"));
  } else if (v2) {
    start = r.param("start-after");
  } else {
    start = r.param(versions ? "key-marker" : "marker");
    if (versions) {
      std::string vm = r.param("version-id-marker");
      if (!vm.empty() && start.empty()) {
        return r.fail(s3Error("InvalidArgument",
                              "A version-id marker cannot be specified without a key marker."));
      }
      if (!vm.empty() && vm != "null") {
        return r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
      }
    }
    // A NextMarker that was a common prefix: continue after everything under it.
    if (!delimiter.empty() && start.size() > prefix.size() && start.rfind(prefix, 0) == 0 &&
        start.compare(start.size() - delimiter.size(), delimiter.size(), delimiter) == 0) {
      start += meta::kAfterAllNames;
    }
  }

  Client* c = r.client();
  if (!c) return;
  ListPage page;
  if (maxKeys > 0) {
    ListOptions opts;
    opts.prefix = prefix;
    opts.delimiter = delimiter;
    opts.continuationToken = start;
    opts.pageSize = static_cast<uint32_t>(maxKeys);
    auto p = c->list(r.bucket, opts);
    if (!p.ok()) return r.fail(p.status());
    page = std::move(*p);
  }  // (max-keys=0: the router found the bucket)
  bool truncated = !page.continuationToken.empty();
  auto enc = [url](const std::string& s) { return url ? uriEncode(s, true) : s; };

  XmlWriter x;
  const char* rootTag = versions ? "ListVersionsResult" : "ListBucketResult";
  const char* entryTag = versions ? "Version" : "Contents";
  x.root(rootTag);
  x.leaf("Name", r.bucket);
  // v1 sends its Prefix as given even under url encoding (botocore decodes only Delimiter,
  // Marker, NextMarker and the entries of a v1 answer; v2 decodes Prefix and StartAfter too).
  x.leaf("Prefix", v2 ? enc(prefix) : prefix);
  if (!delimiter.empty()) x.leaf("Delimiter", enc(delimiter));
  x.leaf("MaxKeys", std::to_string(maxKeys));
  if (url) x.leaf("EncodingType", "url");
  x.leaf("IsTruncated", truncated ? "true" : "false");
  if (v2) {
    x.leaf("KeyCount", std::to_string(page.entries.size() + page.commonPrefixes.size()));
    if (r.has("continuation-token")) x.leaf("ContinuationToken", token);
    if (r.has("start-after")) x.leaf("StartAfter", enc(r.param("start-after")));
    if (truncated) x.leaf("NextContinuationToken", base64Encode(page.continuationToken));
  } else {
    std::string given = versions ? r.param("key-marker") : start;
    x.leaf(versions ? "KeyMarker" : "Marker", enc(given));
    if (versions) x.leaf("VersionIdMarker", r.param("version-id-marker"));
    // v1 clients page by the last key; S3 sends NextMarker only with a delimiter (versions:
    // NextKeyMarker always): the last key or common prefix of this page (a marker that is a
    // common prefix skips all under it).
    if (truncated && (versions || !delimiter.empty())) {
      std::string last = page.entries.empty() ? std::string() : page.entries.back().name;
      if (!page.commonPrefixes.empty() && page.commonPrefixes.back() > last) {
        last = page.commonPrefixes.back();
      }
      x.leaf(versions ? "NextKeyMarker" : "NextMarker", enc(last));
      if (versions) x.leaf("NextVersionIdMarker", "null");
    }
  }
  bool owner = !v2 || r.param("fetch-owner") == "true";
  // Each object's owner: its writer when not the bucket's owner, else the bucket's.
  std::string bucketOwnerName(kS3Owner);
  if (owner) {
    if (auto props = findBucket(r, r.bucket)) bucketOwnerName = bucketOwner(*props);
  }
  const std::string writerKey(kMetaOwner);
  x.reserve(512 + page.entries.size() * (owner ? 320 : 240));
  std::string etag;  // (one buffer for the page's ETags)
  for (const auto& e : page.entries) {
    x.open(entryTag);
    if (url) {
      x.leaf("Key", uriEncode(e.name, true));
    } else {
      x.leaf("Key", e.name);
    }
    if (versions) {
      x.leaf("VersionId", "null");
      x.leaf("IsLatest", "true");
    }
    x.leaf("LastModified", isoDateText(e.mtimeNs).view());
    etag.clear();
    appendEtag(e, etag);
    x.leaf("ETag", etag);
    char size[24];
    x.leaf("Size",
           std::string_view(size, std::to_chars(size, size + sizeof size, e.size).ptr - size));
    x.leaf("StorageClass", "STANDARD");
    if (owner) {
      auto writer = e.custom.find(writerKey);
      x.user("Owner", writer == e.custom.end() ? bucketOwnerName : writer->second);
    }
    x.close(entryTag);
  }
  for (const auto& p : page.commonPrefixes) {
    x.open("CommonPrefixes");
    x.leaf("Prefix", enc(p));
    x.close("CommonPrefixes");
  }
  x.close(rootTag);
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, x.str());
}

}  // namespace ais::gateway
