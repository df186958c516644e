#include "common/time.h"

#include <ctime>
#include <cstdio>

namespace plugin_common {

namespace {
bool digit(char c) { return c >= '0' && c <= '9'; }
bool eat(std::string_view s, size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}
}  // namespace

std::string rfc3339(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
// Seconds and a fraction of `per_second` parts (floored, so times before 1970
// read as they should), written with `digits` fractional digits.
std::string rfc3339_fraction(int64_t t, int64_t per_second, int digits) {
  int64_t s = t / per_second, part = t % per_second;
  if (part < 0) part += per_second, --s;
  time_t when = static_cast<time_t>(s);
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%0*dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, digits, static_cast<int>(part));
  return buf;
}
}  // namespace

std::string rfc3339_us(int64_t epoch_us) { return rfc3339_fraction(epoch_us, 1000000, 6); }
std::string rfc3339_ms(int64_t epoch_ms) { return rfc3339_fraction(epoch_ms, 1000, 3); }

std::optional<int64_t> parse_rfc3339_us(std::string_view s, Seconds seconds) {
  size_t i = 0;
  auto num = [&](size_t n) -> std::optional<int> {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      if (!digit(s[i + k])) return std::nullopt;
      v = v * 10 + (s[i + k] - '0');
    }
    i += n;
    return v;
  };
  std::tm tm{};
  auto y = num(4);
  if (!y || !eat(s, i, '-')) return std::nullopt;
  auto mo = num(2);
  if (!mo || !eat(s, i, '-')) return std::nullopt;
  auto d = num(2);
  if (!d || !(eat(s, i, 'T') || eat(s, i, 't') || eat(s, i, ' '))) return std::nullopt;
  auto h = num(2);
  if (!h || !eat(s, i, ':')) return std::nullopt;
  auto mi = num(2);
  if (!mi) return std::nullopt;
  bool stops_at_minute = seconds == Seconds::optional && i < s.size() && s[i] != ':';
  if (!stops_at_minute && !eat(s, i, ':')) return std::nullopt;
  auto se = stops_at_minute ? std::optional<int>(0) : num(2);
  if (!se) return std::nullopt;
  int64_t us = 0;
  if (eat(s, i, '.') || eat(s, i, ',')) {
    int64_t scale = 100000;
    size_t start = i;
    while (i < s.size() && digit(s[i])) {
      us += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (eat(s, i, 'Z') || eat(s, i, 'z')) {
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1;
    auto oh = num(2);
    eat(s, i, ':');
    auto om = num(2);
    if (!oh || !om) return std::nullopt;
    offset = sign * (*oh * 3600 + *om * 60);
  } else {
    return std::nullopt;
  }
  if (i != s.size() || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  tm.tm_year = *y - 1900, tm.tm_mon = *mo - 1, tm.tm_mday = *d, tm.tm_hour = *h, tm.tm_min = *mi, tm.tm_sec = *se;
  return (static_cast<int64_t>(timegm(&tm)) - offset) * 1000000 + us;
}

}  // namespace plugin_common
