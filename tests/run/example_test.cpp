// The bundled example cluster: it is what the generator makes, and
// `kinspect run` on it names every planted problem.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
namespace fs = std::filesystem;
namespace json = boost::json;

static const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

TEST(Example, CommittedSnapshotIsWhatTheGeneratorMakes) {
  std::string tmp = "/tmp/kinspect-example-" + std::to_string(::getpid());
  auto gen = run_command(std::string(GEN_BIN) + " --preset example --out " + tmp);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  size_t compared = 0;
  for (const auto& e : fs::directory_iterator(tmp)) {
    auto same = run_command("cmp " + e.path().string() + " " + kExample + "/" + e.path().filename().string());
    EXPECT_EQ(same.exit_code, 0) << e.path().filename() << " differs: regenerate with " << GEN_BIN
                                 << " --preset example --out examples/cluster";
    ++compared;
  }
  EXPECT_GE(compared, 10u);
  fs::remove_all(tmp);
}

TEST(Example, RunNamesEveryPlantedProblem) {
  if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + kExample + " --plugin-dir " PLUGIN_DIR
                       " --format json --fail-on none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("cluster").at("version").as_string(), "v1.29.4");
  EXPECT_EQ(rep.at("cluster").at("type").as_string(), "self-hosted");
  std::string findings;
  for (const auto& c : rep.at("checks").as_array()) {
    EXPECT_NE(c.at("status").as_string(), "error") << c.at("id") << ": " << c.at("reason");
    for (const auto& f : c.at("findings").as_array())
      findings += std::string(c.at("id").as_string()) + " " + std::string(f.at("object").as_string()) + " " +
                  std::string(f.at("message").as_string()) + "\n";
  }
  // Each planted problem (examples/cluster/README.md) is named by some finding.
  for (const char* needle : {"worker-4", "master-2", "worker-3", "policy-guard", "checkout-", "inventory-export"})
    EXPECT_NE(findings.find(needle), std::string::npos) << "nothing names " << needle << " in:\n" << findings;
}
