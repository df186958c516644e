#include "core/daemon/cron.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

namespace kinspect::daemon {

namespace {

struct FieldSpec {
  const char* name;
  int min, max;
  const char* const* names;  // names[i] stands for min + i; null when the field has none
  size_t name_count;
};

constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDay{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonth{"month", 1, 12, kMonths, 12};
constexpr FieldSpec kWeekday{"day-of-week", 0, 7, kWeekdays, 7};  // 7 = Sunday too

struct Word {
  std::string_view text;
  size_t offset;  // 0-based, within the whole schedule
};

// Reads one field, value by value; `bits` gets bit v for every v it names.
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, Word word, CronError& error) : spec_(spec), w_(word), error_(error) {}

  bool parse(uint64_t& bits) {
    while (true) {
      if (!element(bits)) return false;
      if (at_end()) return true;
      if (w_.text[i_] != ',') return fail("unexpected '" + std::string(1, w_.text[i_]) + "'");
      ++i_;
    }
  }

 private:
  bool at_end() const { return i_ >= w_.text.size(); }
  bool fail(const std::string& what) {
    error_.column = w_.offset + std::min(i_, w_.text.size()) + 1;
    error_.message = std::string("the ") + spec_.name + " field '" + std::string(w_.text) + "': " + what;
    return false;
  }
  std::string range_text() const {
    std::string r = std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
    if (spec_.names) r += std::string(" or ") + spec_.names[0] + "-" + spec_.names[spec_.name_count - 1];
    return r;
  }

  bool value(int& out) {
    const size_t start = i_;
    if (!at_end() && std::isdigit(static_cast<unsigned char>(w_.text[i_]))) {
      long v = 0;
      while (!at_end() && std::isdigit(static_cast<unsigned char>(w_.text[i_])) && v <= 1000) v = v * 10 + (w_.text[i_++] - '0');
      if (v < spec_.min || v > spec_.max) return i_ = start, fail(std::to_string(v) + " is out of range " + range_text());
      out = int(v);
      return true;
    }
    while (!at_end() && std::isalpha(static_cast<unsigned char>(w_.text[i_]))) ++i_;
    std::string name(w_.text.substr(start, i_ - start));
    for (auto& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
    for (size_t n = 0; spec_.names && n < spec_.name_count; ++n)
      if (name == spec_.names[n]) return out = spec_.min + int(n), true;
    i_ = start;
    if (name.empty()) return fail(at_end() ? "a value is missing at the end" : "expected a number, a name or '*'");
    return fail("'" + name + "' is not a " + spec_.name + " (want " + range_text() + ")");
  }

  bool element(uint64_t& bits) {
    int lo = spec_.min, hi = spec_.max, step = 1;
    const size_t start = i_;
    if (!at_end() && w_.text[i_] == '*') {
      ++i_;
    } else {
      if (!value(lo)) return false;
      hi = lo;
      if (!at_end() && w_.text[i_] == '-') {
        ++i_;
        if (!value(hi)) return false;
        if (hi < lo) return i_ = start, fail("the range " + std::to_string(lo) + "-" + std::to_string(hi) + " goes backwards");
      } else if (!at_end() && w_.text[i_] == '/') {
        hi = spec_.max;  // "a/n": from a to the end of the field
      }
    }
    if (!at_end() && w_.text[i_] == '/') {
      ++i_;
      const size_t at = i_;
      long n = 0;
      while (!at_end() && std::isdigit(static_cast<unsigned char>(w_.text[i_])) && n <= 1000) n = n * 10 + (w_.text[i_++] - '0');
      if (i_ == at || n < 1 || n > spec_.max) return i_ = at, fail("a step must be a number from 1 to " + std::to_string(spec_.max));
      step = int(n);
    }
    for (int v = lo; v <= hi; v += step) bits |= uint64_t(1) << v;
    return true;
  }

  const FieldSpec& spec_;
  Word w_;
  CronError& error_;
  size_t i_ = 0;
};

std::vector<Word> split_words(std::string_view text) {
  std::vector<Word> words;
  for (size_t i = 0; i < text.size();) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    words.push_back({text.substr(i, j - i), i});
    i = j;
  }
  return words;
}

// "@daily" and friends as their five fields; "" when unknown.
std::string_view macro(std::string_view name) {
  if (name == "@yearly" || name == "@annually") return "0 0 1 1 *";
  if (name == "@monthly") return "0 0 1 * *";
  if (name == "@weekly") return "0 0 * * 0";
  if (name == "@daily" || name == "@midnight") return "0 0 * * *";
  if (name == "@hourly") return "0 * * * *";
  return "";
}

int days_in_month(int month, int year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Whether some month of the schedule has some day of it (Feb 29 counts);
// only asked when the day of the week cannot rescue it (see parse_cron).
bool some_day_exists(const CronSchedule& s) {
  for (int m = 1; m <= 12; ++m)
    for (int d = 1; d <= days_in_month(m, 2000); ++d)
      if (s.months[m] && s.days[d]) return true;
  return false;
}

bool fill(CronSchedule& s, const std::vector<Word>& words, CronError& error) {
  const bool with_seconds = words.size() == 6;
  const FieldSpec* specs[] = {&kSecond, &kMinute, &kHour, &kDay, &kMonth, &kWeekday};
  uint64_t bits[6] = {1, 0, 0, 0, 0, 0};  // the second is 0 when not given
  for (size_t f = with_seconds ? 0 : 1; f < 6; ++f) {
    const Word& w = words[f - (with_seconds ? 0 : 1)];
    if (!FieldParser(*specs[f], w, error).parse(bits[f])) return false;
    if (f == 3) s.days_star = w.text[0] == '*';
    if (f == 5) s.weekdays_star = w.text[0] == '*';
  }
  if (bits[5] & (uint64_t(1) << 7)) bits[5] = (bits[5] | 1) & 0x7f;  // 7 is Sunday
  s.seconds = bits[0], s.minutes = bits[1], s.hours = bits[2];
  s.days = bits[3], s.months = bits[4], s.weekdays = bits[5];
  return true;
}

}  // namespace

std::optional<CronSchedule> parse_cron(std::string_view text, CronError& error) {
  std::vector<Word> words = split_words(text);
  if (words.size() == 1 && words[0].text[0] == '@') {
    const std::string_view expanded = macro(words[0].text);
    if (expanded.empty()) {
      error = {words[0].offset + 1, "unknown schedule '" + std::string(words[0].text) +
                                        "' (want @yearly, @monthly, @weekly, @daily or @hourly)"};
      return std::nullopt;
    }
    return parse_cron(expanded, error);
  }
  if (words.size() != 5 && words.size() != 6) {
    error = {words.size() > 6 ? words[6].offset + 1 : text.size() + 1,
             "a schedule has 5 fields (minute hour day-of-month month day-of-week), or 6 with a leading second; this has " +
                 std::to_string(words.size())};
    return std::nullopt;
  }
  CronSchedule s;
  if (!fill(s, words, error)) return std::nullopt;
  // Only the days of the month restricted: they must exist in some chosen
  // month ("0 0 30 2 *" never fires). With the day of the week restricted
  // too, any weekday fires it (Vixie's OR).
  if (s.weekdays_star && !s.days_star && !some_day_exists(s)) {
    error = {words[words.size() - 3].offset + 1, "the schedule never fires: no chosen month has the chosen days of the month"};
    return std::nullopt;
  }
  return s;
}

namespace {

bool day_matches(const CronSchedule& s, const std::tm& t) {
  const bool dom = s.days[size_t(t.tm_mday)], dow = s.weekdays[size_t(t.tm_wday)];
  if (s.days_star || s.weekdays_star) return dom && dow;  // the starred one matches every day
  return dom || dow;                                      // both restricted: either (Vixie)
}

}  // namespace

std::optional<std::time_t> next_fire(const CronSchedule& s, std::time_t after) {
  const std::time_t limit = after + std::time_t(10) * 366 * 86400;
  std::time_t t = after + 1;
  std::tm tm{};
  // Each step moves to the start of the next month, day, hour, minute or
  // second that could match, so the loop runs a few thousand times at most.
  while (t <= limit) {
    gmtime_r(&t, &tm);
    if (!s.months[size_t(tm.tm_mon + 1)]) {
      tm.tm_mon += 1, tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!day_matches(s, tm)) {
      tm.tm_mday += 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!s.hours[size_t(tm.tm_hour)]) {
      tm.tm_hour += 1, tm.tm_min = tm.tm_sec = 0;
    } else if (!s.minutes[size_t(tm.tm_min)]) {
      tm.tm_min += 1, tm.tm_sec = 0;
    } else if (!s.seconds[size_t(tm.tm_sec)]) {
      tm.tm_sec += 1;
    } else {
      return t;
    }
    t = timegm(&tm);  // normalizes the overflowed field
  }
  return std::nullopt;
}

}  // namespace kinspect::daemon
