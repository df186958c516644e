// kinspect run --fail-on-new --baseline FILE on the example cluster: only
// findings the baseline does not have fail the run; an incomplete run still
// exits 3; without --baseline the flag is a usage error.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

kinspect::testing::CommandResult kinspect_run(const std::string& args) {
  return run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample) + " --plugin-dir " PLUGIN_DIR " " +
                     args);
}

class FailOnNew : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
    dir_ = fs::temp_directory_path() / ("kinspect-fail-on-new-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The example's report, as a baseline.
  std::string baseline() {
    std::string file = (dir_ / "baseline.json").string();
    auto r = kinspect_run("--fail-on none --format json --output " + sh_quote(file) + " >/dev/null");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return file;
  }

  // The baseline without its first finding: that finding is new today.
  std::string baseline_without_one_finding(const std::string& from, std::string* removed) {
    std::ifstream in(from);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json::value rep = json::parse(text);
    for (auto& c : rep.at("checks").as_array()) {
      auto& fs = c.at("findings").as_array();
      if (fs.empty()) continue;
      *removed = std::string(c.at("id").as_string()) + " " + std::string(fs[0].at("object").as_string());
      fs.erase(fs.begin());
      break;
    }
    std::string file = (dir_ / "baseline-minus-one.json").string();
    std::ofstream(file) << json::serialize(rep);
    return file;
  }

  fs::path dir_;
};

TEST_F(FailOnNew, SameRunAsBaselineExitsZero) {
  const std::string base = baseline();
  // Without --fail-on-new the example's critical findings fail the run...
  auto plain = kinspect_run("--baseline " + sh_quote(base) + " --format json");
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  // ...with it, findings the baseline has do not.
  auto r = kinspect_run("--baseline " + sh_quote(base) + " --fail-on-new --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("summary").at("new_findings").as_int64(), 0);
  EXPECT_GT(rep.at("summary").at("findings").as_int64(), 0);
}

TEST_F(FailOnNew, OneFindingMissingFromTheBaselineExitsOne) {
  std::string removed;
  const std::string base = baseline_without_one_finding(baseline(), &removed);
  ASSERT_FALSE(removed.empty()) << "the example has no findings";
  auto r = kinspect_run("--baseline " + sh_quote(base) + " --fail-on-new --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("summary").at("new_findings").as_int64(), 1);
  std::string fresh;
  for (const auto& c : rep.at("checks").as_array())
    for (const auto& f : c.at("findings").as_array())
      if (f.at("change") == "new") fresh = std::string(c.at("id").as_string()) + " " + std::string(f.at("object").as_string());
  EXPECT_EQ(fresh, removed);
  // The terminal says why the run failed.
  auto t = kinspect_run("--baseline " + sh_quote(base) + " --fail-on-new --color never");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.out.find("exit 1: 1 new finding (--fail-on-new, baseline "), std::string::npos) << t.out;
  // --fail-on, when given, sets the lowest severity of a new finding that counts.
  auto none = kinspect_run("--baseline " + sh_quote(base) + " --fail-on-new --fail-on none --format json");
  EXPECT_EQ(none.exit_code, 0) << none.err;
}

TEST_F(FailOnNew, IncompleteRunStillExitsThree) {
  std::string removed;
  const std::string base = baseline_without_one_finding(baseline(), &removed);
  // The example without one table file its checks read: those checks error,
  // the run is incomplete, and that comes before the new finding.
  const fs::path partial = dir_ / "partial";
  fs::copy(kExample, partial, fs::copy_options::recursive);
  fs::remove(partial / "validatingwebhookconfigurations.json");
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(partial.string()) +
                       " --plugin-dir " PLUGIN_DIR " --baseline " + sh_quote(base) + " --fail-on-new --format json");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("incomplete"), std::string::npos) << r.err;
}

TEST(FailOnNewUsage, NeedsABaseline) {
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample) + " --fail-on-new");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--fail-on-new needs --baseline FILE"), std::string::npos) << r.err;
  auto help = run_command(std::string(KINSPECT_BIN) + " run --help");
  EXPECT_NE(help.out.find("--fail-on-new"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("kinspect run --baseline yesterday.json --fail-on-new"), std::string::npos) << help.out;
}

}  // namespace
