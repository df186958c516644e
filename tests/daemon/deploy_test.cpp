// deploy/ passes kinspect's own checks: the manifests, with the Pod the
// Deployment would run, inspected as a snapshot report nothing above info,
// and the pod-level security checks really ran on that Pod.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

#include "tests/common/run_command.h"

using namespace kinspect::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST(Deploy, ManifestsPassTheWorkloadAndSecurityChecks) {
  if (run_command("python3 -c 'import yaml'").exit_code != 0)
    GTEST_SKIP() << "python3 with PyYAML (Debian python3-yaml) is needed to expand the Deployment into its Pod";
  const fs::path out = fs::temp_directory_path() / ("kinspect-deploy-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string src = KINSPECT_SOURCE_DIR;
  auto made = run_command("python3 " + sh_quote(src + "/tests/daemon/scripts/deploy_snapshot.py") + " " +
                          sh_quote(src + "/deploy") + " " + sh_quote(out.string()));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(made.out, "1\n") << "one Deployment expanded into its Pod";
  auto run = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(out.string()) + " --plugin-dir " +
                         sh_quote(KINSPECT_PLUGIN_DIR) + " --format json --fail-on none --allow-incomplete");
  fs::remove_all(out);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value r = json::parse(run.out);
  std::set<std::string> passed;
  for (const auto& c : r.at("checks").as_array()) {
    if (c.at("status").as_string() == "pass") passed.insert(std::string(c.at("id").as_string()));
    for (const auto& f : c.at("findings").as_array())
      EXPECT_EQ(f.at("severity").as_string(), "info") << c.at("id").as_string() << ": " << f.at("message").as_string();
  }
  for (const char* id : {"run-as-root", "run-as-non-root-not-enforced", "dangerous-capabilities"})
    EXPECT_TRUE(passed.count(id)) << id << " did not run on the Deployment's Pod";
}
