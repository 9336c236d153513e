// The S3 identities a gateway knows: the cluster's admin (s3_access_key / s3_secret_key, named
// "ais"; it owns the buckets made through the native API and `ais`) and any further users from
// "s3_users" in the node's config or the JSON file AIS_S3_USERS_FILE / "s3_users_file" names:
// [{"name": "alice", "access_key": "...", "secret_key": "..."}, ...]. No user at all: the
// gateway is anonymous (playground) and every request acts as the admin.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ais::gateway {

// The admin's user name: the owner of buckets and objects that name no other.
inline constexpr std::string_view kS3AdminUser = "ais";

struct S3User {
  std::string name;
  std::string accessKey;
  std::string secretKey;
};

struct S3Credentials {
  std::vector<S3User> users;  // the admin first, when it has a key
  std::string region = "us-east-1";
  // A problem in the users' configuration (duplicate names or keys, a malformed file): the
  // gateway refuses to start with it rather than serve with some users missing.
  std::string error;

  bool enabled() const { return !users.empty(); }
  const S3User* findByKey(std::string_view accessKey) const;
};

// Adds the users of a JSON array to creds (error set on a malformed entry or a duplicate);
// `origin` names where they came from, for the error.
void addS3Users(S3Credentials& creds, const nlohmann::json& users, const std::string& origin);
// The same from a JSON file.
void addS3UsersFile(S3Credentials& creds, const std::string& path);

}  // namespace ais::gateway
