// S3 XML: a small writer for responses (escaping is the only subtle part) and the parsers of the
// request bodies S3 defines (DeleteObjects, CompleteMultipartUpload), on pugixml.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ais::gateway {

class XmlWriter {
 public:
  XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }
  // <tag xmlns="http://s3.amazonaws.com/doc/2006-03-01/"> for the document root.
  void root(std::string_view tag);
  void open(std::string_view tag);
  void close(std::string_view tag);
  void leaf(std::string_view tag, std::string_view text);
  // <tag><ID>name</ID><DisplayName>name</DisplayName></tag>: an S3 user (Owner, Grantee, ...).
  void user(std::string_view tag, std::string_view name) {
    open(tag);
    leaf("ID", name);
    leaf("DisplayName", name);
    close(tag);
  }
  // Markup written as is (a tag with attributes, e.g. an ACL's <Grantee xsi:type=...>).
  void raw(std::string_view markup) { out_ += markup; }
  void reserve(size_t bytes) { out_.reserve(bytes); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string xmlEscape(std::string_view s);

struct DeleteRequest {
  struct Key {
    std::string key;
    std::string etag;       // <ETag>: delete only if the object has it (conditional), or ""
    std::string versionId;  // <VersionId>, or ""
  };
  bool quiet = false;
  std::vector<Key> keys;
};
// A CreateBucketConfiguration body: its LocationConstraint ("" if none). kInvalidArgument (→
// MalformedXML) on bad XML.
Result<std::string> parseLocationConstraint(std::string_view xml);
// PutBucketVersioning's VersioningConfiguration: its Status and MfaDelete ("" when absent).
struct VersioningConfiguration {
  std::string status, mfaDelete;
};
Result<VersioningConfiguration> parseVersioningConfiguration(std::string_view xml);

// An AccessControlPolicy body (PutBucketAcl, PutObjectAcl) as the canned ACL its grants amount
// to: FULL_CONTROL of `owner` and nothing else is "" (private); READ for AllUsers public-read,
// READ and WRITE for AllUsers public-read-write, READ for AuthenticatedUsers authenticated-read.
// nullopt if the grants are not one of those (other grantees). kInvalidArgument (→ MalformedXML)
// on bad XML.
Result<std::optional<std::string>> cannedAclOfPolicy(std::string_view xml, std::string_view owner);

// One rule of a bucket's CORS configuration (PutBucketCors), as given.
struct CorsRule {
  std::string id;
  std::vector<std::string> origins, methods, headers, exposeHeaders;
  int64_t maxAgeSeconds = -1;  // -1: none
};
// A CORSConfiguration body: its rules, checked (1 to 100 rules, each with origins and methods
// of GET/PUT/HEAD/POST/DELETE, at most one '*' per origin). kInvalidArgument with S3's message
// on a bad rule, kMalformed... → MalformedXML on bad XML (the caller maps both).
Result<std::vector<CorsRule>> parseCorsConfiguration(std::string_view xml);
// The rules as a CORSConfiguration document (what is kept and what GetBucketCors returns).
std::string corsConfigurationXml(const std::vector<CorsRule>& rules);

// An object's tags (S3 object tagging), in the order given.
using TagSet = std::vector<std::pair<std::string, std::string>>;
// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>; kInvalidArgument (→
// MalformedXML) on bad XML or a Tag without a Key. The tags' rules are checked by the caller.
Result<TagSet> parseTagging(std::string_view xml);

// kInvalidArgument (→ MalformedXML) on bad XML or more than 1000 keys.
Result<DeleteRequest> parseDeleteObjects(std::string_view xml);

struct CompletePart {
  int number = 0;
  std::string etag;  // without quotes
  // <ChecksumCRC32> & co: algorithm (lowercase, "crc32") → base64 value, as the client sent them
  std::map<std::string, std::string> checksums;
};
Result<std::vector<CompletePart>> parseCompleteMultipart(std::string_view xml);

}  // namespace ais::gateway
