// Name validation: hostile object names are rejected, odd but legal ones accepted; S3 bucket rules.
#include "meta/names.h"

#include <gtest/gtest.h>

#include <string>

namespace ais::meta {
namespace {

using namespace std::string_literals;

TEST(NamesTest, HostileObjectNamesAreRejected) {
  const std::string hostile[] = {
      "",
      "../x",
      "a/../b",
      "..",
      "a/..",
      "../../etc/passwd",
      "a\0b"s,
      "\0"s,
      std::string(4096, 'x'),
      std::string(4096, 'x') + "/",  // a marker one byte past the path's limit
      "/abs",
      "/",
      "bad\xff",
      "\xc3",              // truncated sequence
      "\xc0\xaf",          // overlong '/'
      "\xe0\x80\xaf",      // overlong '/' (3 bytes)
      "\xf0\x80\x80\xaf",  // overlong '/' (4 bytes)
      "\xed\xa0\x80",      // surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
  };
  for (const auto& name : hostile) {
    EXPECT_EQ(validateObjectName(name).code(), Code::kBadObjectName) << "[" << name << "]";
  }
}

TEST(NamesTest, OddLegalObjectNamesAreAccepted) {
  const std::string legal[] = {
      "a",
      "a//b",
      "dir/",
      "./x",
      "a/./b",
      "...",
      "..a/b..",
      std::string(300, 'c'),
      "dir/" + std::string(300, 'c') + "/x",
      "日本語/ファイル.txt",
      "emoji-\xf0\x9f\x98\x80",
      std::string(1024, 'y'),
      std::string(4095, 'y'),  // PATH_MAX less its NUL
      std::string(4095, 'y') + "/",  // the marker of a directory with the longest path
      "with space and %ob",
  };
  for (const auto& name : legal) {
    EXPECT_TRUE(validateObjectName(name).ok())
        << "[" << name << "] " << validateObjectName(name).toString();
  }
}

TEST(NamesTest, BucketNamesFollowS3Rules) {
  for (const char* good : {"abc", "my-bucket", "my.bucket.1", "0bucket9",
                           "a23456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_TRUE(validateBucketName(good).ok()) << good;
  }
  const std::string bad[] = {
      "ab",  std::string(64, 'a'), "ABC",   "-abc", "abc-", ".abc", "abc.", "a..b", "a_b", "a b",
      "a/b", "192.168.1.1",        "b\0c"s, "",     "a-.b", "a.-b"};
  for (const auto& name : bad) {
    EXPECT_EQ(validateBucketName(name).code(), Code::kBadBucketName) << name;
  }
}

}  // namespace
}  // namespace ais::meta
