// One error vocabulary for every layer: codes grouped by area, a [[nodiscard]] Status and
// Result<T>. Edges convert once: to capnp on the wire (proto/), to exit codes (tools/), to errno
// (fusefs/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ais {

// X(name, number, default message). Numbers are on the wire: never renumber or reuse.
#define AIS_STATUS_CODES(X)                                  \
  X(kOk, 0, "ok")                                            \
  X(kInvalidArgument, 101, "invalid argument")               \
  X(kInternal, 102, "internal error")                        \
  X(kIoError, 103, "I/O error")                              \
  X(kUnavailable, 104, "node unavailable")                   \
  X(kTimeout, 105, "timed out")                              \
  X(kNotImplemented, 106, "not implemented")                 \
  X(kOutOfSpace, 107, "out of space")                        \
  X(kWouldBlock, 108, "would wait for the disk")             \
  X(kStaleSmap, 201, "stale cluster map")                    \
  X(kNotPrimary, 202, "not the primary proxy")               \
  X(kNodeNotFound, 203, "node not found")                    \
  X(kRejectedVersion, 204, "metadata version rejected")      \
  X(kNoTargets, 205, "cluster has no storage targets")       \
  X(kBucketNotFound, 301, "bucket does not exist")           \
  X(kBucketExists, 302, "bucket already exists")             \
  X(kBucketNotEmpty, 303, "bucket is not empty")             \
  X(kBadBucketName, 304, "invalid bucket name")              \
  X(kObjectNotFound, 401, "object does not exist")           \
  X(kBadObjectName, 402, "invalid object name")              \
  X(kRangeNotSatisfiable, 403, "range not satisfiable")      \
  X(kChecksumMismatch, 404, "checksum mismatch")             \
  X(kObjectExists, 405, "object already exists")             \
  X(kObjectMoved, 406, "object is held by another target")   \
  X(kObjectCorrupted, 407, "object is damaged on disk")      \
  X(kVersionChanged, 408, "object changed while being read") \
  X(kBadArchive, 409, "not a readable archive")              \
  X(kMemberNotFound, 410, "archive member does not exist")

enum class Code : uint16_t {
#define AIS_X(name, num, msg) name = num,
  AIS_STATUS_CODES(AIS_X)
#undef AIS_X
};

std::string_view codeName(Code code);     // "ObjectNotFound"
std::string_view codeMessage(Code code);  // "object does not exist"
Code codeFromNumber(uint32_t num);        // unknown numbers map to kInternal

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message = {}) : code_(code), message_(std::move(message)) {}
  static Status OK() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "object does not exist: ais://b/x" (default message plus detail).
  std::string toString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}
  Result(Code code, std::string message = {}) : v_(Status(code, std::move(message))) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  Code code() const { return ok() ? Code::kOk : std::get<1>(v_).code(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ais

namespace ais {
inline const Status& statusOf(const Status& s) { return s; }
template <typename T>
const Status& statusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace ais

// Early return of a failed Status/Result from a function returning Status or Result<U>.
#define AIS_RETURN_IF_ERROR(expr)                       \
  do {                                                  \
    auto&& ais_st_ = (expr);                            \
    if (!ais_st_.ok()) return ::ais::statusOf(ais_st_); \
  } while (0)
