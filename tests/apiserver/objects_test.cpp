// k8s.objects (every object, whatever its kind), k8s.workloads (every pod
// template carrier) and the metrics tables, over snapshots; the live side
// is in live_objects below, against the HTTPS test server.
#include "fixture.h"

using namespace kapitest;
using kitest::q;
namespace json = boost::json;

namespace {

std::string snap(const std::string& path) { return "{\"snapshot\":" + q(path) + "}"; }

std::string text(const json::value& row, const char* key) {
  const json::value* v = row.as_object().if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

TEST(ObjectsTable, EveryObjectOfAFolderOfManifestsWithTheFileItIsIn) {
  std::string d = temp_dir("objects-manifests");
  // A kubectl List whose `kind: List` comes after its items, as kubectl writes YAML.
  write_file(d + "/apps.yaml",
             "apiVersion: v1\nitems:\n- apiVersion: extensions/v1beta1\n  kind: Deployment\n  metadata: {name: old}\n"
             "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: new}\nkind: List\n");
  write_file(d + "/psp.json",
             R"({"apiVersion":"policy/v1beta1","kind":"PodSecurityPolicy","metadata":{"name":"restricted"}})");
  write_file(d + "/version.json", R"({"major":"1","minor":"29","gitVersion":"v1.29.4"})");
  auto p = plugin(snap(d));
  auto r = p->scan("k8s.objects");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 3u);  // not the List envelope, not version.json
  EXPECT_EQ(text(r.rows[0], "apiVersion"), "extensions/v1beta1");
  EXPECT_EQ(text(r.rows[0], "found_in"), "apps.yaml");
  EXPECT_EQ(text(r.rows[0], "resource"), "deployments");
  EXPECT_EQ(text(r.rows[1], "apiVersion"), "apps/v1");
  EXPECT_EQ(text(r.rows[2], "kind"), "PodSecurityPolicy");
  EXPECT_EQ(text(r.rows[2], "resource"), "podsecuritypolicies");
  EXPECT_EQ(text(r.rows[2], "found_in"), "psp.json");
}

TEST(ObjectsTable, ASnapshotGivesEveryObjectOfEveryObjectFile) {
  std::string d = temp_dir("objects-snapshot");
  write_file(d + "/pods.json", read_file(data("kind_kube-system_PodList.json")));
  write_file(d + "/nodes.json", read_file(data("kind_nodes_NodeList.json")));
  write_file(d + "/version.json", read_file(data("kind_version.json")));
  write_file(d + "/manifest.json",
             R"({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.pods","file":"pods.json","count":14},)"
             R"({"table":"k8s.nodes","file":"nodes.json","count":3},{"table":"k8s.version","file":"version.json"}]})");
  auto p = plugin(snap(d));
  auto r = p->scan("k8s.objects");
  ASSERT_TRUE(r.ok) << r.error;
  std::map<std::string, int> by_resource;
  for (const auto& row : r.rows) {
    ++by_resource[text(row, "resource")];
    EXPECT_EQ(text(row, "found_in"), text(row, "resource") + ".json");
  }
  EXPECT_EQ(by_resource, (std::map<std::string, int>{{"nodes", 3}, {"pods", 14}}));
}

TEST(ObjectsTable, SecretValuesAreWithheldAsInTheSecretsTable) {
  std::string d = temp_dir("objects-secret");
  write_file(d + "/s.json", R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"password":"c2VjcmV0LXZhbHVl"}})");
  auto p = plugin(snap(d));
  auto r = p->scan("k8s.objects");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(json::serialize(r.rows[0]).find("c2VjcmV0LXZhbHVl"), std::string::npos) << json::serialize(r.rows[0]);
  EXPECT_TRUE(r.rows[0].as_object().at("data").as_object().at("password").is_null());
}

// The seven carriers, each in its file, as a snapshot holds them.
std::string workloads_snapshot(bool with_cronjobs) {
  std::string d = temp_dir(with_cronjobs ? "workloads" : "workloads-partial");
  auto list = [](const std::string& items) { return R"({"apiVersion":"v1","kind":"List","items":[)" + items + "]}"; };
  const std::string spec = R"({"containers":[{"name":"app","image":"app:1","securityContext":{"privileged":true}}]})";
  write_file(d + "/pods.json", list(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop",)"
                                    R"("ownerReferences":[{"kind":"ReplicaSet","name":"web-5d9","controller":true}]},"spec":)" +
                                    spec + "}"));
  write_file(d + "/deployments.json",
             list(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},)"
                  R"("spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":)" + spec + "}}}"));
  for (const char* f : {"replicasets", "statefulsets", "daemonsets", "jobs"}) write_file(d + "/" + f + ".json", list(""));
  std::string resources;
  for (const char* f : {"pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs"})
    resources += std::string(resources.empty() ? "" : ",") + R"({"table":"k8s.)" + f + R"(","file":")" + f + R"(.json"})";
  if (with_cronjobs) {
    write_file(d + "/cronjobs.json",
               list(R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly","namespace":"ops"},)"
                    R"("spec":{"jobTemplate":{"spec":{"template":{"spec":)" + spec + "}}}}}"));
    resources += R"(,{"table":"k8s.cronjobs","file":"cronjobs.json"})";
  }
  write_file(d + "/manifest.json", R"({"format":"kinspect-snapshot/v1","resources":[)" + resources + "]}");
  return d;
}

TEST(WorkloadsTable, EveryCarrierWithItsPodSpecWhereverItKeepsIt) {
  auto p = plugin(snap(workloads_snapshot(true)));
  auto r = p->scan("k8s.workloads");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 3u);
  std::map<std::string, json::value> by_kind;
  for (const auto& row : r.rows) by_kind[text(row, "kind")] = row;
  EXPECT_EQ(text(by_kind["Pod"], "owner_kind"), "ReplicaSet");
  EXPECT_EQ(text(by_kind["Pod"], "owner_name"), "web-5d9");
  EXPECT_EQ(text(by_kind["Pod"], "pod_spec_path"), "spec");
  EXPECT_TRUE(by_kind["Deployment"].as_object().at("owner_kind").is_null());
  EXPECT_EQ(text(by_kind["Deployment"], "pod_spec_path"), "spec.template.spec");
  EXPECT_EQ(by_kind["Deployment"].as_object().at("pod_metadata").as_object().at("labels").as_object().at("app"), "web");
  EXPECT_EQ(text(by_kind["CronJob"], "pod_spec_path"), "spec.jobTemplate.spec.template.spec");
  EXPECT_EQ(text(by_kind["CronJob"], "namespace"), "ops");
  for (const char* k : {"Pod", "Deployment", "CronJob"})
    EXPECT_EQ(by_kind[k].as_object().at("pod_spec").as_object().at("containers").as_array()[0].as_object().at("name"),
              "app")
        << k;
}

TEST(WorkloadsTable, ACarrierNotCapturedMakesTheWholeTableUnavailable) {
  // Rows of six kinds would pass a check for CronJobs unchecked.
  auto p = plugin(snap(workloads_snapshot(false)));
  auto r = p->scan("k8s.workloads");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not captured"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("k8s.cronjobs"), std::string::npos) << r.error;
}

TEST(MetricsTables, NodeMetricsUnderTheirRealPluralLiveAndOffline) {
  std::string d = temp_dir("metrics");
  write_file(d + "/node_metrics.json",
             R"({"apiVersion":"metrics.k8s.io/v1beta1","kind":"NodeMetricsList","items":[{"metadata":{"name":"n1"},)"
             R"("timestamp":"2026-01-01T00:00:00Z","window":"20s","usage":{"cpu":"250m","memory":"1Gi"}}]})");
  write_file(d + "/nodes.json", read_file(data("kind_nodes_NodeList.json")));
  write_file(d + "/manifest.json",
             R"({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.node_metrics","file":"node_metrics.json"},)"
             R"({"table":"k8s.nodes","file":"nodes.json"}]})");
  auto p = plugin(snap(d));
  auto table = p->scan("k8s.node_metrics");
  ASSERT_TRUE(table.ok) << table.error;
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(text(table.rows[0], "kind"), "NodeMetrics");
  // The same call as live: the plural is "nodes", and it is not k8s.nodes.
  auto generic = p->scan("k8s.resource", {"metrics.k8s.io/v1beta1", "nodes"});
  ASSERT_TRUE(generic.ok) << generic.error;
  ASSERT_EQ(generic.rows.size(), 1u);
  EXPECT_EQ(generic.rows[0], table.rows[0]);
  // k8s.resource and k8s.objects declare every top-level field a column.
  auto d2 = p->describe();
  for (const auto& t : d2.as_object()["tables"].as_array()) {
    std::string name(t.as_object().at("name").as_string());
    if (name == "k8s.resource" || name == "k8s.objects") {
      const json::value* open = t.as_object().if_contains("open_columns");
      EXPECT_TRUE(open && open->is_bool() && open->as_bool()) << name;
    }
  }
}

}  // namespace
