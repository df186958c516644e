// The kinspect executable, run as a user would.
#include <gtest/gtest.h>

#include <kinspect/abi.h>

#include <boost/json.hpp>
#include <kinspect/abi.h>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
namespace json = boost::json;

static const std::string kBin = KINSPECT_BIN;
static const std::string kFixtures = std::string("--plugin-dir ") + FIXTURE_DIR;

TEST(Cli, PluginsListAsJsonNamesEveryPluginAndEveryProblem) {
  auto r = run_command(kBin + " plugins list --format json " + kFixtures);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& p : v.at("plugins").as_array()) names.emplace_back(p.at("name").as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"c-abi10", "c-ok", "checks", "good", "other"}));
  const auto& good = v.at("plugins").as_array()[3];
  EXPECT_EQ(good.at("version").as_string(), "1.2.3");
  EXPECT_EQ(good.at("abi").as_string(), std::to_string(KI_ABI_MAJOR) + "." + std::to_string(KI_ABI_MINOR));
  // A plugin built with this SDK declares its settings (none here); a 1.0
  // plugin declares none and is still loaded, its settings unchecked.
  EXPECT_TRUE(good.at("settings").is_array());
  const auto& old = v.at("plugins").as_array()[0];
  EXPECT_EQ(old.at("abi").as_string(), "1.0");
  EXPECT_TRUE(old.at("settings").is_null());
  EXPECT_EQ(good.at("kind").as_string(), "driver");
  EXPECT_EQ(good.at("tables").as_array().size(), 3u);  // test.good, test.count, test.worker
  EXPECT_EQ(v.at("problems").as_array().size(), 9u);
  // Each problem also went to stderr as a tagged one-line error.
  EXPECT_NE(r.err.find("error: [loader] " + std::string(FIXTURE_DIR) + "/abi_major2.so: plugin ABI 2.0"), std::string::npos)
      << r.err;
}

TEST(Cli, PluginsListTableAndStrict) {
  auto r = run_command(kBin + " plugins list " + kFixtures);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("NAME"), std::string::npos);
  EXPECT_NE(r.out.find("test.good,test.count"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\033["), std::string::npos) << "no colour when stdout is not a terminal";
  auto strict = run_command(kBin + " plugins list --strict " + kFixtures);
  EXPECT_EQ(strict.exit_code, 3);
}

TEST(Cli, TablesShowsColumnsAndSuggestsNames) {
  auto r = run_command(kBin + " tables test.good " + kFixtures);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("meta"), std::string::npos);
  EXPECT_NE(r.out.find("json"), std::string::npos);
  EXPECT_NE(r.out.find("config (hidden)"), std::string::npos);
  auto fn = run_command(kBin + " tables test.count " + kFixtures);
  EXPECT_NE(fn.out.find("test.count(n integer)"), std::string::npos) << fn.out;
  auto typo = run_command(kBin + " tables test.godo " + kFixtures);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'test.good'?"), std::string::npos) << typo.err;
  auto all = run_command(kBin + " tables --format json " + kFixtures);
  ASSERT_EQ(all.exit_code, 0);
  EXPECT_GE(json::parse(all.out).as_array().size(), 4u);
}

TEST(Cli, HelpTeachesAndUsageErrorsExitTwo) {
  auto top = run_command(kBin + " --help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("plugins list"), std::string::npos);
  EXPECT_NE(top.out.find("Exit codes"), std::string::npos);
  auto sub = run_command(kBin + " plugins list --help");
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.out.find("Examples:"), std::string::npos);
  EXPECT_NE(sub.out.find("--plugin-dir"), std::string::npos);
  auto bad = run_command(kBin + " plugins list --no-such-flag");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no-such-flag"), std::string::npos);
  auto typo = run_command(kBin + " tabels");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'tables'?"), std::string::npos) << typo.err;
  auto group = run_command(kBin + " plugins");
  EXPECT_NE(group.out.find("kinspect plugins list"), std::string::npos);
}

TEST(Cli, VersionNamesTheAbi) {
  auto r = run_command(kBin + " version --format json");
  ASSERT_EQ(r.exit_code, 0);
  json::value v = json::parse(r.out);
  EXPECT_EQ(v.at("abi").as_string(), std::to_string(KI_ABI_MAJOR) + "." + std::to_string(KI_ABI_MINOR));
}

// ABI 1.0 on a 1.1 host: the plugin loads and answers, and a setting for it
// passes unchecked (it declares none); an SDK plugin refuses an unknown one.
TEST(Cli, Abi10PluginLoadsAndItsSettingsPassUnchecked) {
  auto r = run_command(kBin + " query \"SELECT count(*) AS n FROM test.abi10\" --format csv --plugin " FIXTURE_DIR
                       "/c_abi10.so --plugin-dir /nonexistent --set c-abi10.anything=1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto bad = run_command(kBin + " query \"SELECT count(*) FROM test.good\" --plugin " FIXTURE_DIR
                         "/good.so --plugin-dir /nonexistent --set good.anything=1");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("plugin 'good' has no setting 'anything'"), std::string::npos) << bad.err;
}
