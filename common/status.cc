#include "common/status.h"

namespace ais {

std::string_view codeName(Code code) {
  switch (code) {
#define AIS_X(name, num, msg) \
  case Code::name:            \
    return std::string_view(#name).substr(1);
    AIS_STATUS_CODES(AIS_X)
#undef AIS_X
  }
  return "Internal";
}

std::string_view codeMessage(Code code) {
  switch (code) {
#define AIS_X(name, num, msg) \
  case Code::name:            \
    return msg;
    AIS_STATUS_CODES(AIS_X)
#undef AIS_X
  }
  return "internal error";
}

Code codeFromNumber(uint32_t num) {
  switch (num) {
#define AIS_X(name, n, msg) \
  case n:                   \
    return Code::name;
    AIS_STATUS_CODES(AIS_X)
#undef AIS_X
  }
  return Code::kInternal;
}

std::string Status::toString() const {
  std::string s(codeMessage(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

}  // namespace ais
