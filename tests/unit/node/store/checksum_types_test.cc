// checksum.type: each bucket's objects keep the digest of its type (beside the XXH64 and block
// checksums that guard reads), it survives a restart and a copy, and the scrub checks it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include "common/digest.h"
#include "node/store/store.h"
#include "temp_dir.h"

namespace ais::store {
namespace {

using testing::pattern;

class ChecksumTypesTest : public testing::OneMountpathStoreTest {};

std::string digestHex(std::string_view type, const std::string& data) {
  Hasher h(type);
  h.update(data);
  return toHex(h.finish());
}

TEST_F(ChecksumTypesTest, EachTypeKeepsItsDigest) {
  std::map<std::string, BucketPolicy, std::less<>> policies;
  for (const char* type : {"md5", "sha256", "crc32c", "xxhash64", "none"}) {
    policies[std::string("b-") + type] = BucketPolicy{.copies = 1, .checksumType = type};
  }
  store_->setBucketPolicies(policies);
  std::string data = pattern(200000, 5);
  for (const auto& [bucket, policy] : policies) {
    auto lom = store_->putBytes(bucket, "obj", data);
    ASSERT_TRUE(lom.ok()) << bucket << ": " << lom.status().toString();
    EXPECT_EQ(lom->checksumType, policy.checksumType);
    EXPECT_EQ(lom->checksum, XXH64(data.data(), data.size(), 0)) << bucket;  // always kept
    std::string want = policy.checksumType == "none"       ? ""
                       : policy.checksumType == "xxhash64" ? fmt::format("{:016x}", lom->checksum)
                                                           : digestHex(policy.checksumType, data);
    EXPECT_EQ(lom->checksumValue, want) << bucket;
  }
  reopen();  // the LOMs as stored
  for (const auto& [bucket, policy] : policies) {
    auto lom = store_->head(bucket, "obj");
    ASSERT_TRUE(lom.ok());
    EXPECT_EQ(lom->checksumType, policy.checksumType);
    auto rd = store_->openObject(bucket, "obj");
    ASSERT_TRUE(rd.ok());
    EXPECT_TRUE((*rd)->verifyAll().ok()) << bucket;
    auto report = store_->validate(0, bucket);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->corruptCount, 0u) << bucket;
  }
  EXPECT_EQ(store_->head("b-md5", "obj")->checksumValue, digestHex("md5", data));
}

TEST_F(ChecksumTypesTest, AnUnknownTypeIsRefused) {
  store_->setBucketPolicies({{"weird", BucketPolicy{.copies = 1, .checksumType = "md7"}}});
  EXPECT_EQ(store_->beginPut("weird", "o").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ais::store
