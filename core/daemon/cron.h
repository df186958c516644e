// Cron-like schedules for `kinspect serve` (docs/daemon.md, "Scheduling").
//
// Five fields, as crontab(5) of Vixie cron: minute hour day-of-month month
// day-of-week. Each field is `*`, a number, a name (JAN-DEC, SUN-SAT, any
// case), a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (a to the field's
// maximum), or a comma-separated list of those. Day-of-week 0 and 7 are both
// Sunday. `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
// (`@midnight`) and `@hourly` stand for their usual five fields.
//
// As in Vixie cron, when both day fields are restricted (neither begins with
// `*`) a day matches if EITHER matches ("0 0 1 * MON": the 1st and every
// Monday); when one begins with `*`, only the other one counts.
//
// An optional sixth field in front gives the second (0-59), as in Quartz and
// robfig/cron: "*/10 * * * * *" is every ten seconds. Without it the second
// is 0. Times are UTC: a daemon in a container rarely has a meaningful local
// time zone, and UTC has no daylight-saving gaps or repeats.
#pragma once

#include <bitset>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kinspect::daemon {

struct CronSchedule {
  std::bitset<60> seconds, minutes;
  std::bitset<24> hours;
  std::bitset<32> days;    // 1-31
  std::bitset<13> months;  // 1-12
  std::bitset<7> weekdays; // 0 = Sunday
  bool days_star = false, weekdays_star = false;  // the field began with '*'
};

// What is wrong with a schedule and where: `column` is 1-based within the text.
struct CronError {
  size_t column = 1;
  std::string message;
};

// A schedule, or the first problem in it, e.g. "the minute field: 61 is out
// of range 0-59". A schedule that can never fire ("0 0 30 2 *") is an error.
std::optional<CronSchedule> parse_cron(std::string_view text, CronError& error);

// The first time strictly after `after` (epoch seconds, UTC) that the schedule
// fires; none when it does not fire within the next 10 years.
std::optional<std::time_t> next_fire(const CronSchedule& schedule, std::time_t after);

}  // namespace kinspect::daemon
