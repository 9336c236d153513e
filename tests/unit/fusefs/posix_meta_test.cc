// POSIX attributes from object metadata (fileStat, dirStat): every key read, defaults for what is
// missing or not a number, and the value forms the metadata may carry.
#include "fusefs/posix_meta.h"

#include <gtest/gtest.h>

namespace ais::fusefs {
namespace {

const AttrDefaults kDefaults{
    .uid = 7, .gid = 8, .fileMode = 0640, .dirMode = 0750, .mountTimeNs = 5'000'000'000};

ObjectInfo withCustom(std::map<std::string, std::string> custom) {
  ObjectInfo info;
  info.name = "d/f";
  info.size = 1234;
  info.mtimeNs = 2'000'000'123;
  info.custom = std::move(custom);
  info.custom["user.other"] = "x";  // (keys other than posix.* are left alone)
  info.custom["a.before"] = "y";
  return info;
}

TEST(PosixMetaTest, AFilesAttributesComeFromItsMetadata) {
  auto st = fileStat(withCustom({{kKeyMode, "4755"},
                                 {kKeyUid, "1001"},
                                 {kKeyGid, "1002"},
                                 {kKeyMtime, "1000000007"},
                                 {kKeyAtime, "3000000009"},
                                 {kKeyCtime, "4000000011"},
                                 {kKeyIno, "1a2b"}}),
                     kDefaults);
  EXPECT_EQ(st.st_mode, S_IFREG | 04755);
  EXPECT_EQ(st.st_uid, 1001u);
  EXPECT_EQ(st.st_gid, 1002u);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_size, 1234);
  EXPECT_EQ(st.st_blocks, 3);
  EXPECT_EQ(st.st_mtim.tv_sec, 1);
  EXPECT_EQ(st.st_mtim.tv_nsec, 7);
  EXPECT_EQ(st.st_atim.tv_sec, 3);
  EXPECT_EQ(st.st_atim.tv_nsec, 9);
  EXPECT_EQ(st.st_ctim.tv_sec, 4);  // (the latest of the metadata change, the write, mtime)
  EXPECT_EQ(st.st_ctim.tv_nsec, 11);
  EXPECT_EQ(persistentIno(withCustom({{kKeyIno, "1a2b"}})), 0x1a2bu);
}

TEST(PosixMetaTest, MissingOrGarbledValuesFallBackToTheDefaults) {
  auto st = fileStat(withCustom({}), kDefaults);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640);
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_gid, 8u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2);  // the PUT time
  EXPECT_EQ(st.st_mtim.tv_nsec, 123);
  EXPECT_EQ(st.st_atim.tv_nsec, 123);
  EXPECT_EQ(st.st_ctim.tv_nsec, 123);
  st = fileStat(withCustom({{kKeyMode, "9x"}, {kKeyUid, ""}, {kKeyGid, "12 "}, {kKeyMtime, "-"}}),
                kDefaults);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640);
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_gid, 8u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2);
  EXPECT_EQ(persistentIno(withCustom({{kKeyIno, "zz"}})), 0u);
  // What strtoll took before stays taken: leading spaces, a sign, a hex prefix.
  st = fileStat(withCustom({{kKeyUid, " 42"}, {kKeyGid, "+43"}}), kDefaults);
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_gid, 43u);
  EXPECT_EQ(persistentIno(withCustom({{kKeyIno, "0x10"}})), 16u);
}

TEST(PosixMetaTest, SymlinksSpecialFilesAndDirectories) {
  auto link = fileStat(withCustom({{kKeySymlink, "../target"}}), kDefaults);
  EXPECT_EQ(link.st_mode, S_IFLNK | 0777);
  EXPECT_EQ(link.st_size, 9);
  auto dev =
      fileStat(withCustom({{kKeyType, "char"}, {kKeyRdev, "259"}, {kKeyMode, "620"}}), kDefaults);
  EXPECT_EQ(dev.st_mode, S_IFCHR | 0620);
  EXPECT_EQ(dev.st_rdev, 259u);
  EXPECT_EQ(dev.st_size, 0);
  auto fifo = fileStat(withCustom({{kKeyType, "fifo"}, {kKeyRdev, "259"}}), kDefaults);
  EXPECT_EQ(fifo.st_mode, S_IFIFO | 0640);
  EXPECT_EQ(fifo.st_rdev, 0u);  // (only devices have one)
  EXPECT_EQ(fileStat(withCustom({{kKeyType, "other"}}), kDefaults).st_mode, S_IFREG | 0640);
  EXPECT_EQ(fileStat(withCustom({{kKeyNlink, "3"}}), kDefaults).st_nlink, 3u);
  auto marker = withCustom({{kKeyMode, "1777"}, {kKeyUid, "5"}});
  auto dir = dirStat(&marker, kDefaults);
  EXPECT_EQ(dir.st_mode, S_IFDIR | 01777);
  EXPECT_EQ(dir.st_uid, 5u);
  EXPECT_EQ(dir.st_gid, 8u);
  EXPECT_EQ(dir.st_mtim.tv_sec, 2);
  auto bare = dirStat(nullptr, kDefaults);
  EXPECT_EQ(bare.st_mode, S_IFDIR | 0750);
  EXPECT_EQ(bare.st_mtim.tv_sec, 5);  // (the mount's time)
}

// A change of the bytes moves mtime, never atime: an implicit atime (mtime's) is written down
// as it was first; an explicit one is left alone.
TEST(PosixMetaTest, ABytesChangeKeepsTheAtimeItHad) {
  auto implicit = withCustom({});
  keepAtime(implicit);
  EXPECT_EQ(implicit.custom.at(kKeyAtime), "2000000123");  // the PUT time
  auto set = withCustom({{kKeyMtime, "1000000007"}});
  keepAtime(set);
  EXPECT_EQ(set.custom.at(kKeyAtime), "1000000007");
  ObjectInfo unknown;  // (no attributes read yet: no atime of 1970 written down)
  keepAtime(unknown);
  EXPECT_EQ(unknown.custom.count(kKeyAtime), 0u);
  auto explicitAtime = withCustom({{kKeyAtime, "5"}});
  keepAtime(explicitAtime);
  EXPECT_EQ(explicitAtime.custom.at(kKeyAtime), "5");
  set.mtimeNs = 9'000'000'000;  // (the write)
  set.custom.erase(kKeyMtime);
  auto st = fileStat(set, kDefaults);
  EXPECT_EQ(st.st_atim.tv_sec, 1);
  EXPECT_EQ(st.st_mtim.tv_sec, 9);
}

}  // namespace
}  // namespace ais::fusefs
