// generate_series, cron_valid and timezone_valid.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

TEST(GenerateSeries, CountsUpDownAndByStep) {
  EXPECT_EQ(scalar("SELECT generate_series(1, 5)"), "[1,2,3,4,5]");
  EXPECT_EQ(scalar("SELECT generate_series(1, 10, 3)"), "[1,4,7,10]");
  EXPECT_EQ(scalar("SELECT generate_series(1, 9, 3)"), "[1,4,7]");
  EXPECT_EQ(scalar("SELECT generate_series(5, 1, -2)"), "[5,3,1]");
  EXPECT_EQ(scalar("SELECT generate_series(-2, 2)"), "[-2,-1,0,1,2]");
  EXPECT_EQ(scalar("SELECT generate_series(3, 3)"), "[3]");
}

TEST(GenerateSeries, EmptyRangesGiveAnEmptyArray) {
  EXPECT_EQ(scalar("SELECT generate_series(5, 1)"), "[]");
  EXPECT_EQ(scalar("SELECT generate_series(1, 5, -1)"), "[]");
  auto rs = run("SELECT n FROM UNNEST(generate_series(2, 1)) n");
  EXPECT_TRUE(rs.rows.empty());
}

TEST(GenerateSeries, NullArgumentsGiveNullAndNoRows) {
  EXPECT_EQ(scalar("SELECT generate_series(NULL, 5)"), "null");
  EXPECT_EQ(scalar("SELECT generate_series(1, NULL)"), "null");
  EXPECT_EQ(scalar("SELECT generate_series(1, 5, NULL)"), "null");
  EXPECT_TRUE(run("SELECT n FROM UNNEST(generate_series(1, NULL)) n").rows.empty());
}

TEST(GenerateSeries, UnnestGivesOneRowPerElement) {
  auto rs = run("SELECT n, n * n AS sq FROM UNNEST(generate_series(1, 4)) AS n WHERE n % 2 = 0");
  EXPECT_EQ(column(rs), (Strings{"2", "4"}));
  EXPECT_EQ(column(rs, 1), (Strings{"4", "16"}));
  // Bounds from a table: one series per row.
  auto per_row = run("SELECT count(*) FROM k8s.nodes n, UNNEST(generate_series(1, 3)) i");
  EXPECT_EQ(column(per_row), (Strings{"12"}));
}

TEST(GenerateSeries, InFromTheAliasNamesEachNumber) {
  EXPECT_EQ(column(run("SELECT g FROM generate_series(1, 3) AS g")), (Strings{"1", "2", "3"}));
  auto rs = run("SELECT * FROM Generate_Series(3, 1, -1)");
  EXPECT_EQ(rs.columns, (Strings{"generate_series"}));
  EXPECT_EQ(column(rs), (Strings{"3", "2", "1"}));
  // Lateral, as UNNEST: the bounds may come from an earlier table's row.
  auto lateral = run("SELECT n.name, i FROM k8s.nodes n, generate_series(1, 2) i WHERE n.name = 'worker-a'");
  EXPECT_EQ(column(lateral, 1), (Strings{"1", "2"}));
  auto left = run("SELECT g, count(p.name) AS pods FROM generate_series(6, 8) g "
                  "LEFT JOIN k8s.pods p ON p.status.containerStatuses[0].restartCount = g GROUP BY g ORDER BY g");
  EXPECT_EQ(column(left, 1), (Strings{"0", "1", "0"}));
  EXPECT_TRUE(run("SELECT g FROM generate_series(1, NULL) g").rows.empty());
  std::string e = error_of("SELECT g\nFROM generate_series(1, 5, 0) g");
  EXPECT_NE(e.find("<query>:2:6:"), std::string::npos) << e;
}

TEST(GenerateSeries, ExtremeBoundsDoNotOverflow) {
  EXPECT_EQ(scalar("SELECT generate_series(9223372036854775806, 9223372036854775807)"),
            "[9223372036854775806,9223372036854775807]");
  EXPECT_EQ(scalar("SELECT generate_series(9223372036854775807, 9223372036854775806, -9223372036854775807)"),
            "[9223372036854775807]");
  EXPECT_EQ(scalar("SELECT array_length(generate_series(1, 1000000))"), "1000000");
}

TEST(GenerateSeries, BadArgumentsAreErrorsAtTheirPosition) {
  std::string e = error_of("SELECT\n  generate_series(1, 5, 0)");
  EXPECT_NE(e.find("<query>:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("step must not be 0"), std::string::npos) << e;
  e = error_of("SELECT generate_series(0, 1000000)");
  EXPECT_NE(e.find("1000001 elements"), std::string::npos) << e;
  EXPECT_NE(e.find("limit of 1000000"), std::string::npos) << e;
  e = error_of("SELECT generate_series(-9223372036854775807, 9223372036854775807)");
  EXPECT_NE(e.find("limit of 1000000"), std::string::npos) << e;
  e = error_of("SELECT generate_series(1, 2.5)");
  EXPECT_NE(e.find("expects integers, argument 2 is real"), std::string::npos) << e;
  e = error_of("SELECT generate_series('1', 2)");
  EXPECT_NE(e.find("argument 1"), std::string::npos) << e;
  e = error_of("SELECT generate_series(1)");
  EXPECT_NE(e.find("takes 2 to 3 arguments"), std::string::npos) << e;
}

struct Schedule {
  const char* text;
  bool valid;
};

// Valid and invalid spec.schedule values, as the API server's validation
// (robfig/cron v3's standard parser) decides them.
const Schedule kSchedules[] = {
    {"* * * * *", true},
    {"*/5 * * * *", true},
    {"0 0 * * *", true},
    {"30 2 * * 1-5", true},
    {"0 9-17/2 * * MON-FRI", true},
    {"15 10 1,15 * *", true},
    {"0 0 1 jan,Jul *", true},
    {"0 0 ? * SUN", true},
    {"0 0 1 * ?", true},
    {"5/15 * * * *", true},
    {"0 0 30 2 *", true},     // never fires, but valid
    {"*/100 * * * *", true},  // a step beyond the range gives its first value
    {"  0 12 * * 6  ", true},
    {"0\t12 * * *", true},
    {"59 23 31 12 6", true},
    {"@yearly", true},
    {"@annually", true},
    {"@monthly", true},
    {"@weekly", true},
    {"@daily", true},
    {"@midnight", true},
    {"@hourly", true},
    {"@every 1h30m", true},
    {"@every 90s", true},
    {"@every 1.5h", true},
    {"@every 300ms", true},
    {"", false},
    {" ", false},
    {"* * * *", false},
    {"0 * * * * *", false},  // 6 fields: seconds are not allowed
    {"60 * * * *", false},
    {"* 24 * * *", false},
    {"* * 0 * *", false},
    {"* * 32 * *", false},
    {"* * * 13 *", false},
    {"* * * * 7", false},  // day-of-week is 0-6
    {"5-1 * * * *", false},
    {"*/0 * * * *", false},
    {"1-2-3 * * * *", false},
    {"1/2/3 * * * *", false},
    {"1,,2 * * * *", false},
    {"-1 * * * *", false},
    {"a * * * *", false},
    {"* * * JANUARY *", false},
    {"* * * * MONDAY", false},
    {"* * * MON *", false},
    {"@reboot", false},
    {"@Daily", false},
    {"@daily ", false},
    {"@every", false},
    {"@every ", false},
    {"@every 5", false},
    {"@every 1d", false},
    {"TZ=UTC 0 0 * * *", false},
    {"CRON_TZ=Europe/Berlin 0 0 * * *", false},
};

TEST(CronValid, TableOfSchedules) {
  for (const auto& s : kSchedules) {
    Params params{{"s", boost::json::value(s.text)}};
    auto rs = run("SELECT cron_valid(param.s)", params);
    ASSERT_EQ(rs.rows.size(), 1u);
    EXPECT_EQ(boost::json::serialize(rs.rows[0][0]), s.valid ? "true" : "false") << "'" << s.text << "'";
  }
}

TEST(CronValid, NullGivesNullAndNonTextIsAnError) {
  EXPECT_EQ(scalar("SELECT cron_valid(NULL)"), "null");
  std::string e = error_of("SELECT cron_valid(5)");
  EXPECT_NE(e.find("cron_valid() expects text, got integer"), std::string::npos) << e;
}

TEST(TimezoneValid, NamesOfTheTzDatabase) {
  EXPECT_EQ(scalar("SELECT timezone_valid('UTC')"), "true");
  EXPECT_EQ(scalar("SELECT timezone_valid('')"), "false");
  EXPECT_EQ(scalar("SELECT timezone_valid(NULL)"), "null");
  for (const char* bad : {"Local", "/etc/passwd", "../../../etc/passwd", "Europe/../UTC", "Nowhere/Atlantis",
                          "Europe/", "Europe//Berlin", ".hidden", "Europe"})
    EXPECT_EQ(scalar(std::string("SELECT timezone_valid('") + bad + "')"), "false") << bad;
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"))
    GTEST_SKIP() << "no tz database in /usr/share/zoneinfo (install tzdata: scripts/setup does)";
  for (const char* good : {"Etc/UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Tokyo"})
    EXPECT_EQ(scalar(std::string("SELECT timezone_valid('") + good + "')"), "true") << good;
  // A file of the database that is not a zone (no TZif header).
  if (std::filesystem::exists("/usr/share/zoneinfo/leapseconds")) {
    EXPECT_EQ(scalar("SELECT timezone_valid('leapseconds')"), "false");
  }
  EXPECT_EQ(scalar("SELECT timezone_valid('europe/berlin')"), "false");  // names are case-sensitive
}

}  // namespace
}  // namespace kinspect::kcql::test
