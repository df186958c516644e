// The driver as a user reaches it: `kinspect query` against the test API
// server, `kinspect snapshot` of it to a folder and a .tar.gz, and the same
// query on each snapshot giving the same answer.
#include "fixture.h"

#include <chrono>

#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

const std::string kQuery = "SELECT metadata.name, status.nodeInfo.kubeletVersion FROM k8s.nodes ORDER BY metadata.name";

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

}  // namespace

TEST(Cli, QueryLiveSnapshotAndSnapshotAgree) {
  Cluster c("cli");
  std::string kc = c.cert_kubeconfig();
  auto live = run_command(kinspect_cmd("query " + sh_quote(kQuery) + " --format json --kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(live.exit_code, 0) << live.err;
  json::value rows = json::parse(live.out);
  ASSERT_EQ(rows.as_array().size(), 3u) << live.out;
  // The replayed kind cluster's kubelets (tests/data/apiserver/kind_nodes_NodeList.json).
  for (const auto& r : rows.as_array()) EXPECT_EQ(r.at("kubeletVersion").as_string().subview(0, 3), "v1.") << r;

  for (const std::string& out : {c.dir + "/snap", c.dir + "/snap.tar.gz"}) {
    auto snap = run_command(kinspect_cmd("snapshot -o " + sh_quote(out) + " --table k8s.nodes --table k8s.version --kubeconfig " +
                                     sh_quote(kc)));
    ASSERT_EQ(snap.exit_code, 0) << snap.err;
    EXPECT_NE(snap.out.find("wrote " + out + ": 2 tables"), std::string::npos) << snap.out;
    auto offline = run_command(kinspect_cmd("query " + sh_quote(kQuery) + " --format json --snapshot " + sh_quote(out)));
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    EXPECT_EQ(offline.out, live.out) << "snapshot " << out << " answers differently";
    auto version = run_command(kinspect_cmd("query \"SELECT gitVersion FROM k8s.version\" --format csv --snapshot " + sh_quote(out)));
    EXPECT_EQ(version.out, "gitVersion\r\nv1.21.1\r\n");
  }
}

TEST(Cli, ForbiddenTableSkipsOnlyItsChecksAndTheRunSaysIncomplete) {
  Cluster c("cli-403");
  forbid_cluster_pod_list(*c.server);
  std::string kc = c.cert_kubeconfig();
  auto run = run_command(kinspect_cmd("run --format json --fail-on none --kubeconfig " + sh_quote(kc) +
                                  " --check pod-crashloop --check node-not-ready"));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  json::value rep = json::parse(run.out);
  for (const auto& ch : rep.at("checks").as_array()) {
    if (ch.at("id").as_string() == "pod-crashloop") {
      // Not readable is not checked: skipped with its cause, never passed.
      EXPECT_EQ(ch.at("status").as_string(), "skipped");
      EXPECT_EQ(ch.at("cause").as_string(), "forbidden");
      EXPECT_NE(std::string(ch.at("reason").as_string()).find("forbidden"), std::string::npos) << ch.at("reason");
    } else {
      // node-not-ready reads only nodes: it ran and gave its verdict.
      EXPECT_NE(ch.at("status").as_string(), "error") << ch.at("id") << ": " << ch.at("reason");
    }
  }
}

// Detection reads the nodes with the paths the checks read too, and the
// checks take those rows: a whole run lists the nodes once, whether the
// profile is detected or named, and so does a run of a few checks.
TEST(Cli, RunListsTheNodesOnce) {
  Cluster c("cli-nodes-once");
  std::string kc = c.cert_kubeconfig();
  struct Variant {
    std::string args;
    int exit_code;        // the test server serves no apps/v1: checks on it are not checked (3)
    size_t node_checks;   // at least this many checks of category nodes ran
  };
  for (const Variant& v : {Variant{"", 3, 6}, Variant{" --profile self-hosted-inspection", 3, 6},
                           Variant{" --check node-not-ready --check pod-crashloop", 0, 1},
                           Variant{" --check pod-crashloop", 0, 0}}) {
    size_t before = c.server->lists("/api/v1/nodes");
    auto run = run_command(kinspect_cmd("run --format json --fail-on none --kubeconfig " + sh_quote(kc) + v.args));
    ASSERT_EQ(run.exit_code, v.exit_code) << v.args << ": " << run.err;
    EXPECT_EQ(c.server->lists("/api/v1/nodes") - before, 1u) << "'" << v.args << "'";
    json::value rep = json::parse(run.out);
    EXPECT_EQ(rep.at("cluster").at("nodes").to_number<uint64_t>(), 3u);
    size_t node_checks = 0;
    for (const auto& ch : rep.at("checks").as_array()) {
      if (ch.at("category").as_string() != "nodes") continue;
      ++node_checks;
      EXPECT_NE(ch.at("status").as_string(), "error") << ch.at("id") << ": " << ch.at("reason");
    }
    EXPECT_GE(node_checks, v.node_checks) << v.args;
    bool nodes_listed = false;
    for (const auto& t : rep.at("tables").as_array())
      nodes_listed = nodes_listed || (t.at("name").as_string() == "k8s.nodes()" && t.at("rows").to_number<uint64_t>() == 3);
    EXPECT_EQ(nodes_listed, v.node_checks > 0) << "the report lists k8s.nodes, with its rows, when a check read it";
  }
}

TEST(Cli, NoClusterIsAClearError) {
  EnvGuard env{"KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST"};
  setenv("HOME", "/nonexistent", 1);
  unsetenv("KUBECONFIG");
  unsetenv("KUBERNETES_SERVICE_HOST");
  auto r = run_command(kinspect_cmd("query \"SELECT * FROM k8s.nodes\""));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no cluster: pass --kubeconfig, set KUBECONFIG, or --snapshot"), std::string::npos) << r.err;
}

// A misspelt field of a well-known kind is a lint error naming where it is and
// the field meant (tests/kcql/kube_fields_test.cpp): the driver names the
// kind of k8s.pods, the core reads schemas/kubernetes.json.
TEST(Cli, ChecksLintRejectsAFieldThePodDoesNotHave) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kinspect-lint-field-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "c.kcql") << "CHECK c\n  TITLE \"t\"\n  CATEGORY workloads\n  SEVERITY info\n  FROM k8s.pods p\n"
                                   "  WHERE p.metadata.lables['app'] = 'x'\n  OBJECT \"pod/{p.metadata.name}\"\n  MESSAGE \"m\"\n";
  auto r = run_command(std::string(KINSPECT_BIN) + " checks lint --plugin-dir " + KAPI_PLUGIN_DIR + " " +
                       (dir / "c.kcql").string());
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("c.kcql:6:20: error: unknown field 'metadata.lables' in a Pod (v1/Pod)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: did you mean metadata.labels?"), std::string::npos) << r.err;
}

// `checks lint --strict`: a lint warning (tests/kcql/lint_meaning_test.cpp)
// fails the lint, for CI; without it the lint passes and prints it.
TEST(Cli, ChecksLintStrictFailsOnAWarning) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kinspect-lint-strict-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "c.kcql") << "CHECK c\n  TITLE \"t\"\n  CATEGORY nodes\n  SEVERITY info\n  FROM k8s.nodes n\n"
                                   "  WHERE n.metadata.name = NULL\n  OBJECT \"node/{n.metadata.name}\"\n  MESSAGE \"m\"\n";
  const std::string base = std::string(KINSPECT_BIN) + " checks lint --plugin-dir " + KAPI_PLUGIN_DIR + " ";
  auto lenient = run_command(base + (dir / "c.kcql").string());
  auto strict = run_command(base + "--strict " + (dir / "c.kcql").string());
  fs::remove_all(dir);
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("c.kcql:6:25: warning:"), std::string::npos) << lenient.err;
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_NE(strict.err.find("1 problem found"), std::string::npos) << strict.err;
}

