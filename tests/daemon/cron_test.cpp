// Cron-like schedules (core/daemon/cron.h): parsing with the column of the
// bad field, and next fire times across month ends, leap days, Vixie's
// day-of-month OR day-of-week rule, steps, names and macros, all in UTC.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/daemon/config.h"
#include "core/daemon/cron.h"
#include "core/util/time.h"

using namespace kinspect;
using namespace kinspect::daemon;

namespace {

std::time_t at(const std::string& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return std::time_t(t.value_or(0));
}

// The next `count` fire times after `from`, as RFC 3339 text.
std::vector<std::string> fires(const std::string& schedule, const std::string& from, int count = 1) {
  CronError e;
  auto s = parse_cron(schedule, e);
  EXPECT_TRUE(s.has_value()) << schedule << ": column " << e.column << ": " << e.message;
  std::vector<std::string> out;
  if (!s) return out;
  std::time_t t = at(from);
  for (int i = 0; i < count; ++i) {
    auto next = next_fire(*s, t);
    if (!next) break;
    out.push_back(format_rfc3339(*next));
    t = *next;
  }
  return out;
}

CronError error_of(const std::string& schedule) {
  CronError e;
  EXPECT_FALSE(parse_cron(schedule, e).has_value()) << schedule << " parsed";
  return e;
}

using V = std::vector<std::string>;

}  // namespace

TEST(Cron, StepsRangesAndLists) {
  EXPECT_EQ(fires("*/15 * * * *", "2026-01-01T00:07:30Z", 3),
            (V{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z"}));
  // Strictly after: a fire time given is not returned again.
  EXPECT_EQ(fires("*/15 * * * *", "2026-01-01T00:15:00Z"), V{"2026-01-01T00:30:00Z"});
  EXPECT_EQ(fires("5-20/5 1-3/2 * * *", "2026-01-01T00:00:00Z", 5),
            (V{"2026-01-01T01:05:00Z", "2026-01-01T01:10:00Z", "2026-01-01T01:15:00Z", "2026-01-01T01:20:00Z",
               "2026-01-01T03:05:00Z"}));
  EXPECT_EQ(fires("0,30 23 * * *", "2026-12-31T23:45:00Z", 2), (V{"2027-01-01T23:00:00Z", "2027-01-01T23:30:00Z"}));
  // "a/n" runs from a to the end of the field.
  EXPECT_EQ(fires("50/5 * * * *", "2026-01-01T00:00:00Z", 3),
            (V{"2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:50:00Z"}));
}

TEST(Cron, MonthEndsAndLeapDays) {
  // The 31st skips the months that have none.
  EXPECT_EQ(fires("0 0 31 * *", "2026-01-31T00:00:01Z", 2), (V{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 30 * *", "2026-01-30T12:00:00Z"), V{"2026-03-30T00:00:00Z"});
  // Feb 29 waits for the next leap year, and 2100 is not one.
  EXPECT_EQ(fires("0 12 29 2 *", "2025-03-01T00:00:00Z", 2), (V{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}));
  EXPECT_EQ(fires("0 12 29 2 *", "2096-03-01T00:00:00Z"), V{"2104-02-29T12:00:00Z"});
  // The last day of a month rolls into the next month and year.
  EXPECT_EQ(fires("0 0 * * *", "2024-02-28T10:00:00Z", 3),
            (V{"2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"}));
}

TEST(Cron, BothDayFieldsRestrictedMeansEither) {
  // Vixie: the 13th OR any Friday (2026-01-02 and -09 are Fridays, the 13th a Tuesday).
  EXPECT_EQ(fires("0 0 13 * FRI", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"}));
  // One field starred: only the other counts.
  EXPECT_EQ(fires("0 0 * * MON", "2026-03-01T00:00:00Z"), V{"2026-03-02T00:00:00Z"});
  EXPECT_EQ(fires("0 0 13 * *", "2026-01-01T00:00:00Z"), V{"2026-01-13T00:00:00Z"});
  // A field beginning with '*' counts as starred even with a step (as in
  // Vixie cron): odd days AND Mondays.
  EXPECT_EQ(fires("0 0 */2 * MON", "2026-01-01T00:00:00Z", 3),
            (V{"2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z", "2026-02-09T00:00:00Z"}));
}

TEST(Cron, NamesSundaysMacrosAndSeconds) {
  EXPECT_EQ(fires("0 9 * jan-MAR Mon-Fri", "2026-03-31T09:00:00Z"), V{"2027-01-01T09:00:00Z"});
  EXPECT_EQ(fires("0 0 * * 7", "2026-01-01T00:00:00Z"), V{"2026-01-04T00:00:00Z"});  // 7 = Sunday
  EXPECT_EQ(fires("0 0 * * 0", "2026-01-01T00:00:00Z"), V{"2026-01-04T00:00:00Z"});
  EXPECT_EQ(fires("@hourly", "2026-01-01T00:00:01Z"), V{"2026-01-01T01:00:00Z"});
  EXPECT_EQ(fires("@daily", "2026-01-01T00:00:00Z"), V{"2026-01-02T00:00:00Z"});
  EXPECT_EQ(fires("@weekly", "2026-01-01T00:00:00Z"), V{"2026-01-04T00:00:00Z"});
  EXPECT_EQ(fires("@monthly", "2026-01-01T00:00:00Z"), V{"2026-02-01T00:00:00Z"});
  EXPECT_EQ(fires("@yearly", "2026-01-01T00:00:00Z"), V{"2027-01-01T00:00:00Z"});
  EXPECT_EQ(fires("*/20 * * * * *", "2026-01-01T00:00:05Z", 3),
            (V{"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"}));
}

TEST(Cron, ErrorsNameTheFieldAndColumn) {
  CronError e = error_of("61 * * * *");
  EXPECT_EQ(e.column, 1u);
  EXPECT_EQ(e.message, "the minute field '61': 61 is out of range 0-59");
  e = error_of("0  0 * * FOO");
  EXPECT_EQ(e.column, 10u);
  EXPECT_EQ(e.message, "the day-of-week field 'FOO': 'FOO' is not a day-of-week (want 0-7 or SUN-SAT)");
  e = error_of("0 0 * 1,13 *");
  EXPECT_EQ(e.column, 9u);
  EXPECT_NE(e.message.find("13 is out of range 1-12 or JAN-DEC"), std::string::npos) << e.message;
  e = error_of("0 20-5 * * *");
  EXPECT_EQ(e.column, 3u);
  EXPECT_NE(e.message.find("the range 20-5 goes backwards"), std::string::npos) << e.message;
  e = error_of("*/0 * * * *");
  EXPECT_EQ(e.column, 3u);
  EXPECT_NE(e.message.find("a step must be a number from 1 to 59"), std::string::npos) << e.message;
  e = error_of("0 0 30 2 *");
  EXPECT_EQ(e.column, 5u);
  EXPECT_NE(e.message.find("never fires"), std::string::npos) << e.message;
  e = error_of("* * *");
  EXPECT_NE(e.message.find("this has 3"), std::string::npos) << e.message;
  e = error_of("* * * * * * *");
  EXPECT_EQ(e.column, 13u);
  e = error_of("@reboot");
  EXPECT_NE(e.message.find("unknown schedule '@reboot'"), std::string::npos) << e.message;
  e = error_of("1,,2 * * * *");
  EXPECT_EQ(e.column, 3u);
  e = error_of("1- * * * *");
  EXPECT_NE(e.message.find("a value is missing"), std::string::npos) << e.message;
  EXPECT_EQ(error_of("").message.find("a schedule has 5 fields"), 0u);
}

TEST(Cron, TheConfigurationNamesFileLineAndColumnOfTheBadField) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("kinspect-cron-config-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << "clusters:\n"
                         "  - name: a\n"
                         "    snapshot: /x\n"
                         "    schedule: \"*/15 * * 13 *\"\n"
                         "  - name: b\n"
                         "    snapshot: /x\n"
                         "    schedule: 0 0 * * *\n"
                         "    interval: 5m\n";
  auto c = load_config(file.string());
  fs::remove(file);
  ASSERT_FALSE(bool(c));
  const auto& d = c.error().diagnostics();
  ASSERT_EQ(d.size(), 2u) << c.error().format();
  EXPECT_EQ(d[0].pos.line, 4u);
  EXPECT_EQ(d[0].pos.column, 25u);  // the '1' of 13
  EXPECT_EQ(d[0].field, "clusters[0].schedule");
  EXPECT_NE(d[0].message.find("the month field '13'"), std::string::npos) << d[0].message;
  EXPECT_EQ(d[1].pos.line, 7u);
  EXPECT_NE(d[1].message.find("`schedule` or `interval`, not both"), std::string::npos) << d[1].message;
  EXPECT_NE(c.error().format().find(file.string() + ":4:25"), std::string::npos) << c.error().format();
}

TEST(Cron, AValidScheduleInTheConfigurationIsParsed) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("kinspect-cron-ok-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << "clusters:\n  - name: a\n    snapshot: /x\n    schedule: '@hourly'\n";
  auto c = load_config(file.string());
  fs::remove(file);
  ASSERT_TRUE(bool(c)) << c.error().format();
  ASSERT_TRUE(c->clusters[0].cron.has_value());
  EXPECT_EQ(next_fire(*c->clusters[0].cron, at("2026-01-01T00:30:00Z")), at("2026-01-01T01:00:00Z"));
}
