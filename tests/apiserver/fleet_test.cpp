// Cluster identity and several clusters, as a user runs them: the built
// kinspect against two instances of the TLS test server, one healthy and one
// failing, through one kubeconfig with a context for each.
#include "fixture.h"

#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

std::string cluster_entry(const std::string& name, const std::string& server, const std::string& ca_file) {
  return "- name: " + name + "\n  cluster:\n    server: " + server + "\n    certificate-authority: " + ca_file + "\n";
}

std::string context_entry(const std::string& name, const std::string& cluster) {
  return "- name: " + name + "\n  context:\n    cluster: " + cluster + "\n    user: admin\n";
}

// A kubeconfig with context "alpha" (cluster alpha-eu) and "beta" (cluster
// beta-us), current-context alpha.
std::string two_context_kubeconfig(const std::string& dir, const Cluster& alpha, const std::string& beta_url,
                                   const std::string& beta_ca) {
  std::string y = "apiVersion: v1\nkind: Config\ncurrent-context: alpha\nclusters:\n" +
                  cluster_entry("alpha-eu", alpha.server->url(), alpha.certs.ca_file) +
                  cluster_entry("beta-us", beta_url, beta_ca) + "contexts:\n" + context_entry("alpha", "alpha-eu") +
                  context_entry("beta", "beta-us") + "users:\n- name: admin\n  user:\n    token: good-token\n";
  write_file(dir + "/kubeconfig", y);
  return dir + "/kubeconfig";
}

const json::object* member(const json::value& fleet, const std::string& name) {
  for (const auto& m : fleet.at("summary").at("members").as_array())
    if (m.at("name").as_string() == name) return &m.as_object();
  return nullptr;
}

const json::object* report_of(const json::value& fleet, const std::string& name) {
  for (const auto& r : fleet.at("clusters").as_array())
    if (r.at("cluster").at("name").as_string() == name) return &r.as_object();
  return nullptr;
}

// The healthy cluster's report is whole: checks ran, with the example
// cluster's findings; the failing one is not checked, with the cause, and
// the fleet exits 3.
void expect_one_healthy_one_failed(const kinspect::testing::CommandResult& run, const std::string& why_failed) {
  ASSERT_EQ(run.exit_code, 3) << run.err;
  json::value fleet = json::parse(run.out);
  EXPECT_EQ(fleet.at("schema").as_string(), "kinspect.fleet/v1");
  EXPECT_EQ(fleet.at("summary").at("clusters").as_int64(), 2);
  EXPECT_EQ(fleet.at("summary").at("exit_code").as_int64(), 3);
  ASSERT_EQ(fleet.at("clusters").as_array().size(), 2u);

  const json::object* alpha = member(fleet, "alpha");
  const json::object* beta = member(fleet, "beta");
  ASSERT_TRUE(alpha && beta) << run.out.substr(0, 2000);
  EXPECT_EQ(alpha->at("context").as_string(), "alpha");
  EXPECT_EQ(alpha->at("exit_code").as_int64(), 0) << alpha->at("verdict");
  EXPECT_EQ(alpha->at("version").as_string(), "v1.29.4");
  EXPECT_GT(alpha->at("passed").as_int64() + alpha->at("failed").as_int64(), 20);
  EXPECT_GT(alpha->at("failed").as_int64(), 0);
  EXPECT_EQ(beta->at("exit_code").as_int64(), 3);
  EXPECT_EQ(beta->at("passed").as_int64() + beta->at("failed").as_int64(), 0);
  EXPECT_EQ(beta->at("not_checked").as_int64(), beta->at("checks").as_int64());
  EXPECT_NE(std::string(beta->at("verdict").as_string()).find("nothing was checked"), std::string::npos);

  // The reports themselves: alpha's findings are there, beta's checks say why not.
  const json::object* ra = report_of(fleet, "alpha");
  const json::object* rb = report_of(fleet, "beta");
  ASSERT_TRUE(ra && rb);
  size_t findings = 0;
  for (const auto& c : ra->at("checks").as_array()) findings += c.at("findings").as_array().size();
  EXPECT_GT(findings, 0u);
  EXPECT_NE(json::serialize(ra->at("cluster").at("detected")).find("kubeconfig context alpha (cluster alpha-eu)"),
            std::string::npos);
  ASSERT_FALSE(rb->at("checks").as_array().empty());
  for (const auto& c : rb->at("checks").as_array()) {
    const std::string status(c.at("status").as_string());
    EXPECT_TRUE(status == "error" || status == "skipped") << c.at("id") << " " << status;
  }
  EXPECT_NE(json::serialize(rb->at("checks")).find(why_failed), std::string::npos)
      << "no check of beta names the cause '" << why_failed << "'";
  // stderr names the cluster that made the run incomplete.
  EXPECT_NE(run.err.find("cluster beta: nothing was checked"), std::string::npos) << run.err;
}

}  // namespace

TEST(Fleet, SeveralContextsOneAnswering500) {
  Cluster alpha("fleet-alpha");
  serve_example(alpha);
  Cluster beta("fleet-beta");
  beta.server->fail_every_request(500);
  std::string kc = two_context_kubeconfig(alpha.dir, alpha, beta.server->url(), beta.certs.ca_file);
  auto run = run_command(kinspect_cmd("run --format json --fail-on none --allow-incomplete --kubeconfig " + sh_quote(kc) +
                                      " --context alpha --context beta --set kube-apiserver.max_retries=0"));
  expect_one_healthy_one_failed(run, "500");
  EXPECT_FALSE(beta.server->log().empty()) << "beta was never asked";
}

TEST(Fleet, AllContextsWithOneServerStopped) {
  Cluster alpha("fleet-all-alpha");
  serve_example(alpha);
  std::string beta_url, beta_ca;
  {
    Cluster beta("fleet-all-beta");
    beta_url = beta.server->url();
    beta_ca = beta.certs.ca_file;
  }  // stopped: connections are refused
  std::string kc = two_context_kubeconfig(alpha.dir, alpha, beta_url, beta_ca);
  std::string out_dir = alpha.dir + "/reports";
  auto run = run_command(kinspect_cmd("run --format json --fail-on none --allow-incomplete --all-contexts --kubeconfig " +
                                      sh_quote(kc) + " --parallel-clusters 2 --output-dir " + sh_quote(out_dir) +
                                      " --output " + sh_quote(alpha.dir + "/fleet.txt") +
                                      " --set kube-apiserver.max_retries=0"));
  expect_one_healthy_one_failed(run, "refused");

  // One report per cluster and the fleet's own files.
  for (const char* f : {"alpha.json", "alpha.html", "beta.json", "beta.html", "fleet.json", "fleet.html"})
    EXPECT_TRUE(std::filesystem::is_regular_file(out_dir + "/" + f)) << f;
  json::value alpha_report = json::parse(read_file(out_dir + "/alpha.json"));
  EXPECT_EQ(alpha_report.at("cluster").at("name").as_string(), "alpha");
  // The terminal form: both reports, then the fleet table with each exit code.
  std::string text = read_file(alpha.dir + "/fleet.txt");
  EXPECT_NE(text.find("Cluster alpha"), std::string::npos);
  EXPECT_NE(text.find("Cluster beta"), std::string::npos);
  size_t table = text.find("CLUSTER");
  ASSERT_NE(table, std::string::npos) << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  EXPECT_NE(text.find("alpha", table), std::string::npos);
  EXPECT_NE(text.find("beta", table), std::string::npos);
  EXPECT_NE(text.find("2 clusters, exit 3 (incomplete: beta)"), std::string::npos) << text.substr(table);
}

TEST(Fleet, OptionsThatMeanOneClusterAreUsageErrors) {
  Cluster alpha("fleet-usage");
  std::string kc = two_context_kubeconfig(alpha.dir, alpha, alpha.server->url(), alpha.certs.ca_file);
  const std::string both = " --kubeconfig " + sh_quote(kc) + " --context alpha --context beta";
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {"run --format junit" + both, "--format junit covers one cluster"},
           {"run --cluster-name prod" + both, "--cluster-name covers one cluster"},
           {"run --all-contexts --context alpha --kubeconfig " + sh_quote(kc), "leave out --context"},
           {"run --context alpha --context gamma --kubeconfig " + sh_quote(kc), "--context gamma: no such context"},
           {"run --output-dir x --context alpha --kubeconfig " + sh_quote(kc), "--output-dir writes one report per cluster"},
           {"query \"SELECT 1\"" + both, "only 'kinspect run' inspects several clusters"},
       }) {
    auto r = run_command(kinspect_cmd(args));
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << args << "\n" << r.err;
  }
  EXPECT_TRUE(alpha.server->log().empty()) << "a usage error must not reach a cluster";
}

// One cluster: the report is named after the context in use (the
// current-context when none is given), or --cluster-name, in every format.
TEST(ClusterName, LiveRunIsNamedAfterItsContext) {
  Cluster c("name-live");
  serve_example(c);
  std::string kc = c.token_kubeconfig();  // context "test", cluster "test-cluster"
  const std::string base = "run --fail-on none --allow-incomplete --check node-not-ready --kubeconfig " + sh_quote(kc);

  auto current = run_command(kinspect_cmd(base + " --format json"));
  ASSERT_EQ(current.exit_code, 0) << current.err;
  json::value rep = json::parse(current.out);
  EXPECT_EQ(rep.at("cluster").at("name").as_string(), "test");
  EXPECT_EQ(rep.at("cluster").at("detected").at(0).as_string(),
            "name test: kubeconfig context test (cluster test-cluster), the current-context of " + kc);

  auto named = run_command(kinspect_cmd(base + " --context test --cluster-name prod-eu --format json"));
  ASSERT_EQ(named.exit_code, 0) << named.err;
  rep = json::parse(named.out);
  EXPECT_EQ(rep.at("cluster").at("name").as_string(), "prod-eu");
  EXPECT_NE(std::string(rep.at("cluster").at("detected").at(0).as_string()).find("--cluster-name (instead of test"),
            std::string::npos) << rep.at("cluster").at("detected");

  auto text = run_command(kinspect_cmd(base + " --format terminal"));
  EXPECT_NE(text.out.find("Cluster test\n"), std::string::npos) << text.out.substr(0, 400);
  auto prom = run_command(kinspect_cmd(base + " --cluster-name prod-eu --format prometheus"));
  EXPECT_NE(prom.out.find("kinspect_report_info{cluster=\"prod-eu\""), std::string::npos) << prom.out.substr(0, 400);
  auto junit = run_command(kinspect_cmd(base + " --cluster-name prod-eu --format junit"));
  EXPECT_NE(junit.out.find("<testsuites name=\"kinspect prod-eu"), std::string::npos) << junit.out.substr(0, 400);
}

// A snapshot keeps the name it was taken under; one without a recorded name
// is named after its file, not its whole path.
TEST(ClusterName, SnapshotKeepsTheLiveName) {
  Cluster c("name-snapshot");
  std::string kc = c.token_kubeconfig();
  const std::string snap = c.dir + "/snaps/weekly.tar.gz";
  auto taken = run_command(kinspect_cmd("snapshot -o " + sh_quote(snap) + " --table k8s.nodes --table k8s.version --kubeconfig " +
                                        sh_quote(kc)));
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  auto offline = run_command(kinspect_cmd("run --format json --fail-on none --allow-incomplete --check node-not-ready --snapshot " +
                                          sh_quote(snap)));
  ASSERT_NE(offline.exit_code, 2) << offline.err;
  EXPECT_EQ(json::parse(offline.out).at("cluster").at("name").as_string(), "test");

  auto example = run_command(kinspect_cmd("run --format json --fail-on none --allow-incomplete --check node-not-ready --snapshot " +
                                          sh_quote(kExample + "/")));
  ASSERT_NE(example.exit_code, 2) << example.err;
  EXPECT_EQ(json::parse(example.out).at("cluster").at("name").as_string(), "cluster");
}

// In a pod, with no kubeconfig: the service account's cluster is "in-cluster".
TEST(ClusterName, InClusterServiceAccount) {
  const std::string env = "env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=1 ";
  const std::string args = "run --format json --fail-on none --check node-not-ready --set kube-apiserver.max_retries=0";
  auto r = run_command(env + kinspect_cmd(args));
  ASSERT_NE(r.exit_code, 2) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("cluster").at("name").as_string(), "in-cluster");
  EXPECT_EQ(rep.at("cluster").at("detected").at(0).as_string(), "name in-cluster: the in-cluster service account");
  auto named = run_command(env + kinspect_cmd(args + " --cluster-name ops"));
  EXPECT_EQ(json::parse(named.out).at("cluster").at("name").as_string(), "ops");
}
