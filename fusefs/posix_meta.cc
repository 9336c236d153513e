// ObjectInfo <-> POSIX attributes.
#include "fusefs/posix_meta.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <random>
#include <string_view>
#include <utility>

namespace ais::fusefs {
namespace {

constexpr std::pair<mode_t, const char*> kSpecialTypes[] = {
    {S_IFIFO, "fifo"}, {S_IFSOCK, "socket"}, {S_IFCHR, "char"}, {S_IFBLK, "block"}};

// A metadata value as a number; `fallback` when absent, empty or not a number.
template <typename T>
T number(const std::string* value, T fallback, int base = 10) {
  if (value == nullptr || value->empty()) return fallback;
  long long v = 0;
  const char* end = value->data() + value->size();
  auto [at, ec] = std::from_chars(value->data(), end, v, base);
  if (ec == std::errc() && at == end) return static_cast<T>(v);
  char* stop = nullptr;  // (what from_chars does not take: leading spaces, a '+', "0x")
  v = std::strtoll(value->c_str(), &stop, base);
  if (stop == nullptr || *stop != '\0') return fallback;
  return static_cast<T>(v);
}

const std::string* valueOf(const ObjectInfo& info, const char* key) {
  auto it = info.custom.find(key);
  return it == info.custom.end() ? nullptr : &it->second;
}

// The posix.* values of an info, gathered in one pass over its metadata (sorted by key, they
// sit together): a find per key was most of what an entry of a READDIRPLUS cost aisfs.
struct PosixValues {
  const std::string* mode = nullptr;
  const std::string* uid = nullptr;
  const std::string* gid = nullptr;
  const std::string* mtime = nullptr;
  const std::string* atime = nullptr;
  const std::string* ctime = nullptr;
  const std::string* nlink = nullptr;
  const std::string* type = nullptr;
  const std::string* rdev = nullptr;
  const std::string* symlink = nullptr;
};

PosixValues posixValues(const ObjectInfo& info) {
  static constexpr std::string_view kPrefix = "posix.";
  static constexpr std::pair<std::string_view, const std::string * PosixValues::*> kFields[] = {
      {kKeyMode, &PosixValues::mode},   {kKeyUid, &PosixValues::uid},
      {kKeyGid, &PosixValues::gid},     {kKeyMtime, &PosixValues::mtime},
      {kKeyAtime, &PosixValues::atime}, {kKeyCtime, &PosixValues::ctime},
      {kKeyNlink, &PosixValues::nlink}, {kKeyType, &PosixValues::type},
      {kKeyRdev, &PosixValues::rdev},   {kKeySymlink, &PosixValues::symlink}};
  PosixValues v;
  for (auto it = info.custom.lower_bound(std::string(kPrefix));
       it != info.custom.end() && std::string_view(it->first).starts_with(kPrefix); ++it) {
    for (const auto& [key, field] : kFields) {
      if (it->first == key) {
        v.*field = &it->second;
        break;
      }
    }
  }
  return v;
}

mode_t specialTypeOf(const std::string* type) {
  if (type == nullptr) return 0;
  for (auto& [t, name] : kSpecialTypes) {
    if (*type == name) return t;
  }
  return 0;
}

timespec toTimespec(int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// mtime from `mtimeNs`, atime as set explicitly (else mtime); ctime the latest of the metadata
// change, the last write and mtime.
void setTimes(struct stat& st, const PosixValues& v, int64_t writtenNs) {
  int64_t mtimeNs = number<int64_t>(v.mtime, writtenNs);
  st.st_mtim = toTimespec(mtimeNs);
  st.st_atim = toTimespec(number<int64_t>(v.atime, mtimeNs));
  st.st_ctim = toTimespec(std::max({mtimeNs, writtenNs, number<int64_t>(v.ctime, 0)}));
}

}  // namespace

bool isSymlink(const ObjectInfo& info) { return info.custom.count(kKeySymlink) != 0; }

mode_t specialType(const ObjectInfo& info) { return specialTypeOf(valueOf(info, kKeyType)); }

const char* specialTypeName(mode_t type) {
  for (auto& [t, name] : kSpecialTypes) {
    if (t == (type & S_IFMT)) return name;
  }
  return nullptr;
}

struct stat fileStat(const ObjectInfo& info, const AttrDefaults& d) {
  struct stat st {};
  PosixValues v = posixValues(info);
  bool link = v.symlink != nullptr;
  mode_t special = specialTypeOf(v.type);
  mode_t perm = number<mode_t>(v.mode, link ? 0777 : d.fileMode, 8) & 07777;
  st.st_mode = (link ? S_IFLNK : special != 0 ? special : S_IFREG) | perm;
  st.st_nlink = number<nlink_t>(v.nlink, 1);
  st.st_uid = number<uid_t>(v.uid, d.uid);
  st.st_gid = number<gid_t>(v.gid, d.gid);
  st.st_size = link           ? static_cast<off_t>(v.symlink->size())
               : special != 0 ? 0
                              : static_cast<off_t>(info.size);
  if (special == S_IFCHR || special == S_IFBLK) st.st_rdev = number<dev_t>(v.rdev, 0);
  // Large blocks: cp and friends size their buffers by st_blksize.
  st.st_blksize = 1 << 20;
  // What it takes on disk: a sparse object's holes take none (du, ls -s, cp --sparse=auto).
  uint64_t stored =
      static_cast<uint64_t>(st.st_size) - std::min<uint64_t>(info.holeBytes, st.st_size);
  st.st_blocks = static_cast<blkcnt_t>((stored + 511) / 512);
  setTimes(st, v, info.mtimeNs);
  return st;
}

struct stat dirStat(const ObjectInfo* marker, const AttrDefaults& d) {
  struct stat st {};
  PosixValues v = marker != nullptr ? posixValues(*marker) : PosixValues{};
  st.st_mode = S_IFDIR | (number<mode_t>(v.mode, d.dirMode, 8) & 07777);
  st.st_nlink = 2;
  st.st_uid = number<uid_t>(v.uid, d.uid);
  st.st_gid = number<gid_t>(v.gid, d.gid);
  st.st_blksize = 1 << 20;
  int64_t written = marker ? marker->mtimeNs : d.mountTimeNs;
  setTimes(st, v, written);
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

std::optional<int64_t> implicitAtime(const ObjectInfo& info) {
  if (info.custom.count(kKeyAtime)) return std::nullopt;
  int64_t mtimeNs = number<int64_t>(valueOf(info, kKeyMtime), info.mtimeNs);
  if (mtimeNs <= 0) return std::nullopt;  // (attributes not known: nothing to keep)
  return mtimeNs;
}

void keepAtime(ObjectInfo& info) {
  if (auto atime = implicitAtime(info)) info.custom[kKeyAtime] = std::to_string(*atime);
}

uint64_t persistentIno(const ObjectInfo& info) {
  return number<uint64_t>(valueOf(info, kKeyIno), 0, 16) & ~(1ull << 63);
}

std::string inoValue(uint64_t ino) {
  char buf[24];
  snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(ino));
  return buf;
}

}  // namespace ais::fusefs
