// Never a silent all-clear: each way a run used to check nothing (or less
// than it said) and exit 0, run as a user runs it, with the exit code and
// the message it must give now.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

kinspect::testing::CommandResult run_kinspect(const std::string& args) {
  return run_command(std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " PLUGIN_DIR);
}

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("kinspect-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& f) const { return (path_ / f).string(); }

 private:
  fs::path path_;
};

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST(NeverSilent, MissingSnapshotPathIsAUsageError) {
  auto r = run_kinspect("run --snapshot /nonexistent/snapshot.tar.gz");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--snapshot /nonexistent/snapshot.tar.gz: no such file")) << r.err;
}

TEST(NeverSilent, EmptySnapshotFolderIsAUsageError) {
  TempDir empty("empty-snapshot");
  auto r = run_kinspect("run --snapshot " + empty.str());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "is empty")) << r.err;
}

TEST(NeverSilent, PluginThatCannotStartIsAConfigurationError) {
  auto r = run_kinspect("run --profile node --set node.root=/nonexistent");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "setting root: /nonexistent is not a directory")) << r.err;
}

TEST(NeverSilent, MisspeltSettingIsAUsageErrorWithADidYouMean) {
  auto r = run_kinspect("run --profile node --set node.rot=/");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--set node.rot: plugin 'node' has no setting 'rot' (did you mean 'node.root'?)")) << r.err;
  auto p = run_kinspect("run --profile node --set nod.root=/");
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_TRUE(contains(p.err, "no plugin 'nod' is loaded (did you mean 'node'?)")) << p.err;
}

TEST(NeverSilent, UpgradeScenarioNeedsAValidTargetVersion) {
  for (const std::string scenario : {"pre-upgrade", "post-upgrade"}) {
    auto none = run_kinspect("run --snapshot " + kExample + " --scenario " + scenario);
    EXPECT_EQ(none.exit_code, 2) << none.err;
    EXPECT_TRUE(contains(none.err, "needs --target-version")) << none.err;
  }
  for (const std::string bad : {"1.x", "banana", "2.0"}) {
    auto r = run_kinspect("run --snapshot " + kExample + " --scenario pre-upgrade --target-version " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "--target-version takes a Kubernetes version")) << r.err;
  }
  auto ok = run_kinspect("run --snapshot " + kExample + " --scenario pre-upgrade --target-version 1.31 --fail-on none --allow-incomplete");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// The example cluster runs v1.29.4: an older minor is no upgrade, and the
// run stops before any check rather than reporting findings about a
// downgrade; the cluster's own minor (a patch upgrade) is an upgrade.
TEST(NeverSilent, ATargetOlderThanTheClusterIsAUsageError) {
  for (const std::string older : {"1.28", "v1.28.9", "1.2"}) {
    auto r = run_kinspect("run --snapshot " + kExample + " --scenario pre-upgrade --target-version " + older);
    EXPECT_EQ(r.exit_code, 2) << older << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "--target-version " + older + " is older than the cluster, which runs v1.29.4")) << r.err;
    EXPECT_TRUE(r.out.empty()) << "no report for a refused run:\n" << r.out;
  }
  auto same_minor = run_kinspect("run --snapshot " + kExample + " --scenario pre-upgrade --target-version 1.29.6 --fail-on none");
  EXPECT_EQ(same_minor.exit_code, 0) << same_minor.err;
}

TEST(NeverSilent, ManifestsWithoutNodesDoNotReadNodesAsNormal) {
  TempDir dir("no-nodes");
  fs::copy_file(kExample + "/pods.json", dir / "pods.json");
  fs::copy_file(kExample + "/services.json", dir / "services.json");
  auto r = run_kinspect("run --snapshot " + dir.str() + " --profile self-hosted-inspection --fail-on none --color never --show-passed");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.out, "Nodes - not checked")) << r.out;
  EXPECT_FALSE(contains(r.out, "Nodes - normal")) << r.out;
  EXPECT_TRUE(contains(r.err, "not captured")) << r.err;
  auto j = run_kinspect("run --snapshot " + dir.str() + " --profile self-hosted-inspection --fail-on none --format json");
  json::value rep = json::parse(j.out);
  for (const auto& c : rep.at("checks").as_array()) {
    bool nodes_only = c.at("tables").as_array().size() == 1 && c.at("tables").as_array()[0] == "k8s.nodes";
    if (nodes_only) EXPECT_EQ(c.at("status").as_string(), "skipped") << c.at("id");
  }
  EXPECT_GT(rep.at("summary").at("not_checked").as_int64(), 0);
}

TEST(NeverSilent, NothingCheckedNeverExitsZero) {
  TempDir dir("nothing");
  fs::copy_file(kExample + "/services.json", dir / "services.json");
  // Only checks on nodes, which this snapshot lacks: nothing can run.
  auto r = run_kinspect("run --snapshot " + dir.str() + " --profile self-hosted-inspection --check 'node-*' --fail-on none"
                    " --allow-incomplete");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "nothing was checked")) << r.err;
}

TEST(NeverSilent, AllowIncompleteAcceptsWhatCouldNotRun) {
  TempDir dir("partial");
  for (const char* f : {"nodes.json", "version.json"}) fs::copy_file(kExample + "/" + f, dir / f);
  auto strict = run_kinspect("run --snapshot " + dir.str() + " --fail-on none");
  EXPECT_EQ(strict.exit_code, 3) << strict.err;
  auto allowed = run_kinspect("run --snapshot " + dir.str() + " --fail-on none --allow-incomplete --format json");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  json::value rep = json::parse(allowed.out);
  EXPECT_GT(rep.at("summary").at("not_checked").as_int64(), 0) << "accepted, but still reported as not checked";
}

TEST(NeverSilent, ProfileMayMarkChecksOptional) {
  TempDir dir("optional");
  for (const char* f : {"nodes.json", "version.json"}) fs::copy_file(kExample + "/" + f, dir / f);
  TempDir profiles("optional-profiles");
  std::ofstream(profiles / "nodes-only.yaml") << "name: nodes-only\n"
                                                 "checks:\n"
                                                 "  include: [node-not-ready, pod-crashloop]\n"
                                                 "  optional: [pod-crashloop]\n";
  auto r = run_kinspect("run --snapshot " + dir.str() + " --profiles " + profiles.str() +
                    " --profile nodes-only --fail-on none --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  for (const auto& c : rep.at("checks").as_array())
    if (c.at("id") == "pod-crashloop") {
      EXPECT_EQ(c.at("status").as_string(), "skipped");
      EXPECT_TRUE(c.at("optional").as_bool());
    }
}

TEST(NeverSilent, GlobalOptionsGoBeforeOrAfterTheCommand) {
  auto before = run_kinspect("-q run --profile node --fail-on none");
  EXPECT_NE(before.exit_code, 2) << before.err;
  auto verbose = run_kinspect("-v run --profile node --fail-on none");
  EXPECT_NE(verbose.exit_code, 2) << verbose.err;
  auto after = run_kinspect("run -v --profile node --fail-on none");
  EXPECT_EQ(after.exit_code, verbose.exit_code) << after.err;
}

TEST(NeverSilent, PluginWorkersHonourQuiet) {
  // The snapshot reader (in a worker process) warns about an unknown format.
  TempDir dir("format");
  fs::copy_file(kExample + "/nodes.json", dir / "nodes.json");
  std::ofstream(dir / "manifest.json")
      << R"({"format":"something-else/v9","resources":[{"table":"k8s.nodes","file":"nodes.json","count":8}]})";
  const std::string query = "query \"SELECT count(*) AS n FROM k8s.nodes\" --snapshot " + dir.str();
  auto loud = run_kinspect(query);
  EXPECT_TRUE(contains(loud.err, "unknown snapshot format")) << loud.err;
  auto quiet = run_kinspect(query + " -q");
  EXPECT_FALSE(contains(quiet.err, "unknown snapshot format")) << quiet.err;
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
}

TEST(NeverSilent, DuplicateTableNamesBothPlugins) {
  auto r = run_kinspect("run --snapshot " + kExample + " --plugin " FIXTURE_DIR "/good.so --plugin " FIXTURE_DIR
                    "/zz_duplicate.so");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "plugin 'zz-duplicate' declares table 'test.good', which plugin 'good'")) << r.err;
}

// A check that compares against the upgrade's target cannot pass without
// one: a named profile (node-pre-upgrade) selects such checks without the
// pre-upgrade scenario that demands --target-version, so each check is
// reported as not checked and the run exits 3.
TEST(NeverSilent, UpgradeChecksWithoutATargetAreNotChecked) {
  auto r = run_kinspect("run --profile node-pre-upgrade --format json --fail-on none");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "no --target-version")) << r.err;
  json::value rep = json::parse(r.out);
  const auto& checks = rep.at("checks").as_array();
  ASSERT_FALSE(checks.empty());
  for (const auto& c : checks) {
    EXPECT_EQ(c.at("status").as_string(), "skipped") << c.at("id").as_string();
    EXPECT_EQ(c.at("cause").as_string(), "no --target-version") << c.at("id").as_string();
  }
  auto with = run_kinspect("run --profile node-pre-upgrade --target-version 1.35 --format json --fail-on none");
  EXPECT_NE(with.exit_code, 3) << with.err;
  const json::value with_rep = json::parse(with.out);
  for (const auto& c : with_rep.at("checks").as_array())
    EXPECT_NE(c.at("status").as_string(), "skipped") << c.at("id").as_string() << ": " << c.at("reason").as_string();
}

// Checks over node.* tables describe the machine kinspect runs on. A
// pre-upgrade run against a snapshot (on a laptop, in CI) must not pass
// "node on cgroup v1" on that machine's facts: the cluster's pre-upgrade
// profiles leave every node-upgrade check out, and node-pre-upgrade has
// exactly those.
TEST(NeverSilent, ClusterPreUpgradeDoesNotJudgeTheLocalHostAsANode) {
  auto cluster = run_kinspect("run --snapshot " + kExample +
                              " --scenario pre-upgrade --target-version 1.30 --format json --fail-on none");
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  size_t upgrade_checks = 0;
  const json::value cluster_rep = json::parse(cluster.out);
  for (const auto& c : cluster_rep.at("checks").as_array()) {
    for (const auto& t : c.at("tables").as_array())
      EXPECT_NE(std::string_view(t.as_string()).substr(0, 5), "node.") << c.at("id").as_string() << " reads " << t.as_string();
    upgrade_checks += c.at("category").as_string() == "upgrade";
  }
  EXPECT_GT(upgrade_checks, 10u);
  auto host = run_kinspect("run --profile node-pre-upgrade --target-version 1.30 --format json --fail-on none");
  ASSERT_NE(host.exit_code, 2) << host.err;
  std::set<std::string> ids;
  const json::value host_rep = json::parse(host.out);
  // The report says what the run was: the profile's scenario, not the default one.
  EXPECT_EQ(host_rep.at("scenario").as_string(), "host-pre-upgrade");
  for (const auto& c : host_rep.at("checks").as_array()) ids.insert(std::string(c.at("id").as_string()));
  for (const char* id : {"upgrade-cgroup-v1-node", "upgrade-kubelet-removed-flag", "upgrade-kubelet-removed-feature-gate",
                         "upgrade-kubelet-flag-removed-feature-gate", "upgrade-kubectl-skew"})
    EXPECT_TRUE(ids.count(id)) << id << " is not in node-pre-upgrade";
}
