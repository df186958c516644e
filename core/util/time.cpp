#include "core/util/time.h"

#include <cctype>
#include <charconv>
#include <cstdint>

namespace kinspect {

std::string format_rfc3339(std::time_t t) {
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}
}  // namespace

// RFC 3339 as the API server writes it ("2024-01-02T03:04:05Z", with optional
// fraction and offset). A plain date ("2024-01-02") means its midnight UTC.
std::optional<double> parse_rfc3339(std::string_view s) {
  auto num = [&](size_t at, size_t len, int& out) {
    if (at + len > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, Y) || s.size() < 10 || s[4] != '-' || !num(5, 2, M) || s[7] != '-' || !num(8, 2, D)) return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31) return std::nullopt;
  double frac = 0;
  int offset = 0;
  size_t i = 10;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    if (!num(11, 2, h) || s.size() < 19 || s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, sec))
      return std::nullopt;
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    i = 19;
    if (i < s.size() && s[i] == '.') {
      size_t start = i;
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i == start + 1) return std::nullopt;
      std::from_chars(s.data() + start, s.data() + i, frac);
    }
    if (i >= s.size()) return std::nullopt;
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh, om;
      if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om)) return std::nullopt;
      offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
      i += 6;
    } else {
      return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
  }
  double t = double(days_from_civil(Y, unsigned(M), unsigned(D)) * 86400 + h * 3600 + mi * 60 + sec - offset);
  return t + frac;
}

}  // namespace kinspect
