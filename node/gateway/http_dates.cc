#include "node/gateway/http_dates.h"

#include <cstring>
#include <ctime>

namespace ais::gateway {

std::time_t parseHttpDate(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S ", &tm);
  // GMT, as RFC 9110 writes it, or the UTC offset RFC 2822 mail dates use (Python's formatdate)
  if (!end || (std::strcmp(end, "GMT") != 0 && std::strcmp(end, "UTC") != 0 &&
               std::strcmp(end, "-0000") != 0 && std::strcmp(end, "+0000") != 0)) {
    return -1;
  }
  std::time_t t = timegm(&tm);
  return t < 0 ? -1 : t;
}

IsoDateText isoDateText(int64_t ns) {
  // Objects of a listing were mostly written within the same seconds: the formatted second is
  // kept per thread.
  thread_local std::time_t lastSecond = -1;
  thread_local char secondText[24];
  thread_local size_t secondSize = 0;
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  if (t != lastSecond) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    secondSize = std::strftime(secondText, sizeof secondText, "%Y-%m-%dT%H:%M:%S", &tm);
    lastSecond = t;
  }
  IsoDateText out;
  std::memcpy(out.text, secondText, secondSize);
  int ms = static_cast<int>((ns / 1000000) % 1000);
  char* tail = out.text + secondSize;
  tail[0] = '.';
  tail[1] = static_cast<char>('0' + ms / 100);
  tail[2] = static_cast<char>('0' + ms / 10 % 10);
  tail[3] = static_cast<char>('0' + ms % 10);
  tail[4] = 'Z';
  out.size = secondSize + 5;
  return out;
}

std::string isoDate(int64_t ns) { return std::string(isoDateText(ns).view()); }

std::string httpDate(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace ais::gateway
