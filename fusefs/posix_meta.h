// POSIX attributes kept in object custom metadata, and ObjectInfo -> struct stat. Keys missing on
// an object (e.g. one PUT by the CLI) fall back to the mount's defaults and the PUT time.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "proto/client.h"

namespace ais::fusefs {

inline constexpr char kKeyMode[] = "posix.mode";  // permission bits, octal ("644")
inline constexpr char kKeyUid[] = "posix.uid";
inline constexpr char kKeyGid[] = "posix.gid";
inline constexpr char kKeyMtime[] = "posix.mtime_ns";
// After an explicit utimens, or from the first change of the bytes (keepAtime); else mtime.
inline constexpr char kKeyAtime[] = "posix.atime_ns";
// The file's inode number (hex), given at create: kept by renames (aisfs's, the CLI's), dropped
// by server-side copies (a copy is another file). Objects without one get a hash of their name.
inline constexpr char kKeyIno[] = "posix.ino";
// Time of the last metadata change (chmod, chown, utimes); the status change time is the later of
// it and the last write (the object's PUT time).
inline constexpr char kKeyCtime[] = "posix.ctime_ns";
inline constexpr char kKeySymlink[] = "posix.symlink";  // link target; the object is a symlink
// A special file (mknod): "fifo", "socket", "char" or "block", an empty object whose type and
// device number (posix.rdev, decimal dev_t) live here; the kernel serves its opens.
inline constexpr char kKeyType[] = "posix.type";
inline constexpr char kKeyRdev[] = "posix.rdev";
// Hard links (links.cc): a file with more than one name keeps its bytes and metadata in an inode
// object "./aisfs-links/<id>" (hidden from the mount: a "." component) whose posix.nlink counts
// its names; each name is an empty object whose posix.link holds the id.
inline constexpr char kKeyLink[] = "posix.link";
inline constexpr char kKeyNlink[] = "posix.nlink";
inline constexpr char kLinksPrefix[] = "./aisfs-links/";
// Records a mount leaves in a bucket (hidden like the inode objects; mount_records.cc): files
// removed while open live as "./aisfs-unlinked/<mount id>.<n>" until their last close; a
// directory rename in progress is "./aisfs-renames/<mount id>.<n>"; a mount that has either holds
// a lock on "./aisfs-mounts/<mount id>" (its lease says it is alive).
inline constexpr char kUnlinkedPrefix[] = "./aisfs-unlinked/";
inline constexpr char kRenamesPrefix[] = "./aisfs-renames/";
inline constexpr char kMountsPrefix[] = "./aisfs-mounts/";
inline constexpr char kKeyRenameFrom[] = "rename.from";
inline constexpr char kKeyRenameTo[] = "rename.to";
inline constexpr char kKeyRenameAlive[] = "rename.alive_ns";  // the renaming mount's last touch

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

// Custom metadata for a new object made by a caller with uid/gid (with a new posix.ino).
std::map<std::string, std::string> newCustom(mode_t mode, uint32_t uid, uint32_t gid);
// The inode object a name entry points to; empty for other objects.
std::string linkTarget(const ObjectInfo& info);
// An inode object (its name is under kLinksPrefix).
inline bool isLinked(const std::string& objectName) { return objectName.starts_with(kLinksPrefix); }
// The object's posix.ino; 0 if it has none.
uint64_t persistentIno(const ObjectInfo& info);
// A change of a file's bytes (write, truncate, fallocate) moves its mtime and ctime, not its
// atime: an atime that is mtime's (no posix.atime_ns) is written down as it is before mtime moves.
// implicitAtime: that value, if there is one to write down (none when the atime is explicit or
// the times are not known).
std::optional<int64_t> implicitAtime(const ObjectInfo& info);
void keepAtime(ObjectInfo& info);
std::string inoValue(uint64_t ino);
uint64_t newIno();  // a random inode number

}  // namespace ais::fusefs
