// Correctness at scale, CI-sized: a generated cluster with anomalies planted
// at known rates; the findings of the matching checks must equal the counts
// in the generator's planted.json (bench/run checks the same at 150k pods).
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

json::value read_json(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

size_t findings(const json::value& report, std::string_view id) {
  for (const auto& c : report.at("checks").as_array())
    if (c.at("id").as_string() == id) {
      EXPECT_NE(c.at("status").as_string(), "error") << id << ": " << c.at("reason");
      return c.at("findings").as_array().size();
    }
  ADD_FAILURE() << "check " << id << " did not run";
  return 0;
}

}  // namespace

TEST(Scale, FindingsMatchWhatTheGeneratorPlanted) {
  if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
  fs::path dir = fs::temp_directory_path() / ("kinspect-scale-" + std::to_string(::getpid()));
  auto gen = run_command(std::string(GEN_BIN) + " --out " + dir.string() +
                         " --seed 11 --workers 120 --pods 3000 --namespaces 6 --notready-rate 0.05"
                         " --crashloop-rate 0.01 --no-endpoints-rate 0.05 --removed-api-rate 0.1 --pending-pvc-rate 0.01"
                         " --pdb-blocking-rate 0.01 --pdb-selects-nothing-rate 0.01");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  json::value planted = read_json(dir / "planted.json");
  // Rates are chosen so that every kind is planted at least a few times.
  for (const char* k : {"notready_nodes", "crashloop_pods", "services_without_endpoints", "removed_api_objects", "pending_pvcs",
                        "pdbs_blocking_drain", "pdbs_selecting_nothing"})
    EXPECT_GE(planted.at(k).as_int64(), 3) << k;

  const std::string run = std::string(KINSPECT_BIN) + " run --snapshot " + dir.string() + " --plugin-dir " PLUGIN_DIR
                          " --format json --fail-on none --quiet";
  auto inspection = run_command(run);
  ASSERT_EQ(inspection.exit_code, 0) << inspection.err;
  json::value rep = json::parse(inspection.out);
  EXPECT_EQ(findings(rep, "node-status-unknown"), planted.at("notready_nodes").as_int64());
  EXPECT_EQ(findings(rep, "pod-crashloop"), planted.at("crashloop_pods").as_int64());
  EXPECT_EQ(findings(rep, "service-selector-no-pods"), planted.at("services_without_endpoints").as_int64());
  EXPECT_EQ(findings(rep, "pvc-pending"), planted.at("pending_pvcs").as_int64());
  EXPECT_EQ(findings(rep, "pdb-selects-nothing"), planted.at("pdbs_selecting_nothing").as_int64());

  auto upgrade = run_command(run + " --scenario pre-upgrade --target-version 1.30");
  ASSERT_EQ(upgrade.exit_code, 0) << upgrade.err;
  json::value up = json::parse(upgrade.out);
  EXPECT_EQ(findings(up, "removed-api"), planted.at("removed_api_objects").as_int64());
  // Budgets planted to block, and those the other anomalies' unready pods exhaust.
  EXPECT_EQ(findings(up, "upgrade-pdb-blocks-drain"), planted.at("pdbs_blocking_drain").as_int64());
  fs::remove_all(dir);
}
