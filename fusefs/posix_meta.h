// POSIX attributes kept in object custom metadata, and ObjectInfo -> struct stat. Keys missing on
// an object (e.g. one PUT by the CLI) fall back to the mount's defaults and the PUT time.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <string>

#include "proto/client.h"

namespace ais::fusefs {

inline constexpr char kKeyMode[] = "posix.mode";  // permission bits, octal ("644")
inline constexpr char kKeyUid[] = "posix.uid";
inline constexpr char kKeyGid[] = "posix.gid";
inline constexpr char kKeyMtime[] = "posix.mtime_ns";
// Time of the last metadata change (chmod, chown, utimes); the status change time is the later of
// it and the last write (the object's PUT time).
inline constexpr char kKeyCtime[] = "posix.ctime_ns";
inline constexpr char kKeySymlink[] = "posix.symlink";  // link target; the object is a symlink
// A special file (mknod): "fifo", "socket", "char" or "block", an empty object whose type and
// device number (posix.rdev, decimal dev_t) live here; the kernel serves its opens.
inline constexpr char kKeyType[] = "posix.type";
inline constexpr char kKeyRdev[] = "posix.rdev";

struct AttrDefaults {
  uint32_t uid = 0;
  uint32_t gid = 0;
  mode_t fileMode = 0644;
  mode_t dirMode = 0755;
  int64_t mountTimeNs = 0;  // mtime of directories without a marker
};

bool isSymlink(const ObjectInfo& info);
// S_IFIFO, S_IFSOCK, S_IFCHR or S_IFBLK for a special file, else 0.
mode_t specialType(const ObjectInfo& info);
// posix.type's value for a special file's type bits; nullptr for other types.
const char* specialTypeName(mode_t type);
// Stat of a file or symlink object.
struct stat fileStat(const ObjectInfo& info, const AttrDefaults& defaults);
// Stat of a directory; `marker` is its marker object, if any.
struct stat dirStat(const ObjectInfo* marker, const AttrDefaults& defaults);

// Identifies one stored version of an object, for keeping the kernel's page cache across opens.
inline uint64_t cacheTag(const ObjectInfo& info) {
  return info.version * 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(info.mtimeNs) ^
         (info.size << 1) ^ info.checksum;
}

// Custom metadata for a new object made by a caller with uid/gid.
std::map<std::string, std::string> newCustom(mode_t mode, uint32_t uid, uint32_t gid);

}  // namespace ais::fusefs
