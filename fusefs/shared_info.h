// SharedInfo: an object's info (ObjectInfo) held by a cached listing's entry and shared, not
// copied, by every copy of that entry: each opendir's snapshot of a listing and each lookup's
// answer copied the whole ObjectInfo (its strings and the POSIX metadata map) per entry, the
// largest user-space cost of walking a tree (`git status`, `ls -lR`). Immutable: a change
// assigns a new one. Never null (an empty ObjectInfo where none is known).
#pragma once

#include <memory>
#include <utility>

#include "proto/client.h"

namespace ais::fusefs {

class SharedInfo {
 public:
  SharedInfo() : p_(empty()) {}
  SharedInfo(ObjectInfo info)  // NOLINT(google-explicit-constructor): assigned like the info
      : p_(std::make_shared<ObjectInfo>(std::move(info))) {}

  const ObjectInfo& operator*() const { return *p_; }
  const ObjectInfo* operator->() const { return p_.get(); }

  // A change of this entry's info alone: a copy of its own first if the info is shared.
  ObjectInfo& edit() {
    if (p_.use_count() != 1 || p_ == empty()) p_ = std::make_shared<ObjectInfo>(*p_);
    return const_cast<ObjectInfo&>(*p_);  // (made non-const just above or by the constructor)
  }

  // The info to keep elsewhere: moved out when nothing else shares it, else copied.
  ObjectInfo release() && {
    if (p_.use_count() == 1 && p_ != empty()) {
      // (Made non-const by make_shared above: moving from it is allowed.)
      ObjectInfo out = std::move(const_cast<ObjectInfo&>(*p_));
      p_ = empty();
      return out;
    }
    return *p_;
  }

  // The very same shared info (not merely equal).
  bool same(const SharedInfo& o) const { return p_ == o.p_; }

  // Equal infos; the same shared one answers without comparing them.
  bool operator==(const SharedInfo& o) const { return p_ == o.p_ || *p_ == *o.p_; }
  bool operator==(const ObjectInfo& o) const { return *p_ == o; }

 private:
  static const std::shared_ptr<const ObjectInfo>& empty() {
    static const std::shared_ptr<const ObjectInfo> none = std::make_shared<const ObjectInfo>();
    return none;
  }
  std::shared_ptr<const ObjectInfo> p_;
};

}  // namespace ais::fusefs
