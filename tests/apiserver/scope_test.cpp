// The run's scope (-n/--namespace, --exclude-namespace, -l/--selector): the
// label selector syntax, a snapshot narrowed while it is read, and a live
// cluster asked with namespaced LISTs and selectors (the test server's
// request log says what it was asked).
#include "fixture.h"
#include "scope.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

// `kinspect query` as JSON rows.
json::array query(const std::string& kcql, const std::string& source_and_scope) {
  auto r = run_command(kinspect_cmd("query " + sh_quote(kcql) + " --format json " + source_and_scope));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  return json::parse(r.out).as_array();
}

std::set<std::string> column(const json::array& rows, const char* name) {
  std::set<std::string> out;
  for (const auto& r : rows)
    if (r.at(name).is_string()) out.insert(std::string(r.at(name).as_string()));
  return out;
}

json::value labels(std::initializer_list<std::pair<const char*, const char*>> kv) {
  json::object o;
  for (auto [k, v] : kv) o[k] = v;
  return json::object{{"namespace", "shop"}, {"labels", o}};
}

}  // namespace

TEST(Scope, LabelSelectorSyntaxAsTheApiServerReadsIt) {
  kapi::Scope s;
  s.requirements = kapi::parse_label_selector("app=shop, tier!=cache,env in (prod, staging),!legacy,team");
  ASSERT_EQ(s.requirements.size(), 5u);
  EXPECT_TRUE(s.admits(labels({{"app", "shop"}, {"env", "prod"}, {"team", "a"}})));
  EXPECT_FALSE(s.admits(labels({{"app", "shop"}, {"env", "prod"}})));  // no team
  EXPECT_FALSE(s.admits(labels({{"app", "shop"}, {"env", "dev"}, {"team", "a"}})));
  EXPECT_FALSE(s.admits(labels({{"app", "shop"}, {"env", "prod"}, {"team", "a"}, {"tier", "cache"}})));
  EXPECT_FALSE(s.admits(labels({{"app", "shop"}, {"env", "prod"}, {"team", "a"}, {"legacy", ""}})));
  EXPECT_TRUE(s.admits(json::object{{"name", "node-1"}, {"labels", json::object()}})) << "cluster-scoped: never narrowed";
  EXPECT_EQ(kapi::parse_label_selector("a==b")[0].values, std::vector<std::string>{"b"});
  for (const char* bad : {"a in b", "a in (b", "a,,b", "=x", "app=shop)"})
    EXPECT_THROW(kapi::parse_label_selector(bad), std::invalid_argument) << bad;

  kapi::Scope ns;
  ns.namespaces = {"shop", "web"};
  ns.exclude = {"web"};
  EXPECT_TRUE(ns.admits_namespace("shop"));
  EXPECT_FALSE(ns.admits_namespace("web"));
  EXPECT_FALSE(ns.admits_namespace("kube-system"));
}

TEST(Scope, NamespaceOnASnapshotNarrowsNamespacedTablesOnly) {
  const std::string kq = "SELECT metadata.namespace AS ns, metadata.name AS name FROM k8s.pods";
  auto all = query(kq, "--snapshot " + sh_quote(kExample));
  ASSERT_GT(column(all, "ns").size(), 2u);
  auto shop = query(kq, "--snapshot " + sh_quote(kExample) + " -n shop");
  EXPECT_EQ(column(shop, "ns"), std::set<std::string>{"shop"});
  size_t in_shop = 0;
  for (const auto& r : all) in_shop += r.at("ns").as_string() == "shop";
  EXPECT_EQ(shop.size(), in_shop);

  auto two = query(kq, "--snapshot " + sh_quote(kExample) + " --namespace shop,payments -n shop");
  EXPECT_EQ(column(two, "ns"), (std::set<std::string>{"shop", "payments"}));
  auto both = run_command(kinspect_cmd("query " + sh_quote(kq) + " --snapshot " + sh_quote(kExample) +
                                       " -n shop --exclude-namespace shop"));
  EXPECT_EQ(both.exit_code, 2) << "a namespace both read and excluded is a contradiction";
  EXPECT_NE(both.err.find("namespace 'shop' is given to both"), std::string::npos) << both.err;
  auto others = query(kq, "--snapshot " + sh_quote(kExample) + " --exclude-namespace kube-system");
  EXPECT_EQ(column(others, "ns").count("kube-system"), 0u);
  EXPECT_GT(others.size(), 0u);

  auto labelled = query(kq, "--snapshot " + sh_quote(kExample) + " -l app=kube-proxy");
  ASSERT_GT(labelled.size(), 0u);
  for (const auto& r : labelled) EXPECT_NE(r.at("name").as_string().find("kube-proxy-"), std::string::npos) << r;

  // Nodes are cluster-scoped: the scope leaves them whole.
  const std::string nq = "SELECT metadata.name AS name FROM k8s.nodes";
  EXPECT_EQ(query(nq, "--snapshot " + sh_quote(kExample) + " -n shop -l app=kube-proxy").size(),
            query(nq, "--snapshot " + sh_quote(kExample)).size());
}

TEST(Scope, RunOnASnapshotSaysItsScope) {
  auto r = run_command(kinspect_cmd("run --snapshot " + sh_quote(kExample) +
                                    " -n shop --check pod-crashloop --check node-not-ready --format json --fail-on none"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("scope").at("namespaces"), json::parse(R"(["shop"])"));
  for (const auto& c : rep.at("checks").as_array()) {
    if (c.at("id").as_string() != "pod-crashloop") continue;
    for (const auto& f : c.at("findings").as_array()) EXPECT_EQ(f.at("object").as_string().rfind("pod/shop/", 0), 0u) << f;
  }
  EXPECT_GT(rep.at("cluster").at("nodes").to_number<uint64_t>(), 0u) << "nodes are read whole";

  auto text = run_command(kinspect_cmd("run --snapshot " + sh_quote(kExample) +
                                       " -n shop --check pod-crashloop --fail-on none --format terminal"));
  EXPECT_NE(text.out.find("Scope     namespaces shop"), std::string::npos) << text.out;
  auto both = run_command(kinspect_cmd("run --snapshot " + sh_quote(kExample) + " -A -n shop"));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--all-namespaces"), std::string::npos) << both.err;
  auto bad = run_command(kinspect_cmd("run --snapshot " + sh_quote(kExample) + " -l 'app in shop'"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("label_selector"), std::string::npos) << bad.err;
}

TEST(Scope, LiveRunSendsNamespacedListsAndSelectors) {
  Cluster c("scope-live");
  std::string kc = c.cert_kubeconfig();
  auto rows = query("SELECT metadata.name AS name FROM k8s.pods",
                    "-n kube-system -n default -l k8s-app=kube-proxy --kubeconfig " + sh_quote(kc));
  EXPECT_EQ(column(rows, "name"), (std::set<std::string>{"kube-proxy-8jj5r", "kube-proxy-g79v6", "kube-proxy-lrtdp"}));
  EXPECT_GE(c.server->lists("/api/v1/namespaces/kube-system/pods"), 1u);
  EXPECT_GE(c.server->lists("/api/v1/namespaces/default/pods"), 1u);
  EXPECT_EQ(c.server->lists("/api/v1/pods"), 0u) << "no cluster-wide LIST of pods";
  bool labelled = false;
  for (const auto& line : c.server->log())
    if (line.find("/namespaces/kube-system/pods") != std::string::npos)
      labelled = labelled || line.find("labelSelector=k8s-app%3Dkube-proxy") != std::string::npos;
  EXPECT_TRUE(labelled) << "the label selector went to the server";
  // Nodes are cluster-scoped: one LIST of all, no selector.
  auto nodes = query("SELECT metadata.name AS name FROM k8s.nodes", "-n kube-system -l k8s-app=kube-proxy --kubeconfig " + sh_quote(kc));
  EXPECT_EQ(nodes.size(), 3u);
  for (const auto& line : c.server->log()) {
    if (line.find("/api/v1/nodes") == std::string::npos) continue;
    EXPECT_EQ(line.find("labelSelector"), std::string::npos) << line;
  }
}

TEST(Scope, LiveExclusionIsAFieldSelectorAndTheRunReportsItsScope) {
  Cluster c("scope-exclude");
  std::string kc = c.cert_kubeconfig();
  auto rows = query("SELECT metadata.name AS name FROM k8s.pods", "--exclude-namespace kube-system --kubeconfig " + sh_quote(kc));
  EXPECT_TRUE(rows.empty()) << "every pod of the test cluster is in kube-system";
  bool excluded = false;
  for (const auto& line : c.server->log())
    excluded = excluded || (line.find("/api/v1/pods?") != std::string::npos &&
                            line.find("fieldSelector=metadata.namespace%21%3Dkube-system") != std::string::npos);
  EXPECT_TRUE(excluded) << "the exclusion went to the server as fieldSelector metadata.namespace!=kube-system";

  const size_t wide_lists = c.server->lists("/api/v1/pods");  // the query's, with its fieldSelector
  auto run = run_command(kinspect_cmd("run --format json --fail-on none --allow-incomplete --check pod-crashloop -n kube-system "
                                      "--kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json::parse(run.out).at("scope").at("namespaces"), json::parse(R"(["kube-system"])"));
  EXPECT_GE(c.server->lists("/api/v1/namespaces/kube-system/pods"), 1u);
  EXPECT_EQ(c.server->lists("/api/v1/pods"), wide_lists) << "the run listed pods per namespace only";
}

TEST(Scope, ASnapshotCapturedWithAScopeSaysSoInItsRuns) {
  Cluster c("scope-snapshot");
  std::string kc = c.cert_kubeconfig();
  const std::string out = c.dir + "/snap";
  auto snap = run_command(kinspect_cmd("snapshot -o " + sh_quote(out) +
                                       " --table k8s.pods --table k8s.nodes --table k8s.version -n kube-system "
                                       "--kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  EXPECT_GE(c.server->lists("/api/v1/namespaces/kube-system/pods"), 1u);
  EXPECT_EQ(c.server->lists("/api/v1/pods"), 0u);
  auto run = run_command(kinspect_cmd("run --snapshot " + sh_quote(out) +
                                      " --check pod-crashloop --format json --fail-on none --allow-incomplete"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json::parse(run.out).at("scope").at("namespaces"), json::parse(R"(["kube-system"])"));
}
