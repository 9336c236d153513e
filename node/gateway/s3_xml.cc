#include "node/gateway/s3_xml.h"

#include <algorithm>
#include <pugixml.hpp>

#include "common/ascii.h"

namespace ais::gateway {

namespace {

// Appends s to out, escaped for XML text.
void appendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 cannot carry most control characters even escaped; S3 clients expect
        // encoding-type=url for such keys, so escape them numerically for the rest.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#" + std::to_string(static_cast<int>(c)) + ";";
        } else {
          out += c;
        }
    }
  }
}

bool needsEscape(std::string_view s) {
  for (char c : s) {
    if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' ||
        static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string xmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  appendEscaped(out, s);
  return out;
}

void XmlWriter::root(std::string_view tag) {
  out_ += '<';
  out_ += tag;
  out_ += std::string_view(" xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
}

void XmlWriter::open(std::string_view tag) {
  out_ += '<';
  out_ += tag;
  out_ += '>';
}

void XmlWriter::close(std::string_view tag) {
  out_ += std::string_view("</");
  out_ += tag;
  out_ += '>';
}

void XmlWriter::leaf(std::string_view tag, std::string_view text) {
  open(tag);
  // (Listings write seven leaves per object: most text needs no escaping, and no copy.)
  if (needsEscape(text)) {
    appendEscaped(out_, text);
  } else {
    out_ += text;
  }
  close(tag);
}

namespace {

Result<pugi::xml_node> parseRoot(pugi::xml_document& doc, std::string_view xml, const char* root) {
  // parse_ws_pcdata_single: a key of only spaces (<Key> </Key>) is a key, not an empty one.
  auto r = doc.load_buffer(xml.data(), xml.size(),
                           pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_utf8);
  if (!r) return Status(Code::kInvalidArgument, std::string("XML: ") + r.description());
  pugi::xml_node n = doc.document_element();
  if (std::string_view(n.name()) != root) {
    return Status(Code::kInvalidArgument, std::string("XML root is not ") + root);
  }
  return n;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  if (s.size() >= 12 && s.rfind("&quot;", 0) == 0) return s.substr(6, s.size() - 12);
  return s;
}

}  // namespace

Result<DeleteRequest> parseDeleteObjects(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "Delete");
  if (!root.ok()) return root.status();
  DeleteRequest req;
  for (pugi::xml_node n : root->children()) {
    std::string_view name = n.name();
    if (name == "Quiet") {
      req.quiet = std::string_view(n.child_value()) == "true";
    } else if (name == "Object") {
      pugi::xml_node key = n.child("Key");
      if (!key) return Status(Code::kInvalidArgument, "Object without Key");
      req.keys.push_back({key.child_value(), n.child_value("ETag"), n.child_value("VersionId")});
    }
  }
  if (req.keys.empty() || req.keys.size() > 1000) {
    return Status(Code::kInvalidArgument, "Delete needs 1 to 1000 keys");
  }
  return req;
}

Result<VersioningConfiguration> parseVersioningConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "VersioningConfiguration");
  if (!root.ok()) return root.status();
  return VersioningConfiguration{root->child_value("Status"), root->child_value("MfaDelete")};
}

Result<std::string> parseLocationConstraint(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "CreateBucketConfiguration");
  if (!root.ok()) return root.status();
  return std::string(root->child_value("LocationConstraint"));
}

Result<std::optional<std::string>> cannedAclOfPolicy(std::string_view xml, std::string_view owner) {
  static constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
  static constexpr std::string_view kAuthenticated =
      "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "AccessControlPolicy");
  if (!root.ok()) return root.status();
  pugi::xml_node list = root->child("AccessControlList");
  if (!list) return Status(Code::kInvalidArgument, "AccessControlPolicy without AccessControlList");
  bool allRead = false, allWrite = false, authRead = false;
  for (pugi::xml_node g : list.children("Grant")) {
    pugi::xml_node grantee = g.child("Grantee");
    std::string_view perm = g.child_value("Permission");
    std::string_view uri = grantee.child_value("URI");
    if (grantee.child("EmailAddress")) return std::optional<std::string>();
    if (!grantee.child("URI")) {
      if (std::string_view(grantee.child_value("ID")) != owner || perm != "FULL_CONTROL") {
        return std::optional<std::string>();
      }
    } else if (uri == kAllUsers && perm == "READ") {
      allRead = true;
    } else if (uri == kAllUsers && perm == "WRITE") {
      allWrite = true;
    } else if (uri == kAuthenticated && perm == "READ") {
      authRead = true;
    } else {
      return std::optional<std::string>();
    }
  }
  if (authRead) {
    if (allRead || allWrite) return std::optional<std::string>();
    return std::optional<std::string>("authenticated-read");
  }
  if (allWrite) {
    if (!allRead) return std::optional<std::string>();
    return std::optional<std::string>("public-read-write");
  }
  return std::optional<std::string>(allRead ? "public-read" : "");
}

Result<std::vector<CorsRule>> parseCorsConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "CORSConfiguration");
  if (!root.ok()) return root.status();
  std::vector<CorsRule> rules;
  for (pugi::xml_node n : root->children("CORSRule")) {
    CorsRule rule;
    rule.id = n.child_value("ID");
    for (pugi::xml_node c : n.children()) {
      std::string_view name = c.name();
      std::string value = c.child_value();
      if (name == "AllowedOrigin") {
        if (std::count(value.begin(), value.end(), '*') > 1) {
          return Status(Code::kInvalidArgument,
                        "AllowedOrigin \"" + value + "\" can not have more than one wildcard.");
        }
        rule.origins.push_back(std::move(value));
      } else if (name == "AllowedMethod") {
        if (value != "GET" && value != "PUT" && value != "HEAD" && value != "POST" &&
            value != "DELETE") {
          return Status(
              Code::kInvalidArgument,
              "Found unsupported HTTP method in CORS config. Unsupported method is " + value);
        }
        rule.methods.push_back(std::move(value));
      } else if (name == "AllowedHeader") {
        rule.headers.push_back(std::move(value));
      } else if (name == "ExposeHeader") {
        rule.exposeHeaders.push_back(std::move(value));
      } else if (name == "MaxAgeSeconds") {
        try {
          size_t pos = 0;
          rule.maxAgeSeconds = std::stoll(value, &pos);
          if (pos != value.size() || rule.maxAgeSeconds < 0) throw std::invalid_argument(value);
        } catch (...) {
          return Status(Code::kInvalidArgument, "MaxAgeSeconds must be a non-negative number");
        }
      }
    }
    if (rule.origins.empty() || rule.methods.empty()) {
      return Status(Code::kInvalidArgument,
                    "Every CORSRule needs at least one AllowedOrigin and one AllowedMethod");
    }
    rules.push_back(std::move(rule));
  }
  if (rules.empty() || rules.size() > 100) {
    return Status(Code::kInvalidArgument, "A CORS configuration holds 1 to 100 CORSRules");
  }
  return rules;
}

std::string corsConfigurationXml(const std::vector<CorsRule>& rules) {
  XmlWriter x;
  x.root("CORSConfiguration");
  for (const auto& r : rules) {
    x.open("CORSRule");
    if (!r.id.empty()) x.leaf("ID", r.id);
    for (const auto& v : r.headers) x.leaf("AllowedHeader", v);
    for (const auto& v : r.methods) x.leaf("AllowedMethod", v);
    for (const auto& v : r.origins) x.leaf("AllowedOrigin", v);
    for (const auto& v : r.exposeHeaders) x.leaf("ExposeHeader", v);
    if (r.maxAgeSeconds >= 0) x.leaf("MaxAgeSeconds", std::to_string(r.maxAgeSeconds));
    x.close("CORSRule");
  }
  x.close("CORSConfiguration");
  return x.str();
}

Result<TagSet> parseTagging(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "Tagging");
  if (!root.ok()) return root.status();
  pugi::xml_node set = root->child("TagSet");
  if (!set) return Status(Code::kInvalidArgument, "Tagging without TagSet");
  TagSet tags;
  for (pugi::xml_node t : set.children("Tag")) {
    pugi::xml_node key = t.child("Key");
    if (!key) return Status(Code::kInvalidArgument, "Tag without Key");
    tags.emplace_back(key.child_value(), t.child_value("Value"));
  }
  return tags;
}

Result<std::vector<CompletePart>> parseCompleteMultipart(std::string_view xml) {
  pugi::xml_document doc;
  auto root = parseRoot(doc, xml, "CompleteMultipartUpload");
  if (!root.ok()) return root.status();
  std::vector<CompletePart> parts;
  for (pugi::xml_node n : root->children("Part")) {
    CompletePart p;
    std::string num = n.child_value("PartNumber");
    try {
      size_t pos = 0;
      p.number = std::stoi(num, &pos);
      if (pos != num.size()) throw std::invalid_argument(num);
    } catch (...) {
      return Status(Code::kInvalidArgument, "bad PartNumber");
    }
    p.etag = unquote(n.child_value("ETag"));
    for (pugi::xml_node c : n.children()) {
      std::string_view name = c.name();
      if (name.size() > 8 && name.starts_with("Checksum")) {
        p.checksums[asciiLower(name.substr(8))] = c.child_value();
      }
    }
    parts.push_back(std::move(p));
  }
  if (parts.empty()) return Status(Code::kInvalidArgument, "no parts");
  return parts;
}

}  // namespace ais::gateway
