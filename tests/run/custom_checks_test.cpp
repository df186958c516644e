// Custom checks as the README shows them: a folder of the user's own adds to
// the bundled catalog, --no-bundled-checks runs only it, and `checks explain`
// shows what the check is about before its plan. The check is taken from the
// README itself, so the documented example is the one that is run.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kSource = KINSPECT_SOURCE_DIR;
const std::string kExample = kSource + "/examples/cluster";

// The KCQL between "<<'KCQL'" and the closing "KCQL" line of README.md.
std::string readme_check() {
  std::ifstream in(kSource + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  size_t start = text.find("<<'KCQL'\n");
  if (start == std::string::npos) return {};
  start += 9;
  size_t end = text.find("\nKCQL\n", start);
  return end == std::string::npos ? std::string() : text.substr(start, end - start + 1);
}

class CustomChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
    dir_ = fs::temp_directory_path() / ("kinspect-custom-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string check = readme_check();
    ASSERT_NE(check.find("CHECK team-label-missing"), std::string::npos) << "README.md lost its worked example";
    std::ofstream(dir_ / "team.kcql") << check;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string kinspect(const std::string& args) const {
    return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " PLUGIN_DIR;
  }
  fs::path dir_;
};

json::object run_report(const kinspect::testing::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out).as_object();
}

const json::object* find_check(const json::object& report, std::string_view id) {
  for (const auto& c : report.at("checks").as_array())
    if (c.at("id").as_string() == id) return &c.as_object();
  return nullptr;
}

}  // namespace

TEST_F(CustomChecks, AddToTheBundledCatalog) {
  auto r = run_command(kinspect("run --snapshot " + kExample + " --checks " + dir_.string() +
                                " --format json --fail-on none"));
  json::object rep = run_report(r);
  const json::object* mine = find_check(rep, "team-label-missing");
  ASSERT_NE(mine, nullptr) << "the custom check ran in the matching profile";
  EXPECT_EQ(mine->at("status").as_string(), "fail");
  EXPECT_GT(mine->at("findings").as_array().size(), 0u);
  for (const auto& f : mine->at("findings").as_array())
    EXPECT_EQ(f.at("object").as_string().subview().rfind("deployment/", 0), 0u) << f;
  EXPECT_NE(find_check(rep, "node-not-ready"), nullptr) << "and the bundled checks still ran";
}

TEST_F(CustomChecks, TheBundledFolderNamedAgainIsReadOnce) {
  auto r = run_command(kinspect("run --snapshot " + kExample + " --checks " + kSource + "/checks --checks " +
                                dir_.string() + " --format json --fail-on none"));
  json::object rep = run_report(r);
  EXPECT_NE(find_check(rep, "team-label-missing"), nullptr);
}

TEST_F(CustomChecks, NoBundledChecksRunsOnlyThem) {
  auto r = run_command(kinspect("run --snapshot " + kExample + " --no-bundled-checks --checks " + dir_.string() +
                                " --format json --fail-on none"));
  json::object rep = run_report(r);
  ASSERT_EQ(rep.at("checks").as_array().size(), 1u) << r.out;
  EXPECT_NE(find_check(rep, "team-label-missing"), nullptr);

  auto none = run_command(kinspect("run --snapshot " + kExample + " --no-bundled-checks"));
  EXPECT_EQ(none.exit_code, 2) << "nothing to run is a usage error, not an empty pass";
  EXPECT_NE(none.err.find("--no-bundled-checks"), std::string::npos) << none.err;
}

TEST_F(CustomChecks, ExplainShowsTheCheckBeforeThePlan) {
  auto r = run_command(kinspect("checks explain team-label-missing --checks " + dir_.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t severity = r.out.find("severity    warning\n"), remedy = r.out.find("remedy      Add metadata.labels.team"),
         plan = r.out.find("\nplan:\n");
  EXPECT_NE(severity, std::string::npos) << r.out;
  EXPECT_NE(remedy, std::string::npos) << r.out;
  ASSERT_NE(plan, std::string::npos) << r.out;
  EXPECT_LT(remedy, plan);
  EXPECT_NE(r.out.find("k8s.deployments", plan), std::string::npos) << r.out;

  auto bundled = run_command(kinspect("checks explain node-not-ready"));
  ASSERT_EQ(bundled.exit_code, 0) << bundled.err;
  EXPECT_NE(bundled.out.find("severity    critical\n"), std::string::npos) << bundled.out;
  EXPECT_NE(bundled.out.find("docs        https://kubernetes.io/"), std::string::npos) << bundled.out;
}
