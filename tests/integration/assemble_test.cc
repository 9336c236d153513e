// assembleObject (S3 multipart Complete) on a real 1-proxy + 3-target cluster: the destination's
// owner concatenates parts held by itself and by the other targets; nothing shows before commit.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "meta/hrw.h"
#include "tests/integration/cluster_fixture.h"

namespace ais::testing {
namespace {

class AssembleTest : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    bucket_ = "asm-" + std::to_string(counter_++);
    parts_ = bucket_ + "-parts";
    ASSERT_TRUE(client_->createBucket(bucket_).ok());
    ASSERT_TRUE(client_->createBucket(parts_).ok());
  }

  std::string ownerOf(const std::string& bucket, const std::string& name) {
    auto smap = client_->smap();
    EXPECT_TRUE(smap.ok());
    const meta::NodeInfo* t = meta::ownerTarget(*smap, meta::uname(bucket, name));
    return t ? t->id : "";
  }

  // A part name of parts_ owned by target `id` (the n-th such name).
  std::string partOwnedBy(const std::string& id, int n) {
    for (int i = 0;; ++i) {
      std::string name = "up/p" + std::to_string(i);
      if (ownerOf(parts_, name) == id && n-- == 0) return name;
    }
  }

  static inline int counter_ = 0;
  std::string bucket_;
  std::string parts_;
};

TEST_F(AssembleTest, ConcatenatesPartsFromEveryTarget) {
  std::string dest = "big/object";
  std::string self = ownerOf(bucket_, dest);
  // Two parts per target (local to the assembler and remote), sizes across the inline limit
  // and the stream chunk size, and an empty part in the middle.
  std::vector<size_t> sizes = {(3 << 20) + 123, 0, 100 << 10, (1 << 20) + 1, 5, 256 << 10};
  std::vector<std::string> names;
  std::set<std::string> owners;
  std::string expected;
  auto targets = cluster_->targetIds();
  ASSERT_EQ(targets.size(), 3u);
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string name = partOwnedBy(targets[i % 3], static_cast<int>(i / 3));
    std::string data = patternBytes(i, sizes[i]);
    auto put = client_->put(parts_, name, data);
    ASSERT_TRUE(put.ok()) << put.status().toString();
    names.push_back(name);
    owners.insert(targets[i % 3]);
    expected += data;
  }
  EXPECT_EQ(owners.size(), 3u);
  EXPECT_TRUE(owners.count(self));

  auto info = client_->assemble(bucket_, dest, parts_, names, PutOptions{{{"etag", "abc-6"}}});
  ASSERT_TRUE(info.ok()) << info.status().toString();
  EXPECT_EQ(info->size, expected.size());
  EXPECT_EQ(info->custom.at("etag"), "abc-6");
  auto got = client_->get(bucket_, dest);
  ASSERT_TRUE(got.ok()) << got.status().toString();
  EXPECT_TRUE(*got == expected);
  auto head = client_->head(bucket_, dest);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->targetId, self);
  for (const auto& n : names) EXPECT_TRUE(client_->head(parts_, n).ok()) << n;  // parts stay
}

TEST_F(AssembleTest, AssemblesOnlyEmptyParts) {
  std::vector<std::string> names;
  for (const auto& t : cluster_->targetIds()) {
    names.push_back(partOwnedBy(t, 0));
    ASSERT_TRUE(client_->put(parts_, names.back(), "").ok());
  }
  auto info = client_->assemble(bucket_, "empty", parts_, names);
  ASSERT_TRUE(info.ok()) << info.status().toString();
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(*client_->get(bucket_, "empty"), "");
}

TEST_F(AssembleTest, MissingPartFailsAndLeavesTheOldObject) {
  std::string dest = "kept";
  ASSERT_TRUE(client_->put(bucket_, dest, "old bytes").ok());
  std::string self = ownerOf(bucket_, dest);
  // Missing on the assembler itself and on another target.
  for (const auto& t : cluster_->targetIds()) {
    std::string present = partOwnedBy(t, 0);
    std::string missing = partOwnedBy(t, 1);
    ASSERT_TRUE(client_->put(parts_, present, patternBytes(1, 2 << 20)).ok());
    auto r = client_->assemble(bucket_, dest, parts_, {present, missing});
    EXPECT_EQ(r.code(), Code::kObjectNotFound) << t << (t == self ? " (self)" : "");
    EXPECT_NE(r.status().message().find(missing), std::string::npos) << r.status().toString();
    EXPECT_EQ(*client_->get(bucket_, dest), "old bytes");
  }
  EXPECT_EQ(client_->assemble(bucket_, "x", "no-such-bucket", {"a"}).code(), Code::kBucketNotFound);
  EXPECT_EQ(client_->head(bucket_, "x").code(), Code::kObjectNotFound);
}

TEST_F(AssembleTest, StreamedPutCommitsMetadataWithTheBytes) {
  auto h = client_->beginPut(bucket_, "tagged", PutOptions{{{"a", "1"}}});
  ASSERT_TRUE(h.ok()) << h.status().toString();
  ASSERT_TRUE((*h)->write(patternBytes(3, (2 << 20) + 9)).ok());
  auto info = (*h)->commit(std::map<std::string, std::string>{{"etag", "md5"}, {"a", "2"}});
  ASSERT_TRUE(info.ok()) << info.status().toString();
  std::map<std::string, std::string> want{{"a", "2"}, {"etag", "md5"}};
  EXPECT_EQ(info->custom, want);
  EXPECT_EQ(client_->head(bucket_, "tagged")->custom, want);
  // Without custom at commit, beginPut's metadata stays.
  auto h2 = client_->beginPut(bucket_, "plain", PutOptions{{{"a", "1"}}});
  ASSERT_TRUE(h2.ok());
  ASSERT_TRUE((*h2)->write("x").ok());
  ASSERT_TRUE((*h2)->commit().ok());
  EXPECT_EQ(client_->head(bucket_, "plain")->custom.at("a"), "1");
}

}  // namespace
}  // namespace ais::testing
