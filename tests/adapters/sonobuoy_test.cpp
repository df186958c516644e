// The sonobuoy adapter on every results tarball in the corpus (v0.9, v0.10,
// v0.53), and on tarballs broken on purpose.
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include "tarballs.h"

namespace adapters_test {
namespace {

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Leaves of an item tree with the given status, walked here independently of the adapter.
size_t yaml_leaves(const YAML::Node& n, const std::string& status) {
  if (n["items"] && n["items"].IsSequence() && n["items"].size() > 0) {
    size_t sum = 0;
    for (const auto& c : n["items"]) sum += yaml_leaves(c, status);
    return sum;
  }
  return n["status"] && n["status"].as<std::string>() == status;
}

std::vector<json::object> plugin_rows(kinspect::PluginRegistry& reg, const std::string& plugin) {
  std::vector<json::object> out;
  for (auto& r : rows(reg, "sonobuoy.results"))
    if (r.at("plugin") == plugin.c_str()) out.push_back(r);
  return out;
}

size_t with_status(const std::vector<json::object>& rs, const char* status) {
  return std::count_if(rs.begin(), rs.end(), [&](const json::object& r) { return r.at("status") == status; });
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("kinspect-sonobuoy-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

TEST(Sonobuoy, EveryTarballInTheCorpus) {
  auto files = files_of("sonobuoy", ".tar.gz");
  ASSERT_EQ(files.size(), 4u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    auto m = members(file);
    auto reg = adapter("sonobuoy", file);
    auto e2e = plugin_rows(*reg, "e2e");
    if (auto y = m.find("plugins/e2e/sonobuoy_results.yaml"); y != m.end()) {
      YAML::Node tree = YAML::Load(y->second);
      EXPECT_EQ(with_status(e2e, "failed"), yaml_leaves(tree, "failed"));
      EXPECT_EQ(with_status(e2e, "passed"), yaml_leaves(tree, "passed"));
      EXPECT_EQ(with_status(e2e, "skipped"), yaml_leaves(tree, "skipped"));
    } else if (auto j = m.find("plugins/e2e/results/junit_01.xml"); j != m.end()) {
      EXPECT_EQ(e2e.size(), occurrences(j->second, "<testcase "));
      EXPECT_EQ(with_status(e2e, "failed"), occurrences(j->second, "<failure"));
    } else {
      ASSERT_EQ(e2e.size(), 1u) << "the e2e results are missing: one error row says so";
      EXPECT_EQ(e2e[0].at("status"), "error");
      EXPECT_NE(std::string(e2e[0].at("message").as_string()).find("no results for plugin e2e"), std::string::npos);
    }
    size_t failed = 0, errors = 0;
    for (const auto& r : rows(*reg, "sonobuoy.results")) failed += r.at("status") == "failed", errors += r.at("status") == "error";
    EXPECT_EQ(findings("sonobuoy-test-failed", *reg).size(), failed);
    EXPECT_EQ(findings("sonobuoy-plugin-error", *reg).size(), errors);
    auto run = rows(*reg, "sonobuoy.run");
    ASSERT_EQ(run.size(), 1u);
    json::value version = json::parse(m.at("serverversion.json"));
    EXPECT_EQ(run[0].at("server_version"), version.at("gitVersion"));
    EXPECT_EQ(run[0].at("sonobuoy_version"), json::parse(m.at("meta/config.json")).at("Version"));
    size_t apple_double = 0;
    for (const auto& [path, _] : members(file)) apple_double += fs::path(path).filename().string().rfind("._", 0) == 0;
    EXPECT_EQ(rows(*reg, "sonobuoy.notes").size(), apple_double);
  }
}

TEST(Sonobuoy, ExactFindingsOfTheV053Run) {
  const std::string file = data("sonobuoy/sonobuoy-v0.53.2_k8s-1.21.1_kind_e2e-4-failures_systemd-logs.tar.gz");
  auto reg = adapter("sonobuoy", file);
  auto got = findings("sonobuoy-test-failed", *reg);
  EXPECT_EQ(got.size(), 4u) << "the tarball's name says 4 e2e failures";
  EXPECT_TRUE(has_message(got, "(sonobuoy v0.53.2, Kubernetes v1.21.1): /workspace/src/k8s.io/kubernetes/_output/dockerized/go/src/"
                               "k8s.io/kubernetes/test/e2e/framework/framework.go:630\nAug 17 17:08:48.006: We need at least two "
                               "pods to be created but all nodes are already heavily utilized, so preemption tests cannot be run"));
  std::map<std::string, json::object> plugins;
  for (auto& p : rows(*reg, "sonobuoy.plugins")) plugins[std::string(p.at("plugin").as_string())] = p;
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_EQ(plugins["e2e"].at("status"), "failed");
  EXPECT_EQ(plugins["e2e"].at("failed"), 4);
  EXPECT_EQ(plugins["e2e"].at("driver"), "Job");
  EXPECT_EQ(plugins["systemd-logs"].at("status"), "passed");
  EXPECT_EQ(plugins["systemd-logs"].at("driver"), "DaemonSet");
  auto logs = plugin_rows(*reg, "systemd-logs");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].at("node"), "kind-control-plane");
  EXPECT_EQ(rows(*reg, "sonobuoy.run")[0].at("nodes"), 1);
}

TEST(Sonobuoy, PerNodeRawResultsOfV010) {
  auto reg = adapter("sonobuoy", data("sonobuoy/sonobuoy-v0.10.0_k8s-1.8.4_aws-3-nodes_e2e_systemd-logs.tar.gz"));
  auto logs = plugin_rows(*reg, "systemd_logs");
  std::set<std::string> nodes;
  for (const auto& r : logs) nodes.insert(std::string(r.at("node").as_string()));
  EXPECT_EQ(nodes, (std::set<std::string>{"ip-10-0-26-239.us-west-2.compute.internal", "ip-10-0-9-16.us-west-2.compute.internal",
                                          "ip-10-0-9-206.us-west-2.compute.internal"}));
  EXPECT_EQ(rows(*reg, "sonobuoy.run")[0].at("nodes"), 3);
}

TEST(Sonobuoy, JunitWithSeveralSuitesAndItemTrees) {
  TempDir tmp;
  const std::string junit = slurp(data("sonobuoy/junit_e2e_good.xml"));
  const std::string other = slurp(data("sonobuoy/junit_job-plugin_output2.xml"));
  // The suite of the second file added to the <testsuites> of the first: several suites in one file.
  ASSERT_NE(junit.find("</testsuites>"), std::string::npos);
  std::string both = junit;
  both.insert(both.find("</testsuites>"), other.substr(other.find("<testsuite")));
  write_tarball(tmp.file("r.tar.gz"),
                {{"plugins/job/results/global/out.xml", both},
                 {"plugins/manual/sonobuoy_results.yaml", slurp(data("sonobuoy/job-manual_sonobuoy_results.yaml"))},
                 {"plugins/ds/sonobuoy_results.yaml", slurp(data("sonobuoy/daemonset-manual_node1_sonobuoy_results.yaml"))}});
  auto reg = adapter("sonobuoy", tmp.file("r.tar.gz"));
  auto job = plugin_rows(*reg, "job");
  EXPECT_EQ(job.size(), occurrences(junit, "<testcase ") + occurrences(other, "<testcase "));
  EXPECT_EQ(with_status(job, "failed"), occurrences(junit, "<failure") + occurrences(other, "<failure"));
  auto manual = plugin_rows(*reg, "manual");
  ASSERT_EQ(manual.size(), 1u);
  EXPECT_EQ(manual[0].at("name"), "Manual test name");
  EXPECT_EQ(manual[0].at("suite"), "Manual suite name");
  EXPECT_EQ(manual[0].at("result_file"), "results/global/junit_01.xml");
  auto ds = plugin_rows(*reg, "ds");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].at("status"), "status 2") << "sonobuoy's own words are kept";
}

// sonobuoy's own aggregated item trees (its golden files, JSON, which is
// YAML) placed where a v0.5x tarball keeps them; a plugin that ended in error,
// whose errors/error.json the tree already holds as a failed item; and a
// manual-format plugin's per-node results file with no tree yet.
TEST(Sonobuoy, SonobuoysOwnItemTreesErrorsAndManualResults) {
  TempDir tmp;
  const std::map<std::string, std::string> trees = {
      {"e2e", "sonobuoy/item_from_junit_e2e_good.json"},
      {"job-manual-03", "sonobuoy/job-manual_aggregated.golden.json"},
      {"ds-manual-02", "sonobuoy/daemonset-manual_two-nodes_aggregated.golden.json"},
      {"job-complex-err", "sonobuoy/job_error_e2e-pod-terminated.golden.json"}};
  std::vector<Member> members;
  for (const auto& [plugin, file] : trees) members.push_back({"plugins/" + plugin + "/sonobuoy_results.yaml", slurp(data(file))});
  members.push_back({"plugins/job-complex-err/errors/error.json", slurp(data("sonobuoy/job_error_e2e-pod-terminated.json"))});
  const std::string manual = slurp(data("sonobuoy/daemonset-manual_node1_manual-results-1.yaml"));
  members.push_back({"plugins/ds-manual-plugin/results/node1/manual-results-1.yaml", manual});
  write_tarball(tmp.file("r.tar.gz"), members);
  auto reg = adapter("sonobuoy", tmp.file("r.tar.gz"));

  for (const auto& [plugin, file] : trees) {
    SCOPED_TRACE(plugin);
    const YAML::Node tree = YAML::LoadFile(data(file));
    auto got = plugin_rows(*reg, plugin);
    std::map<std::string, size_t> by_status;
    for (const auto& r : got) ++by_status[std::string(r.at("status").as_string())];
    size_t leaves = 0;
    for (const auto& [status, n] : by_status) {
      EXPECT_EQ(n, yaml_leaves(tree, status)) << status;
      leaves += n;
    }
    EXPECT_EQ(got.size(), leaves);
    EXPECT_GT(got.size(), 0u);
  }
  // The error is one row, the tree's, with sonobuoy's message: not twice.
  auto err = plugin_rows(*reg, "job-complex-err");
  ASSERT_EQ(err.size(), 1u);
  const json::value error = json::parse(slurp(data("sonobuoy/job_error_e2e-pod-terminated.json")));
  EXPECT_EQ(err[0].at("status"), "failed");
  EXPECT_EQ(err[0].at("message"), error.at("error"));

  // The manual results file is the plugin's own tree, on its node.
  auto ds = plugin_rows(*reg, "ds-manual-plugin");
  const YAML::Node own = YAML::Load(manual);
  ASSERT_EQ(ds.size(), yaml_leaves(own, "status 2") + yaml_leaves(own, "status 1"));
  EXPECT_EQ(ds[0].at("node"), "node1");
  EXPECT_EQ(ds[0].at("name").as_string(), own["items"][0]["items"][0]["name"].as<std::string>());
  EXPECT_EQ(ds[0].at("source"), "manual");
}

// ---------------------------------------------------------------- broken on purpose

TEST(SonobuoyMalformed, CorruptGzipNamesTheFile) {
  TempDir tmp;
  std::string bytes = slurp(data("sonobuoy/sonobuoy-v0.9.0_k8s-1.8.4_aws-3-nodes.tar.gz"));
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  write(tmp.file("corrupt.tar.gz"), bytes);
  auto reg = adapter("sonobuoy", tmp.file("corrupt.tar.gz"));
  std::string err = scan_error(*reg, "sonobuoy.results");
  EXPECT_NE(err.find(tmp.file("corrupt.tar.gz")), std::string::npos) << err;
  EXPECT_NE(err.find("member"), std::string::npos) << "names the member it was reading: " << err;
}

TEST(SonobuoyMalformed, DotDotMemberIsRefused) {
  TempDir tmp;
  write_tarball(tmp.file("evil.tar.gz"), {{"plugins/e2e/sonobuoy_results.yaml", "name: e2e\nstatus: passed\n"},
                                          {"plugins/e2e/../../../../tmp/evil.txt", "x"}});
  auto reg = adapter("sonobuoy", tmp.file("evil.tar.gz"));
  std::string err = scan_error(*reg, "sonobuoy.results");
  EXPECT_NE(err.find(tmp.file("evil.tar.gz") + ": member plugins/e2e/../../../../tmp/evil.txt: refused"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists("/tmp/evil.txt") && slurp("/tmp/evil.txt") == "x");
}

TEST(SonobuoyMalformed, HeaderClaimingTenGigabytesIsRefusedUnread) {
  TempDir tmp;
  write(tmp.file("huge.tar"), tar_with_claimed_size("plugins/e2e/results/junit_01.xml", 10ull << 30));
  auto reg = adapter("sonobuoy", tmp.file("huge.tar"));
  std::string err = scan_error(*reg, "sonobuoy.results");
  EXPECT_NE(err.find(tmp.file("huge.tar") + ": member plugins/e2e/results/junit_01.xml: refused: its header says 10737418240 bytes"),
            std::string::npos)
      << err;
}

TEST(SonobuoyMalformed, LinksAndAppleDoubleFilesAreSkippedWithANote) {
  TempDir tmp;
  write_tarball(tmp.file("mac.tar.gz"), {{"plugins/e2e/sonobuoy_results.yaml", slurp(data("sonobuoy/job-manual_sonobuoy_results.yaml"))},
                                         {"plugins/e2e/._sonobuoy_results.yaml", "\x00\x05\x16\x07"},
                                         {"plugins/e2e/results/global/passwd", "", "/etc/passwd"}});
  auto reg = adapter("sonobuoy", tmp.file("mac.tar.gz"));
  EXPECT_EQ(plugin_rows(*reg, "e2e").size(), 1u);
  auto notes = rows(*reg, "sonobuoy.notes");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].at("member"), "plugins/e2e/._sonobuoy_results.yaml");
  EXPECT_NE(std::string(notes[0].at("note").as_string()).find("AppleDouble"), std::string::npos);
  EXPECT_NE(std::string(notes[1].at("note").as_string()).find("a link"), std::string::npos);
}

TEST(SonobuoyMalformed, YamlWithUnexpectedTypesNamesMemberAndLine) {
  TempDir tmp;
  write_tarball(tmp.file("y1.tar.gz"), {{"plugins/e2e/sonobuoy_results.yaml", "name: e2e\nstatus: failed\nitems:\n  oops: 1\n"}});
  std::string err = scan_error(*adapter("sonobuoy", tmp.file("y1.tar.gz")), "sonobuoy.results");
  EXPECT_NE(err.find(tmp.file("y1.tar.gz") + ": member plugins/e2e/sonobuoy_results.yaml.items: expected a list, got a map (line 4)"),
            std::string::npos)
      << err;
  write_tarball(tmp.file("y2.tar.gz"), {{"plugins/e2e/sonobuoy_results.yaml", "name: e2e\nitems:\n- name: t\n  status: [a, b]\n"}});
  err = scan_error(*adapter("sonobuoy", tmp.file("y2.tar.gz")), "sonobuoy.results");
  EXPECT_NE(err.find("plugins/e2e/sonobuoy_results.yaml.items[0].status: expected text, got a list (line 4)"), std::string::npos) << err;
  write_tarball(tmp.file("y3.tar.gz"), {{"plugins/e2e/sonobuoy_results.yaml", "name: e2e\nitems: [\n"}});
  err = scan_error(*adapter("sonobuoy", tmp.file("y3.tar.gz")), "sonobuoy.results");
  EXPECT_NE(err.find("member plugins/e2e/sonobuoy_results.yaml:"), std::string::npos) << err;
  EXPECT_NE(err.find("invalid YAML"), std::string::npos) << err;
}

TEST(SonobuoyMalformed, NotATarballAtAll) {
  TempDir tmp;
  write(tmp.file("x.tar.gz"), "this is not a tarball\n");
  std::string err = scan_error(*adapter("sonobuoy", tmp.file("x.tar.gz")), "sonobuoy.results");
  EXPECT_NE(err.find(tmp.file("x.tar.gz")), std::string::npos) << err;
}

}  // namespace
}  // namespace adapters_test

namespace adapters_test {
namespace {

// A DaemonSet plugin that reported from one node of two: the other node is an
// error row (and a finding), not silence. The definition and the node list
// are the v0.53 tarball's own; only the second node is added.
TEST(SonobuoyMalformed, PartialDaemonSetResultsNameTheSilentNode) {
  auto m = members(data("sonobuoy/sonobuoy-v0.53.2_k8s-1.21.1_kind_e2e-4-failures_systemd-logs.tar.gz"));
  json::value nodes = json::parse(m.at("resources/cluster/core_v1_nodes.json"));
  ASSERT_TRUE(nodes.is_array());
  json::value second = nodes.as_array().at(0);
  second.at("metadata").as_object()["name"] = "kind-worker";
  nodes.as_array().push_back(second);
  fs::path dir = fs::temp_directory_path() / ("kinspect-partial-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "partial.tar.gz").string();
  write_tarball(file, {{"plugins/systemd-logs/defintion.json", m.at("plugins/systemd-logs/defintion.json")},
                       {"plugins/systemd-logs/sonobuoy_results.yaml", m.at("plugins/systemd-logs/sonobuoy_results.yaml")},
                       {"resources/cluster/core_v1_nodes.json", json::serialize(nodes)}});
  auto reg = adapter("sonobuoy", file);
  auto got = findings("sonobuoy-plugin-error", *reg);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].message.find("[sonobuoy systemd-logs] (no results from this node) on node kind-worker"), std::string::npos)
      << got[0].message;
  EXPECT_NE(got[0].message.find("partial results"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace adapters_test
