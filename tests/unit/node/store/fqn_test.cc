// FQN mapping: canonical names map to %ob/<name>, odd ones to %hs/<hash>, none escapes the
// mountpath.
#include "node/store/fqn.h"

#include <gtest/gtest.h>

#include <string>

namespace ais::store {
namespace {

using namespace std::string_literals;

const std::string kMp = "/mnt/disk1";

// True if `path` is under mp and has no "", "." or ".." component after it.
bool insideMountpath(const std::string& path) {
  if (path.compare(0, kMp.size() + 1, kMp + "/") != 0) return false;
  std::string rest = path.substr(kMp.size() + 1);
  size_t start = 0;
  for (;;) {
    size_t end = rest.find('/', start);
    std::string comp =
        rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (comp.empty() || comp == "." || comp == ".." || comp.size() > 255) return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

// A canonical path of exactly `bytes` bytes: 200-byte components joined by '/'.
std::string longPath(size_t bytes) {
  std::string p;
  while (p.size() < bytes) {
    if (!p.empty()) p += '/';
    p += std::string(std::min<size_t>(200, bytes - p.size()), 'p');
  }
  if (p.back() == '/') p.back() = 'q';
  return p;
}

TEST(FqnTest, CanonicalNamesAreStoredDirectly) {
  EXPECT_EQ(objectFqn(kMp, "bkt", "a/b/c.txt", false), "/mnt/disk1/@ais/bkt/%ob/a/b/c.txt");
  EXPECT_EQ(objectFqn(kMp, "bkt", "x", false), "/mnt/disk1/@ais/bkt/%ob/x");
  for (const char* n : {"a", "a/b", "...", "..a", "a..", ".hidden", "%wk/x", "日本"}) {
    EXPECT_TRUE(storableDirect(n)) << n;
  }
  EXPECT_TRUE(storableDirect(std::string(255, 'x')));
}

TEST(FqnTest, OddNamesAreStoredByHash) {
  const std::string odd[] = {"a//b", "dir/", "./x", "a/./b", ".", std::string(256, 'x'),
                             "d/" + std::string(300, 'y') + "/z",
                             // canonical, but over 1024 bytes: the file path would near PATH_MAX
                             longPath(1100), longPath(4095)};
  EXPECT_TRUE(storableDirect(longPath(1024)));
  for (const auto& n : odd) {
    EXPECT_FALSE(storableDirect(n)) << n;
    std::string p = objectFqn(kMp, "bkt", n, false);
    EXPECT_EQ(p, "/mnt/disk1/@ais/bkt/%hs/" + hashedLeaf(n)) << n;
  }
}

TEST(FqnTest, HashedLeafIs32HexAndDistinct) {
  std::string a = hashedLeaf("a//b"), b = hashedLeaf("a//c");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, hashedLeaf("a//b"));
  EXPECT_EQ(objectFqn(kMp, "bkt", "a/b", true), "/mnt/disk1/@ais/bkt/%hs/" + hashedLeaf("a/b"));
}

TEST(FqnTest, WorkAndBucketDirs) {
  EXPECT_EQ(bucketDir(kMp, "bkt"), "/mnt/disk1/@ais/bkt");
  EXPECT_EQ(workDir(kMp, "bkt"), "/mnt/disk1/@ais/bkt/%wk");
  EXPECT_EQ(hashDir(kMp, "bkt"), "/mnt/disk1/@ais/bkt/%hs");
}

TEST(FqnTest, ValidationRejectsHostileNames) {
  EXPECT_EQ(validateNames("bkt", "../x").code(), Code::kBadObjectName);
  EXPECT_EQ(validateNames("bkt", "/etc/passwd").code(), Code::kBadObjectName);
  EXPECT_EQ(validateNames("BKT", "x").code(), Code::kBadBucketName);
  EXPECT_EQ(validateNames("../b", "x").code(), Code::kBadBucketName);
  EXPECT_TRUE(validateNames("bkt", "a//b").ok());
}

TEST(FqnTest, NoNameResolvesOutsideTheMountpath) {
  const std::string names[] = {"../x",
                               "a/../b",
                               "..",
                               "../../../../etc/passwd",
                               "/abs",
                               "a\0b"s,
                               "a//b",
                               "dir/",
                               "./x",
                               ".",
                               "a/./b",
                               "...",
                               "%ob/../..",
                               "a/b/../../..",
                               "//",
                               "x/..",
                               "\xc0\xae\xc0\xae/x",
                               std::string(300, '.'),
                               "a/" + std::string(256, 'b'),
                               std::string(1024, '/'),
                               std::string(1024, 'z'),
                               "\\..\\x",
                               "a/\n/b",
                               " / "};
  int checked = 0;
  for (const auto& n : names) {
    if (!validateNames("bkt", n).ok()) continue;  // rejected names never reach the disk
    ++checked;
    for (bool hashed : {false, true}) {
      std::string p = objectFqn(kMp, "bkt", n, hashed);
      EXPECT_TRUE(insideMountpath(p)) << "[" << n << "] -> " << p;
      EXPECT_EQ(p.compare(0, kMp.size() + 13, kMp + "/@ais/bkt/%ob") == 0 ||
                    p.compare(0, kMp.size() + 13, kMp + "/@ais/bkt/%hs") == 0,
                true)
          << p;
    }
  }
  EXPECT_GT(checked, 8);
  // Generated names: every component mix of "", ".", "..", "a", long.
  const std::string comps[] = {"", ".", "..", "a", std::string(256, 'q')};
  for (const auto& c1 : comps)
    for (const auto& c2 : comps)
      for (const auto& c3 : comps) {
        std::string n = c1 + "/" + c2 + "/" + c3;
        if (!validateNames("bkt", n).ok()) continue;
        EXPECT_TRUE(insideMountpath(objectFqn(kMp, "bkt", n, false))) << n;
      }
}

}  // namespace
}  // namespace ais::store
