// The executor through `kinspect run`, as a user runs it: fixture plugins
// that work, abort, hang or are missing; each failure lands only on the
// checks that read the failed table.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
namespace json = boost::json;

namespace {

std::string base_cmd(const char* format = "json") {
  // The fixtures this run needs, by name: the fixture folder also holds
  // plugins that cannot load, which would make any run a configuration error.
  return std::string(KINSPECT_BIN) + " run --format " + format + " --plugin-dir /nonexistent" +
         " --plugin " FIXTURE_DIR "/good.so --plugin " FIXTURE_DIR "/other.so --plugin " FIXTURE_DIR "/checks.so" +
         " --plugin " UNSAFE_FIXTURE_DIR "/unsafe_scan_aborts.so --plugin " UNSAFE_FIXTURE_DIR
         "/unsafe_scan_hangs.so --checks " RUN_DATA_DIR "/checks --profiles " RUN_DATA_DIR "/profiles";
}

const json::object& check(const json::value& report, std::string_view id) {
  for (const auto& c : report.at("checks").as_array())
    if (c.at("id").as_string() == id) return c.as_object();
  static json::object none;
  ADD_FAILURE() << "no check " << id << " in the report";
  return none;
}

// The report without what changes from run to run (times).
json::value stable(json::value v) {
  if (v.is_object()) {
    json::object out;
    for (auto& [k, x] : v.as_object())
      if (k != "duration_ms" && k != "generated_at") out[k] = stable(x);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (auto& x : v.as_array()) out.push_back(stable(x));
    return out;
  }
  return v;
}

}  // namespace

TEST(Executor, EachFailureLandsOnlyOnTheChecksThatNeedIt) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_command(base_cmd());
  auto took = std::chrono::steady_clock::now() - t0;
  // A table could not be read: the run is incomplete, whatever else it found.
  EXPECT_EQ(r.exit_code, 3) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("schema").as_string(), "kinspect.report/v1.3");

  const auto& even = check(rep, "even-ids");
  EXPECT_EQ(even.at("status").as_string(), "fail");
  ASSERT_EQ(even.at("findings").as_array().size(), 1u);
  EXPECT_EQ(even.at("findings").as_array()[0].at("message").as_string(), "row 2 has an even id");

  const auto& counts = check(rep, "big-counts");
  EXPECT_EQ(counts.at("status").as_string(), "fail");
  ASSERT_EQ(counts.at("findings").as_array().size(), 2u);
  EXPECT_EQ(counts.at("findings").as_array()[1].at("message").as_string(), "counter at 4, limit 3");

  EXPECT_EQ(check(rep, "other-answer").at("status").as_string(), "pass");

  const auto& aborts = check(rep, "reads-aborting-table");
  EXPECT_EQ(aborts.at("status").as_string(), "error");
  EXPECT_NE(std::string(aborts.at("reason").as_string()).find("plugin crashed (signal 6: Aborted)"), std::string::npos)
      << aborts.at("reason");

  const auto& hangs = check(rep, "reads-hanging-table");
  EXPECT_EQ(hangs.at("status").as_string(), "error");
  EXPECT_NE(std::string(hangs.at("reason").as_string()).find("timed out"), std::string::npos) << hangs.at("reason");
  // The profile gives tables 2 s; the hung worker is killed, not waited for.
  EXPECT_LT(took, std::chrono::seconds(20));

  const auto& missing = check(rep, "reads-missing-table");
  EXPECT_EQ(missing.at("status").as_string(), "skipped");
  EXPECT_EQ(missing.at("reason").as_string(), "needs table net.routes, which no loaded plugin provides");

  // The native check of the fixture "checks" plugin ran in its worker and
  // read test.good through the host.
  const auto& native = check(rep, "test-even-rows");
  EXPECT_EQ(native.at("status").as_string(), "fail");
  EXPECT_EQ(native.at("findings").as_array()[0].at("message").as_string(), "saw 3 rows");
}

TEST(Executor, ParallelAndSerialRunsGiveTheSameReport) {
  auto serial = run_command(base_cmd() + " -j 1");
  auto parallel = run_command(base_cmd() + " -j 8");
  ASSERT_EQ(serial.exit_code, 3) << serial.err;
  ASSERT_EQ(parallel.exit_code, 3) << parallel.err;
  EXPECT_EQ(json::serialize(stable(json::parse(serial.out))), json::serialize(stable(json::parse(parallel.out))));
}

TEST(Executor, ExitCodesGateOnSeverity) {
  const std::string healthy = base_cmd() + " --check even-ids --check big-counts --check other-answer";
  // A critical finding (big-counts) fails the default gate...
  EXPECT_EQ(run_command(healthy).exit_code, 1);
  // ...not when the gate is off, and not when the threshold is raised.
  EXPECT_EQ(run_command(healthy + " --fail-on none").exit_code, 0);
  EXPECT_EQ(run_command(healthy + " --param big-counts.limit=5 --check even-ids --fail-on critical").exit_code, 0);
  // A warning fails a warning gate.
  EXPECT_EQ(run_command(base_cmd() + " --check even-ids --fail-on warning").exit_code, 1);
  EXPECT_EQ(run_command(base_cmd() + " --check other-answer --fail-on info").exit_code, 0);
  // Usage and configuration errors are 2.
  EXPECT_EQ(run_command(base_cmd() + " --fail-on sometimes").exit_code, 2);
  EXPECT_EQ(run_command(base_cmd() + " --profile nope").exit_code, 2);
  EXPECT_EQ(run_command(base_cmd() + " --output report.docx").exit_code, 2);
}

TEST(Executor, ProfileParameterOverridesReachTheCheck) {
  auto r = run_command(base_cmd() + " --check big-counts --param big-counts.limit=4");
  json::value rep = json::parse(r.out);
  const auto& c = check(rep, "big-counts");
  ASSERT_EQ(c.at("findings").as_array().size(), 1u);
  EXPECT_EQ(c.at("findings").as_array()[0].at("message").as_string(), "counter at 4, limit 4");
  auto bad = run_command(base_cmd() + " --check big-counts --param big-counts.limt=4");
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Executor, SeveralOutputsInOneRun) {
  std::string dir = "/tmp/kinspect-outputs-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto r = run_command(base_cmd("terminal") + " --check even-ids --output " + dir + "/r.json --output " + dir +
                       "/r.html --output " + dir + "/r.xml --output " + dir + "/r.prom");
  EXPECT_EQ(r.exit_code, 0) << r.err;  // a warning does not fail the default (critical) gate
  EXPECT_NE(r.out.find("even-ids"), std::string::npos);
  for (const char* f : {"/r.json", "/r.html", "/r.xml", "/r.prom"})
    EXPECT_GT(std::filesystem::file_size(dir + f), 100u) << f;
  EXPECT_EQ(json::parse(kinspect::testing::run_command("cat " + dir + "/r.json").out).at("schema").as_string(),
            "kinspect.report/v1.3");
  std::filesystem::remove_all(dir);
}
