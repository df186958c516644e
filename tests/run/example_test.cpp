// The bundled example cluster: it is what the generator makes, and
// `kinspect run` on it names every planted problem.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

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

namespace {

json::value read_json(const fs::path& p) {
  std::ifstream in(p);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return json::parse(text);
}

// The tables the example's manifest lists, with their counts.
std::map<std::string, int64_t> manifest_tables() {
  std::map<std::string, int64_t> tables;
  json::value manifest = read_json(fs::path(kExample) / "manifest.json");
  for (const auto& r : manifest.at("resources").as_array())
    tables[std::string(r.at("table").as_string())] = r.at("count").as_int64();
  return tables;
}

}  // namespace

// A table a snapshot does not list is "not captured": every check reading it
// would be reported as not checked. So the example captures every API-server
// table that the checks of its default (inspection) profile read, and those
// of the pre-upgrade profile. Which tables those are is taken from the run's
// own report: the checks' "tables", and the plugin that provides each.
static void expect_captures_what_the_checks_read(const std::string& scenario, size_t min_checks) {
  SCOPED_TRACE("kinspect run" + scenario);
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + kExample + " --plugin-dir " PLUGIN_DIR
                       " --format json --fail-on none" + scenario);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  std::map<std::string, std::string> plugin_of;
  for (const auto& t : rep.at("tables").as_array()) {
    std::string scan(t.at("name").as_string());  // a scan: the table and its arguments, "k8s.pods()"
    plugin_of[scan.substr(0, scan.find('('))] = std::string(t.at("plugin").as_string());
  }
  auto captured = manifest_tables();
  std::set<std::string> needed;
  size_t checks = 0;
  for (const auto& c : rep.at("checks").as_array()) {
    ++checks;
    std::string id(c.at("id").as_string()), status(c.at("status").as_string());
    std::string reason(c.at("reason").as_string());
    EXPECT_NE(status, "error") << id << ": " << reason;
    // Not checked for want of a table: one not captured, not served, forbidden or no plugin's
    // (the report's "cause" says which; before it had one, the reason did).
    std::string cause;
    if (const auto* v = c.as_object().if_contains("cause"); v && v->is_string()) cause = std::string(v->as_string());
    bool no_table = cause == "not captured" || cause == "not served" || cause == "forbidden" || cause == "not provided" ||
                    reason.find("table") != std::string::npos || reason.find("captured") != std::string::npos ||
                    reason.find("served") != std::string::npos;
    EXPECT_FALSE(status == "skipped" && no_table) << id << " was not checked (" << cause << "): " << reason;
    for (const auto& t : c.at("tables").as_array()) {
      std::string table(t.as_string());
      EXPECT_FALSE(status == "skipped" && reason.find(table) != std::string::npos) << id << " was not checked: " << reason;
      auto p = plugin_of.find(table);
      EXPECT_TRUE(p != plugin_of.end()) << id << " reads " << table << ", which no plugin provided in the run";
      if (p != plugin_of.end() && p->second == "kube-apiserver") needed.insert(table);
    }
  }
  EXPECT_GE(checks, min_checks);
  EXPECT_GT(needed.size(), 20u) << "the checks read most API-server tables";
  // Computed by the driver from the tables it captured (made_of): never a file of their own.
  for (const char* derived : {"k8s.objects", "k8s.workloads"}) needed.erase(derived);
  for (const auto& t : needed)
    EXPECT_TRUE(captured.count(t)) << t << " is read by the profile's checks but examples/cluster/manifest.json does not list "
                                       "it (not captured)";
}

TEST(Example, CapturesEveryTableTheDefaultProfileReads) {
  if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
  expect_captures_what_the_checks_read("", 100);
}

TEST(Example, CapturesEveryTableThePreUpgradeProfileReads) {
  if (!fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so")) GTEST_SKIP() << "kube_apiserver plugin not built";
  expect_captures_what_the_checks_read(" --scenario pre-upgrade --target-version 1.30", 110);  // 32 removed-api-* checks became removed-api
}

// Each table the manifest lists is in its file, with the count it states, as
// `kinspect snapshot` writes them.
TEST(Example, ManifestCountsAreTheFilesItems) {
  json::value manifest = read_json(fs::path(kExample) / "manifest.json");
  for (const auto& r : manifest.at("resources").as_array()) {
    std::string table(r.at("table").as_string()), file(r.at("file").as_string());
    SCOPED_TRACE(table + " (" + file + ")");
    ASSERT_TRUE(fs::exists(fs::path(kExample) / file));
    json::value list = read_json(fs::path(kExample) / file);
    EXPECT_EQ(list.at("kind").as_string(), "List");
    EXPECT_EQ(static_cast<int64_t>(list.at("items").as_array().size()), r.at("count").as_int64());
  }
}
