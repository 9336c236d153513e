// S3 object versioning at the gateway: Put/GetBucketVersioning, ListObjectVersions of a bucket
// whose versioning was ever enabled, and finding one version of a key. A key's current version is
// its object; the older ones and the delete markers are in the bucket's versions bucket
// (meta::versionsBucket), named versionName(key, id), which the targets keep (store/versions.cc).
#include <algorithm>
#include <charconv>

#include "common/log.h"
#include "meta/names.h"
#include "node/gateway/s3_api.h"
#include "node/gateway/s3_xml.h"
#include "node/store/lom.h"

namespace ais::gateway {
namespace {

// Newest first, as the store orders a key's kept versions.
bool newerFirst(const ObjectInfo& a, const ObjectInfo& b) {
  if (a.mtimeNs != b.mtimeNs) return a.mtimeNs > b.mtimeNs;
  return versionIdOf(a) > versionIdOf(b);
}

// One bucket's listing read page by page in name order, from any name on.
class ListCursor {
 public:
  ListCursor(Client& c, std::string bucket, std::string prefix)
      : c_(c), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}

  // The next entry (nullptr at the end), or the listing's error.
  Result<const ObjectInfo*> peek() {
    while (next_ >= page_.size() && !done_) {
      ListOptions opts;
      opts.prefix = prefix_;
      opts.continuationToken = after_;
      opts.pageSize = 1000;
      auto p = c_.list(bucket_, opts);
      if (!p.ok()) return p.status();
      page_ = std::move(p->entries);
      next_ = 0;
      after_ = p->continuationToken;
      done_ = after_.empty();
    }
    if (next_ >= page_.size()) return static_cast<const ObjectInfo*>(nullptr);
    return &page_[next_];
  }
  ObjectInfo take() { return std::move(page_[next_++]); }
  // Goes on with the names after `after`.
  void seek(std::string after) {
    page_.clear();
    next_ = 0;
    after_ = std::move(after);
    done_ = false;
  }

 private:
  Client& c_;
  std::string bucket_, prefix_;
  std::vector<ObjectInfo> page_;
  size_t next_ = 0;
  std::string after_;
  bool done_ = false;
};

// After every kept version of `key` (ids are hex digits or "null").
std::string afterVersionsOf(const std::string& key) { return meta::versionName(key, "\xff"); }

}  // namespace

std::string versionIdOf(const ObjectInfo& info) {
  auto it = info.custom.find(std::string(store::kVersionIdKey));
  return it == info.custom.end() ? std::string(meta::kNullVersionId) : it->second;
}

bool isDeleteMarker(const ObjectInfo& info) {
  return info.custom.count(std::string(store::kDeleteMarkerKey)) > 0;
}

bool versioningEverEnabled(S3Request& r, const std::string& bucket) {
  auto props = findBucket(r, bucket);
  return props && !props->objectVersioning.empty();
}

void setVersionHeader(S3Request& r, const std::string& bucket, const ObjectInfo& info) {
  if (versioningEverEnabled(r, bucket)) {
    r.ex.responseHeaders().set("x-amz-version-id", versionIdOf(info));
  }
}

void setWrittenVersionHeader(S3Request& r, const ObjectInfo& info) {
  std::string id = versionIdOf(info);
  if (id != meta::kNullVersionId) r.ex.responseHeaders().set("x-amz-version-id", id);
}

Result<VersionRef> lookupVersion(S3Request& r, Client& c, const std::string& bucket,
                                 const std::string& key, const std::string& versionId) {
  const std::string vb = meta::versionsBucket(bucket);
  const std::string kept = meta::versionName(key, versionId);
  bool versioned = versioningEverEnabled(r, bucket);
  // The current version first (what most asks name), then the kept ones; a write that kept the
  // current meanwhile is found there on the second look.
  for (int look = 0; look < 2; ++look) {
    auto cur = r.gw.head(c, bucket, key);
    if (cur.ok() && versionIdOf(*cur) == versionId) return VersionRef{bucket, key, std::move(*cur)};
    if (!cur.ok() && cur.code() != Code::kObjectNotFound) return cur.status();
    if (!versioned) break;
    auto old = r.gw.head(c, vb, kept);
    if (old.ok()) return VersionRef{vb, kept, std::move(*old)};
    if (old.code() != Code::kObjectNotFound) return old.status();
  }
  return Status(Code::kObjectNotFound, key + " has no version " + versionId);
}

std::optional<VersionRef> findVersion(S3Request& r, Client& c, const std::string& bucket,
                                      const std::string& key, const std::string& versionId) {
  if (!meta::validVersionId(versionId)) {
    r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
    return std::nullopt;
  }
  bool versioned = versioningEverEnabled(r, bucket);
  if (!versioned && versionId != meta::kNullVersionId) {
    // Never versioned: every object is its one version, "null".
    r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
    return std::nullopt;
  }
  auto v = lookupVersion(r, c, bucket, key, versionId);
  if (v.ok()) return std::move(*v);
  if (v.code() != Code::kObjectNotFound) {
    failObjectLookup(r, bucket, v.status());
    return std::nullopt;
  }
  if (!bucketAllowed(r, bucket, BucketAccess::kRead)) return std::nullopt;
  r.fail(s3Error("NoSuchVersion", "The specified version does not exist."));
  return std::nullopt;
}

void setDeleteMarkerHeaders(S3Request& r, Client& c, const std::string& key) {
  if (!versioningEverEnabled(r, r.bucket)) return;
  ListCursor kept(c, meta::versionsBucket(r.bucket), meta::versionName(key, ""));
  std::optional<ObjectInfo> latest;
  for (;;) {
    auto e = kept.peek();
    if (!e.ok() || !*e) break;
    ObjectInfo v = kept.take();
    if (meta::splitVersionName(v.name).first != key) continue;
    if (!latest || newerFirst(v, *latest)) latest = std::move(v);
  }
  if (latest && isDeleteMarker(*latest)) {
    r.ex.responseHeaders().set("x-amz-delete-marker", "true");
    r.ex.responseHeaders().set("x-amz-version-id", versionIdOf(*latest));
  }
}

std::optional<VersionRef> requestedVersion(S3Request& r, Client& c) {
  if (r.has("versionId")) {
    auto v = findVersion(r, c, r.bucket, r.key, r.param("versionId"));
    if (v && isDeleteMarker(v->info)) {
      r.fail(s3Error("MethodNotAllowed"));
      return std::nullopt;
    }
    return v;
  }
  auto info = r.gw.head(c, r.bucket, r.key);
  if (!info.ok()) {
    failObjectLookup(r, r.bucket, info.status());
    return std::nullopt;
  }
  return VersionRef{r.bucket, r.key, std::move(*info)};
}

void getBucketVersioning(S3Request& r) {
  auto props = findBucket(r, r.bucket);
  if (!props) return r.fail(Status(Code::kBucketNotFound, r.bucket));
  XmlWriter x;
  x.root("VersioningConfiguration");
  // No Status until versioning was enabled once (then Enabled or Suspended).
  if (!props->objectVersioning.empty()) x.leaf("Status", props->objectVersioning);
  x.close("VersioningConfiguration");
  sendXml(r, x);
}

void putBucketVersioning(S3Request& r) {
  auto body = readSmallBody(r, 64 << 10);
  if (!body) return;
  auto conf = parseVersioningConfiguration(*body);
  if (!conf.ok()) return r.fail(s3Error("MalformedXML"));
  if (conf->mfaDelete == "Enabled") {
    return r.fail(s3Error("NotImplemented", "MFA delete is not supported"));
  }
  if (!conf->mfaDelete.empty() && conf->mfaDelete != "Disabled") {
    return r.fail(s3Error("MalformedXML"));
  }
  const std::string& status = conf->status;
  if (status.empty() && versioningEverEnabled(r, r.bucket)) return (void)r.ex.respond(200);
  if (status != meta::kVersioningEnabled && status != meta::kVersioningSuspended) {
    // (Empty too: a bucket never versioned stays so, but that is not what was asked.)
    return r.fail(s3Error("MalformedXML"));
  }
  if (!setBucketField(r, &meta::BucketProps::objectVersioning, status)) return;
  (void)r.ex.respond(200);
}

void listObjectVersions(S3Request& r) {
  if (!versioningEverEnabled(r, r.bucket)) return listObjects(r, ListKind::kVersions);
  auto params = listParams(r);
  if (!params) return;
  const std::string& prefix = params->prefix;
  const std::string& delimiter = params->delimiter;
  const bool url = params->url;
  const int maxKeys = params->maxKeys;
  std::string keyMarker = r.param("key-marker");
  std::string vidMarker = r.param("version-id-marker");
  if (!vidMarker.empty() && keyMarker.empty()) {
    return r.fail(s3Error("InvalidArgument",
                          "A version-id marker cannot be specified without a key marker."));
  }
  if (!vidMarker.empty() && !meta::validVersionId(vidMarker)) {
    return r.fail(s3Error("InvalidArgument", "Invalid version id specified"));
  }
  Client* c = r.client();
  if (!c) return;
  const std::string vb = meta::versionsBucket(r.bucket);
  ListCursor current(*c, r.bucket, prefix), kept(*c, vb, prefix);
  // The key a version-id marker is in: its current version (if any) is looked up, the rest of
  // it and what follows come from the cursors.
  std::optional<std::string> resumeKey;
  if (!keyMarker.empty()) {
    std::string after = keyMarker;
    // A marker that was a common prefix: on after everything under it.
    if (!delimiter.empty() && after.size() > prefix.size() && after.starts_with(prefix) &&
        after.ends_with(delimiter)) {
      after += meta::kAfterAllNames;
    }
    current.seek(after);
    if (vidMarker.empty()) {
      kept.seek(after == keyMarker ? afterVersionsOf(keyMarker) : after);
    } else {
      kept.seek(keyMarker);  // (its versions come first)
      resumeKey = keyMarker;
    }
  }
  struct Entry {
    ObjectInfo info;
    bool latest;
  };
  std::vector<std::pair<std::string, Entry>> out;  // key, version (or delete marker)
  std::vector<std::string> prefixes;
  int emitted = 0;
  bool truncated = false;
  std::string nextKey, nextVid;
  while (maxKeys > 0 && !truncated) {
    auto a = current.peek();
    if (!a.ok()) return r.fail(a.status());
    auto b = kept.peek();
    if (!b.ok()) return r.fail(b.status());
    std::optional<std::string> key;
    if (*a) key = (*a)->name;
    if (*b) {
      std::string k(meta::splitVersionName((*b)->name).first);
      if (!key || k < *key) key = std::move(k);
    }
    if (resumeKey && (!key || *resumeKey <= *key)) key = *resumeKey;
    if (!key) break;
    if (!delimiter.empty()) {
      size_t at = key->find(delimiter, prefix.size());
      if (at != std::string::npos) {
        std::string cp = key->substr(0, at + delimiter.size());
        if (emitted == maxKeys) {
          truncated = true;
          break;
        }
        prefixes.push_back(cp);
        ++emitted;
        nextKey = cp;
        nextVid.clear();
        current.seek(cp + std::string(meta::kAfterAllNames));
        kept.seek(cp + std::string(meta::kAfterAllNames));
        if (resumeKey && resumeKey->starts_with(cp)) resumeKey.reset();
        continue;
      }
    }
    // The key's versions: current first, then the kept ones newest first.
    std::vector<ObjectInfo> versions;
    if (*a && (*a)->name == *key) versions.push_back(current.take());
    if (resumeKey && *resumeKey == *key) {
      if (versions.empty()) {
        auto cur = r.gw.head(*c, r.bucket, *key);
        if (cur.ok()) {
          versions.push_back(std::move(*cur));
        } else if (cur.code() != Code::kObjectNotFound) {
          return r.fail(cur.status());
        }
      }
    }
    size_t keptFrom = versions.size();
    for (;;) {
      auto e = kept.peek();
      if (!e.ok()) return r.fail(e.status());
      if (!*e || meta::splitVersionName((*e)->name).first != *key) break;
      versions.push_back(kept.take());
    }
    std::sort(versions.begin() + static_cast<std::ptrdiff_t>(keptFrom), versions.end(), newerFirst);
    if (keptFrom == 1) {
      // Kept twice (a crash between keeping the current and replacing it): listed once.
      std::string curId = versionIdOf(versions[0]);
      versions.erase(std::remove_if(versions.begin() + 1, versions.end(),
                                    [&](const ObjectInfo& v) { return versionIdOf(v) == curId; }),
                     versions.end());
    }
    size_t from = 0;
    if (resumeKey && *resumeKey == *key) {
      for (size_t i = 0; i < versions.size(); ++i) {
        if (versionIdOf(versions[i]) == vidMarker) {
          from = i + 1;
          break;
        }
      }
      resumeKey.reset();
    }
    for (size_t i = from; i < versions.size(); ++i) {
      if (emitted == maxKeys) {
        truncated = true;
        break;
      }
      nextKey = *key;
      nextVid = versionIdOf(versions[i]);
      out.push_back({*key, Entry{std::move(versions[i]), i == 0}});
      ++emitted;
    }
  }

  auto enc = [url](const std::string& s) { return url ? uriEncode(s, true) : s; };
  std::string bucketOwnerName(kS3Owner);
  if (auto props = findBucket(r, r.bucket)) bucketOwnerName = bucketOwner(*props);
  const std::string writerKey(kMetaOwner);
  XmlWriter x;
  x.root("ListVersionsResult");
  x.leaf("Name", r.bucket);
  x.leaf("Prefix", prefix);
  if (!delimiter.empty()) x.leaf("Delimiter", enc(delimiter));
  x.leaf("MaxKeys", std::to_string(maxKeys));
  if (url) x.leaf("EncodingType", "url");
  x.leaf("IsTruncated", truncated ? "true" : "false");
  x.leaf("KeyMarker", enc(keyMarker));
  x.leaf("VersionIdMarker", vidMarker);
  if (truncated) {
    x.leaf("NextKeyMarker", enc(nextKey));
    if (!nextVid.empty()) x.leaf("NextVersionIdMarker", nextVid);
  }
  std::string etag;
  for (const auto& [key, e] : out) {
    bool marker = isDeleteMarker(e.info);
    const char* tag = marker ? "DeleteMarker" : "Version";
    x.open(tag);
    x.leaf("Key", enc(key));
    x.leaf("VersionId", versionIdOf(e.info));
    x.leaf("IsLatest", e.latest ? "true" : "false");
    x.leaf("LastModified", isoDateText(e.info.mtimeNs).view());
    if (!marker) {
      etag.clear();
      appendEtag(e.info, etag);
      x.leaf("ETag", etag);
      x.leaf("Size", std::to_string(e.info.size));
      x.leaf("StorageClass", "STANDARD");
    }
    auto writer = e.info.custom.find(writerKey);
    x.user("Owner", writer == e.info.custom.end() ? bucketOwnerName : writer->second);
    x.close(tag);
  }
  for (const auto& p : prefixes) {
    x.open("CommonPrefixes");
    x.leaf("Prefix", enc(p));
    x.close("CommonPrefixes");
  }
  x.close("ListVersionsResult");
  r.ex.responseHeaders().set(http::field::content_type, "application/xml");
  (void)r.ex.respond(200, x.str());
}

}  // namespace ais::gateway
