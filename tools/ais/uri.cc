#include "tools/ais/uri.h"

#include "meta/names.h"

namespace ais::cli {

std::string Uri::toString() const {
  return name.empty() ? "ais://" + bucket : "ais://" + bucket + "/" + name;
}

Result<Uri> parseUri(std::string_view arg) {
  constexpr std::string_view kScheme = "ais://";
  std::string_view rest = arg;
  if (auto pos = arg.find("://"); pos != std::string_view::npos) {
    if (arg.substr(0, pos + 3) != kScheme) {
      return Status(Code::kInvalidArgument, "unsupported scheme '" +
                                                std::string(arg.substr(0, pos + 3)) + "' in '" +
                                                std::string(arg) + "' (only ais:// buckets exist)");
    }
    rest = arg.substr(kScheme.size());
  }
  Uri uri;
  auto slash = rest.find('/');
  uri.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) uri.name = std::string(rest.substr(slash + 1));
  if (uri.bucket.empty()) {
    return Status(Code::kBadBucketName, "missing bucket name in '" + std::string(arg) + "'");
  }
  if (auto st = meta::validateBucketName(uri.bucket); !st.ok()) {
    return Status(st.code(), st.message().empty() ? "'" + uri.bucket + "'" : st.message());
  }
  return uri;
}

Result<Uri> parseBucketUri(std::string_view arg) {
  auto uri = parseUri(arg);
  if (!uri.ok()) return uri;
  if (!uri->name.empty()) {
    return Status(
        Code::kInvalidArgument,
        "expected a bucket (ais://BUCKET), got an object name in '" + std::string(arg) + "'");
  }
  return uri;
}

Result<Uri> parseObjectUri(std::string_view arg) {
  auto uri = parseUri(arg);
  if (!uri.ok()) return uri;
  if (uri->name.empty()) {
    return Status(Code::kInvalidArgument,
                  "expected an object (ais://BUCKET/NAME), got '" + std::string(arg) + "'");
  }
  if (auto st = meta::validateObjectName(uri->name); !st.ok()) {
    return Status(st.code(), st.message().empty() ? "'" + uri->name + "'" : st.message());
  }
  return uri;
}

}  // namespace ais::cli
