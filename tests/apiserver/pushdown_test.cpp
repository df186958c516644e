// Constraint push-down as a user meets it: `kinspect query` and `kinspect
// run` against the test API server, whose request log shows what the driver
// asked for. Each narrowed query is compared with the same question asked in
// a form that cannot be pushed (through lower()), which must LIST everything
// and give the same answer.
#include "fixture.h"

#include <algorithm>
#include <filesystem>

#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

// The example cluster's 73 pods: five namespaces, labels with dotted keys.
const std::string kPods = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster/pods.json";

struct PodCluster : Cluster {
  PodCluster(const std::string& name) : Cluster(name) { server->add_collection_file("/api/v1/pods", kPods); }

  // Runs kinspect; returns its output and the pod LISTs it made, query included.
  std::pair<std::string, std::vector<std::string>> kinspect(const std::string& args) {
    size_t before = server->log().size();
    auto r = run_command(std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR) +
                         " --kubeconfig " + sh_quote(cert_kubeconfig()));
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << args << "\n" << r.err;
    std::vector<std::string> lists;
    auto log = server->log();
    for (size_t i = before; i < log.size(); ++i)
      if (log[i].find("/pods?") != std::string::npos) lists.push_back(log[i].substr(0, log[i].find(" user=")));
    return {r.out, lists};
  }
  std::pair<std::string, std::vector<std::string>> query(const std::string& q) {
    return kinspect("query " + sh_quote(q) + " --format json");
  }
};

const std::string kSelect = "SELECT metadata.namespace AS ns, metadata.name AS name, spec.nodeName AS node FROM k8s.pods ";

size_t rows(const std::string& out) { return json::parse(out).as_array().size(); }

::testing::AssertionResult starts_with(const std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not start with '" << prefix << "'";
}

}  // namespace

TEST(PushDown, NamespaceEqualityListsThatNamespaceOnly) {
  PodCluster c("pushdown-ns");
  auto [pushed, lists] = c.query(kSelect + "WHERE metadata.namespace = 'shop' ORDER BY name");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_TRUE(starts_with(lists[0], "GET /api/v1/namespaces/shop/pods?limit="));
  EXPECT_EQ(rows(pushed), 11u) << pushed;

  auto [plain, all] = c.query(kSelect + "WHERE lower(metadata.namespace) = 'shop' ORDER BY name");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(starts_with(all[0], "GET /api/v1/pods?limit="));
  EXPECT_EQ(pushed, plain);

  // Plugins run in worker processes by default; in-process they get the same.
  auto [inproc, inproc_lists] =
      c.kinspect("query " + sh_quote(kSelect + "WHERE metadata.namespace = 'shop' ORDER BY name") + " --format json --no-isolation");
  ASSERT_EQ(inproc_lists.size(), 1u);
  EXPECT_TRUE(starts_with(inproc_lists[0], "GET /api/v1/namespaces/shop/pods?limit="));
  EXPECT_EQ(inproc, pushed);
}

TEST(PushDown, InListsEachNamespace) {
  PodCluster c("pushdown-in");
  auto [pushed, lists] = c.query(kSelect + "WHERE metadata.namespace IN ('shop', 'payments') ORDER BY name");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_TRUE(starts_with(lists[0], "GET /api/v1/namespaces/payments/pods?"));
  EXPECT_TRUE(starts_with(lists[1], "GET /api/v1/namespaces/shop/pods?"));
  EXPECT_EQ(rows(pushed), 19u) << pushed;
  auto [plain, all] = c.query(kSelect + "WHERE lower(metadata.namespace) IN ('shop', 'payments') ORDER BY name");
  EXPECT_EQ(pushed, plain);
}

TEST(PushDown, FieldSelectorForNodeAndName) {
  PodCluster c("pushdown-field");
  auto [pushed, lists] = c.query(kSelect + "WHERE spec.nodeName = 'worker-1' ORDER BY name");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_TRUE(starts_with(lists[0], "GET /api/v1/pods?limit="));
  EXPECT_NE(lists[0].find("&fieldSelector=spec.nodeName%3Dworker-1"), std::string::npos) << lists[0];
  EXPECT_EQ(rows(pushed), 13u) << pushed;
  auto [plain, all] = c.query(kSelect + "WHERE lower(spec.nodeName) = 'worker-1' ORDER BY name");
  EXPECT_EQ(pushed, plain);
  EXPECT_EQ(all[0].find("fieldSelector"), std::string::npos) << all[0];

  // IN has no fieldSelector form: not narrowed, same answer.
  auto [in, in_lists] = c.query(kSelect + "WHERE spec.nodeName IN ('worker-1', 'worker-2') ORDER BY name");
  ASSERT_EQ(in_lists.size(), 1u);
  EXPECT_EQ(in_lists[0].find("fieldSelector"), std::string::npos) << in_lists[0];
  EXPECT_EQ(rows(in), 26u) << in;
}

TEST(PushDown, LabelSelectorWithADottedKey) {
  PodCluster c("pushdown-label");
  auto [pushed, lists] = c.query(kSelect + "WHERE metadata.namespace = 'kube-system' AND "
                                           "metadata.labels['app.kubernetes.io/name'] IN ('kube-proxy', 'coredns') ORDER BY name");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_TRUE(starts_with(lists[0], "GET /api/v1/namespaces/kube-system/pods?"));
  EXPECT_NE(lists[0].find("&labelSelector=app.kubernetes.io%2Fname%20in%20%28coredns%2Ckube-proxy%29"), std::string::npos)
      << lists[0];
  size_t n = rows(pushed);
  EXPECT_GE(n, 8u) << pushed;  // the 8 kube-proxy pods, and CoreDNS's
  auto [plain, all] = c.query(kSelect + "WHERE lower(metadata.namespace) = 'kube-system' AND "
                                        "lower(metadata.labels['app.kubernetes.io/name']) IN ('kube-proxy', 'coredns') ORDER BY name");
  EXPECT_EQ(pushed, plain);
}

TEST(PushDown, NameOnAClusterScopedTable) {
  PodCluster c("pushdown-node");
  size_t before = c.server->log().size();
  auto r = run_command(std::string(KINSPECT_BIN) + " query \"SELECT metadata.name FROM k8s.nodes WHERE metadata.name = 'kind-worker' "
                       "AND metadata.namespace = 'ignored'\" --format json --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR) +
                       " --kubeconfig " + sh_quote(c.cert_kubeconfig()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("kind-worker"), std::string::npos) << "no node has a namespace: " << r.out;
  auto log = c.server->log();
  ASSERT_GT(log.size(), before);
  // A namespace means nothing to nodes: one LIST of all, by name.
  EXPECT_TRUE(starts_with(log.back(), "GET /api/v1/nodes?limit=")) << log.back();
  EXPECT_NE(log.back().find("fieldSelector=metadata.name%3Dkind-worker"), std::string::npos) << log.back();
}

// A table read by several checks is fetched once for all of them, so it is
// narrowed only as far as every one of them narrows it.
TEST(PushDown, ARunNarrowsAFetchOnlyWhereEveryReaderAgrees) {
  PodCluster c("pushdown-run");
  const std::string dns = "--check coredns-replicas-on-one-node";
  auto [alone, alone_lists] = c.kinspect("run --format json --fail-on none " + dns);
  ASSERT_EQ(alone_lists.size(), 1u);
  EXPECT_TRUE(starts_with(alone_lists[0], "GET /api/v1/namespaces/kube-system/pods?"));
  EXPECT_NE(alone_lists[0].find("labelSelector=k8s-app%3Dkube-dns"), std::string::npos) << alone_lists[0];

  auto [shared, shared_lists] = c.kinspect("run --format json --fail-on none " + dns + " --check pod-crashloop");
  // One fetch of pods for both checks; the waivers read its rows, and look
  // up by name only objects of tables the run did not read whole.
  ASSERT_GE(shared_lists.size(), 1u);
  for (size_t i = 1; i < shared_lists.size(); ++i)
    EXPECT_NE(shared_lists[i].find("fieldSelector=metadata.name%3D"), std::string::npos)
        << "one fetch of pods for both checks, then lookups by name: " << shared_lists[i];
  EXPECT_TRUE(starts_with(shared_lists[0], "GET /api/v1/pods?"));
  EXPECT_EQ(shared_lists[0].find("Selector"), std::string::npos) << shared_lists[0];

  // The CoreDNS check's verdict is the same either way.
  auto verdict = [](const std::string& report) {
    json::value parsed = json::parse(report);
    for (const auto& ch : parsed.at("checks").as_array())
      if (ch.at("id") == "coredns-replicas-on-one-node") return json::serialize(ch.at("status")) + json::serialize(ch.at("findings"));
    return std::string("missing");
  };
  EXPECT_EQ(verdict(alone), verdict(shared));
  EXPECT_NE(verdict(alone), "missing");
}

TEST(PushDown, ChecksExplainShowsWhatIsPushed) {
  auto r = run_command(std::string(KINSPECT_BIN) + " checks explain coredns-replicas-on-one-node --plugin-dir " +
                       sh_quote(KAPI_PLUGIN_DIR));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pushed to the source: metadata.labels.k8s-app = 'kube-dns' AND metadata.namespace = 'kube-system'"),
            std::string::npos)
      << r.out;
  // In a run of every check, pod-crashloop and others read every pod.
  EXPECT_NE(r.out.find("k8s.pods(): read by "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check(s); pushed to the source: nothing"), std::string::npos) << r.out;
}

// Waivers need the labels and annotations of the objects findings name. A
// run that LISTs every pod for its checks takes them from that read: no
// second LIST, not even by name (at 150,000 pods a second read of every
// table cost a quarter of the run).
TEST(PushDown, WaiversReadTheObjectsFromTheRunsOwnList) {
  // The example's pods, one of the three in CrashLoopBackOff waiving the check itself.
  json::value pods = json::parse(read_file(kPods));
  for (auto& p : pods.at("items").as_array()) {
    json::object& meta = p.at("metadata").as_object();
    if (meta.at("name") != "checkout-bg8zrrc7h-mlzbv") continue;
    json::object& ann = meta["annotations"].is_object() ? meta["annotations"].as_object() : meta["annotations"].emplace_object();
    ann["kinspect.io/waive"] = "pod-crashloop";
    ann["kinspect.io/waive-reason"] = "known: the payments team fixes it in sprint 12";
  }
  Cluster c("pushdown-waivers");
  const std::string file = c.dir + "/pods.json";
  write_file(file, json::serialize(pods));
  c.server->add_collection_file("/api/v1/pods", file);

  size_t before = c.server->log().size();
  auto r = run_command(std::string(KINSPECT_BIN) + " run --check pod-crashloop --format json --fail-on none --plugin-dir " +
                       sh_quote(KAPI_PLUGIN_DIR) + " --kubeconfig " + sh_quote(c.cert_kubeconfig()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lists;
  auto log = c.server->log();
  for (size_t i = before; i < log.size(); ++i)
    if (log[i].find("/pods?") != std::string::npos) lists.push_back(log[i].substr(0, log[i].find(" user=")));

  // The annotation read that way waives its pod's finding.
  json::value rep = json::parse(r.out);
  const json::object* check = nullptr;
  for (const auto& ch : rep.at("checks").as_array())
    if (ch.at("id") == "pod-crashloop") check = &ch.as_object();
  ASSERT_NE(check, nullptr) << r.out;
  ASSERT_EQ(check->at("waived").as_array().size(), 1u) << json::serialize(*check);
  EXPECT_NE(json::serialize(check->at("waived")).find("checkout-bg8zrrc7h-mlzbv"), std::string::npos);

  // The check's fetch of every pod, and nothing more: the waivers read its rows.
  ASSERT_EQ(lists.size(), 1u) << ::testing::PrintToString(lists);
  EXPECT_TRUE(starts_with(lists[0], "GET /api/v1/pods?")) << lists[0];
  EXPECT_EQ(lists[0].find("Selector"), std::string::npos) << lists[0];
}

// A kind whose table the run did not read (here Deployments, named by a
// check on pods) is looked up as narrowly as its findings allow: many objects
// a namespace at a time while they sit in a few namespaces, and with one LIST
// of the kind beyond that.
TEST(PushDown, WaiverLookupsWidenWithTheFindings) {
  json::object crashing;
  const json::value example = json::parse(read_file(kPods));
  for (const auto& p : example.at("items").as_array())
    if (p.at("metadata").at("name") == "checkout-bg8zrrc7h-mlzbv") crashing = p.as_object();
  ASSERT_FALSE(crashing.empty());
  auto pods_in = [&](size_t namespaces, size_t per_namespace) {
    std::vector<std::string> items;
    for (size_t n = 0; n < namespaces; ++n)
      for (size_t i = 0; i < per_namespace; ++i) {
        json::object p = crashing;
        p["metadata"].as_object()["namespace"] = "team-" + std::to_string(n);
        p["metadata"].as_object()["name"] = "crashing-" + std::to_string(i);
        items.push_back(json::serialize(p));
      }
    return items;
  };
  const std::string checks = ::testing::TempDir() + "/kinspect-waiver-owners-" + std::to_string(::getpid());
  std::filesystem::create_directories(checks);
  write_file(checks + "/owners.kcql", R"(CHECK crashing-owner
  TITLE    "Crashing pod's Deployment"
  CATEGORY workloads
  SEVERITY warning
  FROM     k8s.pods p, UNNEST(p.status.containerStatuses) cs
  WHERE    cs.state.waiting.reason = 'CrashLoopBackOff'
  OBJECT   "deployment/{p.metadata.namespace}/{p.metadata.name}"
  MESSAGE  "{p.metadata.name} crashes"
)");
  auto lookups_of = [&](Cluster& c) {
    size_t before = c.server->log().size();
    auto r = run_command(std::string(KINSPECT_BIN) + " run --checks " + sh_quote(checks) +
                         " --check crashing-owner --format json --fail-on none --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR) +
                         " --kubeconfig " + sh_quote(c.cert_kubeconfig()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("crashing-0"), std::string::npos) << "the check fires on the generated pods";
    std::vector<std::string> lists;
    auto log = c.server->log();
    for (size_t i = before; i < log.size(); ++i)
      if (log[i].find("/deployments?") != std::string::npos) lists.push_back(log[i].substr(0, log[i].find(" user=")));
    return lists;
  };

  Cluster few("waivers-few-namespaces");  // 40 objects in 2 namespaces: a LIST of each namespace
  few.server->add_collection("/api/v1/pods", "PodList", "v1", pods_in(2, 20));
  auto lists = lookups_of(few);
  ASSERT_EQ(lists.size(), 2u) << ::testing::PrintToString(lists);
  EXPECT_TRUE(starts_with(lists[0], "GET /apis/apps/v1/namespaces/team-0/deployments?")) << lists[0];
  EXPECT_TRUE(starts_with(lists[1], "GET /apis/apps/v1/namespaces/team-1/deployments?")) << lists[1];
  EXPECT_EQ(lists[0].find("fieldSelector"), std::string::npos) << lists[0];

  Cluster many("waivers-many-namespaces");  // 40 objects in 10 namespaces: one LIST of the kind
  many.server->add_collection("/api/v1/pods", "PodList", "v1", pods_in(10, 4));
  lists = lookups_of(many);
  ASSERT_EQ(lists.size(), 1u) << ::testing::PrintToString(lists);
  EXPECT_TRUE(starts_with(lists[0], "GET /apis/apps/v1/deployments?")) << lists[0];
  EXPECT_EQ(lists[0].find("Selector"), std::string::npos) << lists[0];
  std::filesystem::remove_all(checks);
}
