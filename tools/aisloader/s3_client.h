// aisloader's S3 mode: a minimal S3 client over one kept-alive HTTP/1.1 connection (Boost.Beast,
// blocking; one per worker), path-style requests, signed with AWS Signature Version 4 when
// credentials are given (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION, as the AWS
// tools read them), anonymous otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace ais::loader {

struct S3Credentials {
  std::string accessKey, secretKey, region = "us-east-1";
  bool empty() const { return accessKey.empty(); }
  static S3Credentials fromEnvironment();
};

class S3Client {
 public:
  // endpoint: http://host:port[/prefix] (e.g. AIStore's http://host:port/s3).
  static Result<std::unique_ptr<S3Client>> connect(const std::string& endpoint,
                                                   S3Credentials creds);
  ~S3Client();

  Status createBucket(const std::string& bucket);  // OK if it exists already (ours)
  Status put(const std::string& bucket, const std::string& key, const std::string& data);
  Result<std::string> get(const std::string& bucket, const std::string& key);
  Status remove(const std::string& bucket, const std::string& key);
  struct Entry {
    std::string key;
    uint64_t size = 0;
  };
  Result<std::vector<Entry>> listAll(const std::string& bucket);

 private:
  struct Conn;
  S3Client(std::unique_ptr<Conn> conn, std::string host, std::string prefix, S3Credentials creds);
  struct Reply {
    unsigned status = 0;
    std::string body;
  };
  // One request (reconnecting once if the kept-alive connection was closed).
  Result<Reply> request(const std::string& method, const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& query,
                        const std::string& body);

  std::unique_ptr<Conn> conn_;
  std::string host_;    // host:port, the Host header and the signature's
  std::string prefix_;  // path prefix of the endpoint ("" or "/s3")
  S3Credentials creds_;
};

// The SigV4 Authorization header of a request (exposed for its unit test).
std::string sigV4Authorization(const S3Credentials& creds, const std::string& method,
                               const std::string& canonicalPath, const std::string& canonicalQuery,
                               const std::string& host, const std::string& amzDate,
                               const std::string& payloadHash);

}  // namespace ais::loader
