// The one place where the store's status codes become errno values for the kernel (the FUSE edge),
// and ErrOr<T>, the return type of the do* workers: a value or an errno.
#pragma once

#include <cerrno>
#include <utility>
#include <variant>

#include "common/status.h"

namespace ais::fusefs {

int toErrno(const Status& status);

struct Errno {
  int value;
};

inline Errno errnoOf(const Status& status) { return Errno{toErrno(status)}; }

template <typename T>
class [[nodiscard]] ErrOr {
 public:
  ErrOr(T value) : v_(std::move(value)) {}
  ErrOr(Errno e) : v_(e) {}

  bool ok() const { return v_.index() == 0; }
  int err() const { return ok() ? 0 : std::get<1>(v_).value; }
  T& value() { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }

 private:
  std::variant<T, Errno> v_;
};

}  // namespace ais::fusefs
