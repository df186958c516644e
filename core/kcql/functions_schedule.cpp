// cron_valid and timezone_valid: whether a CronJob's spec.schedule and
// spec.timeZone would pass the API server's validation.
//
// The schedule dialect is the one Kubernetes validates with (the "standard"
// parser of github.com/robfig/cron/v3), which differs from the daemon's own
// schedules in core/daemon/cron.h: exactly five fields and no seconds,
// day-of-week 0-6 only (7 is an error), `?` accepted like `*`, `@every
// <duration>`, and a schedule that never fires ("0 0 30 2 *") still valid.
// Hence a small validator here rather than a shared parser.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/kcql/functions.h"

namespace kinspect::kcql {
namespace {

struct FieldRange {
  int min, max;
  std::array<std::string_view, 12> names;  // names[i] is min + i; empty when none
};

constexpr FieldRange kFields[5] = {
    {0, 59, {}},
    {0, 23, {}},
    {1, 31, {}},
    {1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    {0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) out.push_back(s.substr(begin, i - begin)), begin = i + 1;
  return out;
}

// A non-negative decimal number (at most 9 digits, so no overflow).
bool parse_number(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool parse_number_or_name(std::string_view s, const FieldRange& f, int& out) {
  for (size_t i = 0; i < f.names.size() && !f.names[i].empty(); ++i) {
    const auto& name = f.names[i];
    if (s.size() == name.size() &&
        std::equal(s.begin(), s.end(), name.begin(), [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      out = f.min + int(i);
      return true;
    }
  }
  return parse_number(s, out);
}

// One comma-separated part: `*`, `?`, `a`, `a-b`, each optionally `/step`.
bool valid_part(std::string_view part, const FieldRange& f) {
  auto range_and_step = split(part, '/');
  if (range_and_step.size() > 2) return false;
  auto low_high = split(range_and_step[0], '-');
  int start = f.min, end = f.max;
  if (low_high[0] != "*" && low_high[0] != "?") {
    if (low_high.size() > 2 || !parse_number_or_name(low_high[0], f, start)) return false;
    end = start;
    if (low_high.size() == 2 && !parse_number_or_name(low_high[1], f, end)) return false;
  }
  if (range_and_step.size() == 2) {
    int step = 0;
    if (!parse_number(range_and_step[1], step) || step == 0) return false;
    if (low_high.size() == 1) end = f.max;  // `a/n`: from a to the field's maximum
  }
  return start >= f.min && end <= f.max && start <= end;
}

bool valid_field(std::string_view field, const FieldRange& f) {
  for (auto part : split(field, ','))
    if (!valid_part(part, f)) return false;
  return true;
}

// A Go duration as time.ParseDuration reads it: [+-] then number+unit pairs
// ("1h30m", "1.5s", "300ms"), or a bare "0".
bool valid_go_duration(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s == "0") return true;
  if (s.empty()) return false;
  static constexpr std::string_view kUnits[] = {"ns", "us", "\xC2\xB5s", "\xCE\xBCs", "ms", "s", "m", "h"};
  while (!s.empty()) {
    size_t digits = 0, i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    }
    if (digits == 0) return false;
    s.remove_prefix(i);
    size_t unit = 0;
    for (auto u : kUnits)  // longest match first: "ms" before "m"
      if (s.substr(0, u.size()) == u && u.size() > unit) unit = u.size();
    if (unit == 0) return false;
    s.remove_prefix(unit);
  }
  return true;
}

bool valid_cron(std::string_view spec) {
  if (spec.empty()) return false;
  // The API server refuses TZ= and CRON_TZ= in the schedule (spec.timeZone replaces them).
  if (spec.find("TZ") != std::string_view::npos) return false;
  if (spec[0] == '@') {
    static constexpr std::string_view kDescriptors[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                                        "@daily",  "@midnight", "@hourly"};
    if (std::find(std::begin(kDescriptors), std::end(kDescriptors), spec) != std::end(kDescriptors)) return true;
    constexpr std::string_view every = "@every ";
    return spec.substr(0, every.size()) == every && valid_go_duration(spec.substr(every.size()));
  }
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    size_t begin = i;
    while (i < spec.size() && !std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    if (i > begin) fields.push_back(spec.substr(begin, i - begin));
  }
  if (fields.size() != 5) return false;
  for (size_t f = 0; f < 5; ++f)
    if (!valid_field(fields[f], kFields[f])) return false;
  return true;
}

Value fn_cron_valid(FunctionContext& ctx, const Value* a, size_t) {
  if (!a[0].is_string()) return ctx.fail("cron_valid() expects text, got " + std::string(kind_name(a[0])));
  return Value::boolean(valid_cron(a[0].as_string()));
}

// Where Debian's tzdata (and Go's time.LoadLocation, first) finds zones.
constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo/";

// A zone name is a relative path of plain components: no "..", no absolute
// path, nothing hidden, so the lookup cannot leave the tz database.
bool safe_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name[0] == '/') return false;
  for (auto part : split(name, '/')) {
    if (part.empty() || part[0] == '.' || part[0] == '-') return false;
    for (char c : part)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+')) return false;
  }
  return true;
}

bool valid_timezone(std::string_view name) {
  if (name == "UTC") return true;  // Go's time.LoadLocation needs no file for it
  if (name == "Local" || !safe_zone_name(name)) return false;
  std::ifstream in(std::string(kZoneinfoDir) + std::string(name), std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "TZif", 4) == 0;
}

Value fn_timezone_valid(FunctionContext& ctx, const Value* a, size_t) {
  if (!a[0].is_string()) return ctx.fail("timezone_valid() expects text, got " + std::string(kind_name(a[0])));
  return Value::boolean(valid_timezone(a[0].as_string()));
}

}  // namespace

void register_schedule_functions(std::vector<FunctionDef>& out) {
  out.push_back({"cron_valid", 1, 1, fn_cron_valid, "cron_valid(text) -> boolean",
                 "whether the text is a valid CronJob spec.schedule"});
  out.push_back({"timezone_valid", 1, 1, fn_timezone_valid, "timezone_valid(text) -> boolean",
                 "whether the name is a zone of the system's tz database (a valid CronJob spec.timeZone)"});
}

}  // namespace kinspect::kcql
