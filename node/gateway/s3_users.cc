#include "node/gateway/s3_users.h"

#include <nlohmann/json.hpp>

#include "meta/codec.h"

namespace ais::gateway {

namespace {

bool validUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const S3User* S3Credentials::findByKey(std::string_view accessKey) const {
  for (const auto& u : users) {
    if (u.accessKey == accessKey) return &u;
  }
  return nullptr;
}

void addS3Users(S3Credentials& creds, const nlohmann::json& users, const std::string& origin) {
  if (!creds.error.empty()) return;
  if (!users.is_array()) {
    creds.error = origin + ": expected a JSON array of {name, access_key, secret_key}";
    return;
  }
  for (const auto& u : users) {
    S3User user;
    if (!u.is_object() || !u.contains("name") || !u["name"].is_string() ||
        !u.contains("access_key") || !u["access_key"].is_string() || !u.contains("secret_key") ||
        !u["secret_key"].is_string()) {
      creds.error = origin + ": every user needs string name, access_key and secret_key";
      return;
    }
    user.name = u["name"].get<std::string>();
    user.accessKey = u["access_key"].get<std::string>();
    user.secretKey = u["secret_key"].get<std::string>();
    if (!validUserName(user.name)) {
      creds.error = origin + ": user name '" + user.name +
                    "' must be 1-64 characters of letters, digits and . _ - @";
      return;
    }
    if (user.accessKey.empty() || user.secretKey.empty() ||
        user.accessKey.find_first_of(":/ ") != std::string::npos) {
      creds.error = origin + ": user '" + user.name +
                    "' needs a non-empty access key (without ':', '/' or spaces) and secret key";
      return;
    }
    for (const auto& other : creds.users) {
      if (other.name == user.name) {
        creds.error = origin + ": user name '" + user.name + "' appears twice";
        return;
      }
      if (other.accessKey == user.accessKey) {
        creds.error = origin + ": access key of '" + user.name + "' is also '" + other.name + "''s";
        return;
      }
    }
    creds.users.push_back(std::move(user));
  }
}

void addS3UsersFile(S3Credentials& creds, const std::string& path) {
  auto text = meta::readFile(path);
  if (!text.ok()) {
    creds.error = "S3 users file " + path + ": " + text.status().message();
    return;
  }
  try {
    addS3Users(creds, nlohmann::json::parse(*text), "S3 users file " + path);
  } catch (const std::exception& e) {
    creds.error = "S3 users file " + path + ": " + e.what();
  }
}

}  // namespace ais::gateway
