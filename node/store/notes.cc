// Notes: the target's durable to-do records about objects (Store::putNote). They live in the
// LomDb of the object's mountpath at the time of the put; a drop or a listing looks at every
// mountpath, so a mountpath attached or disabled since changes nothing.
#include <string>

#include "meta/names.h"
#include "node/store/mountpath.h"
#include "node/store/store.h"

namespace ais::store {
namespace {

std::string kindBegin(std::string_view kind) {
  std::string k(kNotePrefix);
  k.append(kind).push_back('\0');
  return k;
}

std::string kindEnd(std::string_view kind) {
  std::string k(kNotePrefix);
  k.append(kind).push_back('\x01');
  return k;
}

}  // namespace

Status Store::putNote(std::string_view kind, std::string_view bucket, std::string_view name,
                      std::string_view value) {
  AIS_RETURN_IF_ERROR(meta::validateBucketName(bucket));
  AIS_RETURN_IF_ERROR(meta::validateObjectName(name));
  // One copy: an older one on another mountpath (placement changed since) goes.
  size_t home = mountpathIndex(bucket, name);
  std::string key = noteKey(kind, bucket, name);
  for (size_t i = 0; i < mps_.size(); ++i) {
    if (i != home && !mps_[i]->detached) AIS_RETURN_IF_ERROR(mps_[i]->db->del(key));
  }
  return mps_[home]->db->put(key, value, /*sync=*/true);
}

Status Store::dropNote(std::string_view kind, std::string_view bucket, std::string_view name) {
  std::string key = noteKey(kind, bucket, name);
  for (const auto& mp : mps_) {
    if (!mp->detached) AIS_RETURN_IF_ERROR(mp->db->del(key));
  }
  return Status::OK();
}

Result<std::vector<Store::Note>> Store::notes(std::string_view kind) const {
  std::vector<Note> out;
  std::string begin = kindBegin(kind);
  for (const auto& mp : mps_) {
    if (mp->detached) continue;
    AIS_RETURN_IF_ERROR(
        mp->db->scan(begin, kindEnd(kind), [&](std::string_view key, std::string_view value) {
          Note n;
          if (splitKey(key.substr(begin.size()), &n.bucket, &n.name)) {
            n.value = value;
            out.push_back(std::move(n));
          }
          return true;
        }));
  }
  return out;
}

Status Store::moveNotesOff(Mountpath& from) {
  std::vector<std::pair<std::string, std::string>> moving;
  std::string begin(kNotePrefix), end(kNotePrefix);
  end.back() = '\x01';
  AIS_RETURN_IF_ERROR(from.db->scan(begin, end, [&](std::string_view k, std::string_view v) {
    moving.emplace_back(k, v);
    return true;
  }));
  for (const auto& [key, value] : moving) {
    // <kind> \0 <bucket> \0 <name>: the new home is the object's mountpath now.
    std::string_view rest = std::string_view(key).substr(kNotePrefix.size());
    std::string bucket, name;
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos || !splitKey(rest.substr(nul + 1), &bucket, &name)) continue;
    Mountpath& to = mountpathFor(bucket, name);
    if (&to == &from) continue;  // (no other enabled mountpath: detach refuses anyway)
    AIS_RETURN_IF_ERROR(to.db->put(key, value, /*sync=*/true));
    AIS_RETURN_IF_ERROR(from.db->del(key));
  }
  return Status::OK();
}

}  // namespace ais::store
