// The report history: bounded per cluster and in bytes, never losing a
// cluster's newest report, and read back whole by the next start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/daemon/history.h"

using namespace kinspect;
using kinspect::daemon::History;
namespace fs = std::filesystem;

namespace {

report::Report report_at(const std::string& when, size_t findings) {
  report::Report r;
  r.generated_at = when;
  r.profile = "test";
  report::CheckResult c;
  c.id = "some-check";
  c.status = findings ? report::Status::Fail : report::Status::Pass;
  for (size_t i = 0; i < findings; ++i) c.findings.push_back({"pod/p" + std::to_string(i), std::string(200, 'x')});
  r.checks.push_back(c);
  return r;
}

struct Dir {
  fs::path path = fs::temp_directory_path() / ("kinspect-history-" + std::to_string(::getpid()));
  Dir() { fs::remove_all(path); }
  ~Dir() { fs::remove_all(path); }
};

}  // namespace

TEST(History, KeepsTheNewestPerClusterAndReadsThemBack) {
  Dir d;
  {
    History h(d.path.string(), 3, size_t(1) << 30);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.add("a", report_at("2026-01-01T00:00:0" + std::to_string(i) + "Z", 1)));
    ASSERT_TRUE(h.add("b", report_at("2026-01-01T00:00:09Z", 0)));
    auto a = h.list("a");
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].id, "a-00000005");
    EXPECT_EQ(a[2].id, "a-00000003");
    EXPECT_EQ(h.latest("b")->id, "b-00000001");
    EXPECT_FALSE(h.json("a-00000001")) << "a report past the bound is still served";
    EXPECT_FALSE(fs::exists(d.path / "reports" / "a" / "00000001.json"));
  }
  std::ofstream(d.path / "reports" / "a" / "00000009.json.tmp") << "{ half";  // what a crash leaves
  History again(d.path.string(), 3, size_t(1) << 30);
  EXPECT_TRUE(again.load().empty());
  EXPECT_EQ(again.list("").size(), 4u);
  auto text = again.json("a-00000005");
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("\"some-check\""), std::string::npos);
  auto next = again.add("a", report_at("2026-01-01T00:01:00Z", 0));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, "a-00000006") << "sequences go on after a restart";
}

TEST(History, TheByteBoundDropsTheOldestButNeverAClustersNewest) {
  Dir d;
  History h(d.path.string(), 100, 20000);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(h.add("a", report_at("2026-01-01T00:00:0" + std::to_string(i) + "Z", 20)));
  EXPECT_LE(h.total_bytes(), 20000u);
  EXPECT_LT(h.list("a").size(), 6u);
  EXPECT_EQ(h.latest("a")->id, "a-00000006");
  // One report alone over the bound is still kept: it is the newest.
  History tiny(d.path.string() + "-tiny", 100, 10);
  ASSERT_TRUE(tiny.add("b", report_at("2026-01-01T00:00:00Z", 20)));
  EXPECT_EQ(tiny.list("b").size(), 1u);
  fs::remove_all(d.path.string() + "-tiny");
}

TEST(History, AFileThatIsNotAReportIsNamedAndLeftAlone) {
  Dir d;
  fs::create_directories(d.path / "reports" / "a");
  std::ofstream(d.path / "reports" / "a" / "00000001.json") << "{\"schema\": 3}";
  History h(d.path.string(), 3, size_t(1) << 30);
  auto problems = h.load();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("00000001.json"), std::string::npos) << problems[0];
  EXPECT_TRUE(fs::exists(d.path / "reports" / "a" / "00000001.json"));
  EXPECT_TRUE(h.list("a").empty());
}
