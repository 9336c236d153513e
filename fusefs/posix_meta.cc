// ObjectInfo <-> POSIX attributes.
#include "fusefs/posix_meta.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <utility>

namespace ais::fusefs {
namespace {

template <typename T>
T customNumber(const ObjectInfo& info, const char* key, T fallback, int base = 10) {
  auto it = info.custom.find(key);
  if (it == info.custom.end() || it->second.empty()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, base);
  if (end == nullptr || *end != '\0') return fallback;
  return static_cast<T>(v);
}

timespec toTimespec(int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// mtime from `mtimeNs`, atime as set explicitly (else mtime); ctime the latest of the metadata
// change, the last write and mtime.
void setTimes(struct stat& st, const ObjectInfo& info, int64_t writtenNs) {
  int64_t mtimeNs = customNumber<int64_t>(info, kKeyMtime, writtenNs);
  st.st_mtim = toTimespec(mtimeNs);
  st.st_atim = toTimespec(customNumber<int64_t>(info, kKeyAtime, mtimeNs));
  st.st_ctim =
      toTimespec(std::max({mtimeNs, writtenNs, customNumber<int64_t>(info, kKeyCtime, 0)}));
}

}  // namespace

bool isSymlink(const ObjectInfo& info) { return info.custom.count(kKeySymlink) != 0; }

namespace {
constexpr std::pair<mode_t, const char*> kSpecialTypes[] = {
    {S_IFIFO, "fifo"}, {S_IFSOCK, "socket"}, {S_IFCHR, "char"}, {S_IFBLK, "block"}};
}  // namespace

mode_t specialType(const ObjectInfo& info) {
  auto it = info.custom.find(kKeyType);
  if (it == info.custom.end()) return 0;
  for (auto& [type, name] : kSpecialTypes) {
    if (it->second == name) return type;
  }
  return 0;
}

const char* specialTypeName(mode_t type) {
  for (auto& [t, name] : kSpecialTypes) {
    if (t == (type & S_IFMT)) return name;
  }
  return nullptr;
}

struct stat fileStat(const ObjectInfo& info, const AttrDefaults& d) {
  struct stat st {};
  bool link = isSymlink(info);
  mode_t special = specialType(info);
  mode_t perm = customNumber<mode_t>(info, kKeyMode, link ? 0777 : d.fileMode, 8) & 07777;
  st.st_mode = (link ? S_IFLNK : special != 0 ? special : S_IFREG) | perm;
  st.st_nlink = customNumber<nlink_t>(info, kKeyNlink, 1);
  st.st_uid = customNumber<uid_t>(info, kKeyUid, d.uid);
  st.st_gid = customNumber<gid_t>(info, kKeyGid, d.gid);
  st.st_size = link           ? static_cast<off_t>(info.custom.at(kKeySymlink).size())
               : special != 0 ? 0
                              : static_cast<off_t>(info.size);
  if (special == S_IFCHR || special == S_IFBLK) st.st_rdev = customNumber<dev_t>(info, kKeyRdev, 0);
  // Large blocks: cp and friends size their buffers by st_blksize.
  st.st_blksize = 1 << 20;
  // What it takes on disk: a sparse object's holes take none (du, ls -s, cp --sparse=auto).
  uint64_t stored =
      static_cast<uint64_t>(st.st_size) - std::min<uint64_t>(info.holeBytes, st.st_size);
  st.st_blocks = static_cast<blkcnt_t>((stored + 511) / 512);
  setTimes(st, info, info.mtimeNs);
  return st;
}

struct stat dirStat(const ObjectInfo* marker, const AttrDefaults& d) {
  struct stat st {};
  ObjectInfo none;
  const ObjectInfo& info = marker != nullptr ? *marker : none;
  st.st_mode = S_IFDIR | (customNumber<mode_t>(info, kKeyMode, d.dirMode, 8) & 07777);
  st.st_nlink = 2;
  st.st_uid = customNumber<uid_t>(info, kKeyUid, d.uid);
  st.st_gid = customNumber<gid_t>(info, kKeyGid, d.gid);
  st.st_blksize = 1 << 20;
  int64_t written = marker ? info.mtimeNs : d.mountTimeNs;
  setTimes(st, info, written);
  return st;
}

std::map<std::string, std::string> newCustom(mode_t mode, uint32_t uid, uint32_t gid) {
  char buf[16];
  snprintf(buf, sizeof buf, "%o", static_cast<unsigned>(mode & 07777));
  return {{kKeyMode, buf},
          {kKeyUid, std::to_string(uid)},
          {kKeyGid, std::to_string(gid)},
          {kKeyIno, inoValue(newIno())}};
}

uint64_t newIno() {
  // 63 bits (st_ino stays positive for tools that print it signed), above FUSE's root id.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t id = 0;
  while (id <= 1) id = rng() >> 1;
  return id;
}

std::string linkTarget(const ObjectInfo& info) {
  auto it = info.custom.find(kKeyLink);
  if (it == info.custom.end() || it->second.empty() || it->second.find('/') != std::string::npos) {
    return {};
  }
  return kLinksPrefix + it->second;
}

uint64_t persistentIno(const ObjectInfo& info) {
  return customNumber<uint64_t>(info, kKeyIno, 0, 16) & ~(1ull << 63);
}

std::string inoValue(uint64_t ino) {
  char buf[24];
  snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(ino));
  return buf;
}

}  // namespace ais::fusefs
