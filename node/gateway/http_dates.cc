#include "node/gateway/http_dates.h"

#include <ctime>

namespace ais::gateway {

std::string isoDate(int64_t ns) {
  // Objects of a listing were mostly written within the same seconds: the formatted second is
  // kept per thread.
  thread_local std::time_t lastSecond = -1;
  thread_local char secondText[32];
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  if (t != lastSecond) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(secondText, sizeof secondText, "%Y-%m-%dT%H:%M:%S", &tm);
    lastSecond = t;
  }
  int ms = static_cast<int>((ns / 1000000) % 1000);
  std::string out(secondText);
  char tail[6] = {'.',
                  static_cast<char>('0' + ms / 100),
                  static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10),
                  'Z',
                  '\0'};
  out += tail;
  return out;
}

std::string httpDate(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace ais::gateway
