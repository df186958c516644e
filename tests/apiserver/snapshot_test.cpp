// Reading snapshots: kinspect snapshot dirs and tarballs, kubectl List JSON
// and YAML, manifest directories; safety and bounded memory.
#include "fixture.h"

#include <archive.h>
#include <archive_entry.h>

#include <chrono>
#include <cstdio>
#include <fstream>

using namespace kapitest;
using kitest::q;
namespace json = boost::json;

namespace {

std::string snap_config(const std::string& path, const std::string& extra = "") {
  return "{\"snapshot\":" + q(path) + extra + "}";
}

// A kinspect-snapshot/v1 directory built from the corpus.
std::string make_snapshot_dir(const std::string& name) {
  std::string d = temp_dir(name);
  write_file(d + "/pods.json", read_file(data("kind_kube-system_PodList.json")));
  write_file(d + "/nodes.json", read_file(data("kind_nodes_NodeList.json")));
  write_file(d + "/events.json", read_file(data("events_EventList.json")));
  write_file(d + "/version.json", read_file(data("kind_version.json")));
  write_file(d + "/readyz.txt", "[+]ping ok\n[+]etcd ok\n[-]poststarthook/rbac failed: reason withheld\nreadyz check failed\n");
  write_file(d + "/manifest.json",
             R"({"format":"kinspect-snapshot/v1","created":"2026-01-01T00:00:00Z","cluster":{"version":{"gitVersion":"v1.21.1"}},)"
             R"("resources":[{"table":"k8s.pods","file":"pods.json","count":14},{"table":"k8s.nodes","file":"nodes.json","count":3},)"
             R"({"table":"k8s.events","file":"events.json","count":17}]})");
  return d;
}

void add_tar_member(archive* a, const std::string& path, const std::string& content) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(a, e);
  archive_write_data(a, content.data(), content.size());
  archive_entry_free(e);
}

void make_tar_gz(const std::string& file, const std::vector<std::pair<std::string, std::string>>& members) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  for (auto& [p, c] : members) add_tar_member(a, p, c);
  archive_write_close(a);
  archive_write_free(a);
}

size_t rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

}  // namespace

TEST(Snapshot, DescribeDeclaresWellKnownTablesWithoutNetwork) {
  auto p = plugin("{\"kubeconfig\":\"/nonexistent/kubeconfig\"}");
  auto d = p->describe();
  std::map<std::string, json::object> tables;
  for (auto& t : d.as_object()["tables"].as_array()) tables[std::string(t.as_object().at("name").as_string())] = t.as_object();
  for (const char* t : {"k8s.nodes", "k8s.pods", "k8s.namespaces", "k8s.services", "k8s.endpoints", "k8s.endpointslices",
                        "k8s.events", "k8s.configmaps", "k8s.secrets", "k8s.serviceaccounts", "k8s.persistentvolumes",
                        "k8s.persistentvolumeclaims", "k8s.deployments", "k8s.daemonsets", "k8s.statefulsets",
                        "k8s.replicasets", "k8s.jobs", "k8s.cronjobs", "k8s.poddisruptionbudgets", "k8s.ingresses",
                        "k8s.networkpolicies", "k8s.storageclasses", "k8s.volumeattachments", "k8s.csidrivers",
                        "k8s.validatingwebhookconfigurations", "k8s.mutatingwebhookconfigurations", "k8s.apiservices",
                        "k8s.customresourcedefinitions", "k8s.certificatesigningrequests", "k8s.leases",
                        "k8s.priorityclasses", "k8s.resourcequotas", "k8s.limitranges", "k8s.horizontalpodautoscalers",
                        "k8s.clusterroles", "k8s.clusterrolebindings", "k8s.roles", "k8s.rolebindings",
                        "k8s.componentstatuses", "k8s.version", "k8s.readyz", "k8s.livez", "k8s.api_resources",
                        "k8s.resource", "k8s.pod_logs"})
    EXPECT_TRUE(tables.count(t)) << t;
  auto cols = [&](const std::string& t) {
    std::map<std::string, json::object> c;
    for (auto& x : tables[t]["columns"].as_array()) c[std::string(x.as_object().at("name").as_string())] = x.as_object();
    return c;
  };
  EXPECT_TRUE(cols("k8s.endpoints").count("subsets"));
  EXPECT_TRUE(cols("k8s.secrets")["data"]["hidden"].as_bool());
  EXPECT_TRUE(cols("k8s.validatingwebhookconfigurations").count("webhooks"));
  for (const char* c : {"involvedObject", "reason", "message", "type", "count", "firstTimestamp", "lastTimestamp", "eventTime", "source"})
    EXPECT_TRUE(cols("k8s.events").count(c)) << c;
  for (const char* c : {"addressType", "endpoints", "ports"}) EXPECT_TRUE(cols("k8s.endpointslices").count(c)) << c;
  for (const char* c : {"provisioner", "parameters", "reclaimPolicy"}) EXPECT_TRUE(cols("k8s.storageclasses").count(c)) << c;
  for (auto& [name, t] : tables)
    if (name != "k8s.version" && name != "k8s.readyz" && name != "k8s.livez" && name != "k8s.api_resources" &&
        name != "k8s.pod_logs" && name != "k8s.connection" && name != "k8s.deprecated_api_requests" &&
        name != "k8s.helm_release_objects") {  // not API objects
      auto c = cols(name);
      EXPECT_TRUE(c.count("apiVersion") && c.count("kind") && c.count("metadata")) << name;
    }
  EXPECT_EQ(tables["k8s.resource"]["arguments"].as_array().size(), 2u);
  // Logs, not objects: one row per container.
  for (const char* c : {"namespace", "pod", "container", "node", "phase", "created", "log", "truncated", "error"})
    EXPECT_TRUE(cols("k8s.pod_logs").count(c)) << c;
  EXPECT_EQ(tables["k8s.pod_logs"]["arguments"].as_array().size(), 2u);
}

TEST(Snapshot, ManifestDirectory) {
  std::string d = make_snapshot_dir("snapdir");
  auto p = plugin(snap_config(d));
  auto pods = p->scan("k8s.pods");
  ASSERT_TRUE(pods.ok) << pods.error;
  ASSERT_EQ(pods.rows.size(), 14u);
  for (auto& r : pods.rows) {
    EXPECT_EQ(str(r, "kind"), "Pod");
    EXPECT_EQ(str(r, "apiVersion"), "v1");
    EXPECT_EQ(str(r, "metadata", "namespace"), "kube-system");
  }
  auto nodes = p->scan("k8s.nodes");
  ASSERT_TRUE(nodes.ok) << nodes.error;
  EXPECT_EQ(names(nodes), (std::multiset<std::string>{"kind-control-plane", "kind-worker", "kind-worker2"}));
  auto ev = p->scan("k8s.events");
  ASSERT_TRUE(ev.ok) << ev.error;
  EXPECT_GT(ev.rows.size(), 0u);
  auto gen = p->scan("k8s.resource", {"v1", "pods"});
  ASSERT_TRUE(gen.ok) << gen.error;
  EXPECT_EQ(gen.rows.size(), 14u);
  auto dep = p->scan("k8s.deployments");  // not in the manifest: unknown, not empty
  EXPECT_EQ(dep.rc, KI_UNAVAILABLE) << dep.error;
  EXPECT_EQ(dep.error.rfind("not captured: ", 0), 0u) << dep.error;
  auto ver = p->scan("k8s.version");
  ASSERT_TRUE(ver.ok) << ver.error;
  ASSERT_EQ(ver.rows.size(), 1u);
  EXPECT_EQ(str(ver.rows[0], "gitVersion"), "v1.21.1");
  EXPECT_EQ(str(ver.rows[0], "platform"), "linux/amd64");
  auto rz = p->scan("k8s.readyz");
  ASSERT_TRUE(rz.ok) << rz.error;
  ASSERT_EQ(rz.rows.size(), 3u);
  EXPECT_EQ(str(rz.rows[1], "name"), "etcd");
  EXPECT_TRUE(rz.rows[1].as_object().at("ok").as_bool());
  EXPECT_FALSE(rz.rows[2].as_object().at("ok").as_bool());
  EXPECT_EQ(str(rz.rows[2], "message"), "reason withheld");
}

TEST(Snapshot, HealthAndApiResourcesFiles) {
  std::string d = make_snapshot_dir("snapdir-files");
  write_file(d + "/livez.txt", "[+]ping ok\n[+]etcd ok\nlivez check passed\n");
  write_file(d + "/api-resources.json",
             R"({"apiVersion":"v1","kind":"List","items":[{"group":"","version":"v1","groupVersion":"v1","resource":"pods","kind":"Pod","namespaced":true,"verbs":["get","list"],"preferred":true}]})");
  auto p = plugin(snap_config(d));
  auto lz = p->scan("k8s.livez");
  ASSERT_TRUE(lz.ok) << lz.error;
  EXPECT_EQ(lz.rows.size(), 2u);
  auto ar = p->scan("k8s.api_resources");
  ASSERT_TRUE(ar.ok) << ar.error;
  ASSERT_EQ(ar.rows.size(), 1u);
  EXPECT_EQ(str(ar.rows[0], "resource"), "pods");
  EXPECT_FALSE(ar.rows[0].as_object().contains("apiVersion"));  // rows of special tables get no identity
  // Special tables captured as List files named in the manifest win.
  write_file(d + "/readyz.json", R"({"apiVersion":"v1","kind":"List","items":[{"name":"etcd","ok":false,"message":"down"}]})");
  std::string m = read_file(d + "/manifest.json");
  m.replace(m.find("\"resources\":["), 13, R"("resources":[{"table":"k8s.readyz","file":"readyz.json","count":1},)");
  write_file(d + "/manifest.json", m);
  auto p2 = plugin(snap_config(d));
  auto rz = p2->scan("k8s.readyz");
  ASSERT_TRUE(rz.ok) << rz.error;
  ASSERT_EQ(rz.rows.size(), 1u);
  EXPECT_EQ(str(rz.rows[0], "message"), "down");
}

TEST(Snapshot, VersionFromManifestWhenNoVersionFile) {
  std::string d = make_snapshot_dir("snapdir-nover");
  std::remove((d + "/version.json").c_str());
  auto p = plugin(snap_config(d));
  auto ver = p->scan("k8s.version");
  ASSERT_TRUE(ver.ok) << ver.error;
  ASSERT_EQ(ver.rows.size(), 1u);
  EXPECT_EQ(str(ver.rows[0], "gitVersion"), "v1.21.1");
}

TEST(Snapshot, ManifestListsMissingFile) {
  std::string d = make_snapshot_dir("snapdir-missing");
  std::remove((d + "/pods.json").c_str());
  auto p = plugin(snap_config(d));
  auto pods = p->scan("k8s.pods");
  ASSERT_FALSE(pods.ok);
  EXPECT_NE(pods.error.find("pods.json"), std::string::npos) << pods.error;
}

TEST(Snapshot, KubectlListJsonFile) {
  auto p = plugin(snap_config(data("kubectl_List.json")));
  auto pods = p->scan("k8s.pods");
  ASSERT_TRUE(pods.ok) << pods.error;
  EXPECT_EQ(names(pods), (std::multiset<std::string>{"t1", "t2"}));
  // A file of pods says nothing about nodes: not captured, never "no nodes".
  auto nodes = p->scan("k8s.nodes");
  EXPECT_EQ(nodes.rc, KI_UNAVAILABLE) << nodes.error;
  EXPECT_NE(nodes.error.find("no object in the snapshot is of its kind"), std::string::npos) << nodes.error;
}

TEST(Snapshot, ListItemsWithoutKindGetItFromTheListKind) {
  std::string d = temp_dir("nokind");
  // As a live LIST answers: items without apiVersion/kind.
  write_file(d + "/dump.json",
             R"({"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[{"metadata":{"name":"a","namespace":"x"},"spec":{}},{"metadata":{"name":"b"}}, {}]})");
  auto p = plugin(snap_config(d + "/dump.json"));
  auto r = p->scan("k8s.deployments");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 3u);
  for (auto& row : r.rows) {
    EXPECT_EQ(str(row, "kind"), "Deployment");
    EXPECT_EQ(str(row, "apiVersion"), "apps/v1");
  }
  EXPECT_EQ(str(r.rows[0], "metadata", "name"), "a");
}

TEST(Snapshot, YamlListAndMultiDocument) {
  auto p = plugin(snap_config(data("popeye_nodes_List.yaml")));
  auto nodes = p->scan("k8s.nodes");
  ASSERT_TRUE(nodes.ok) << nodes.error;
  ASSERT_GT(nodes.rows.size(), 0u);
  EXPECT_EQ(str(nodes.rows[0], "metadata", "name"), "n1");
  // YAML types survive: quoted "10" stays a string, podCIDRs a list.
  EXPECT_EQ(str(nodes.rows[0], "status", "allocatable", "cpu"), "10");

  std::string d = temp_dir("multidoc");
  write_file(d + "/app.yaml", R"(# an app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  paused: false
  legacyFlag: yes
  ratio: 0.5
  version: "1.10"
  empty:
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
type: Opaque
data:
  password: c2VjcmV0
stringData:
  user: admin
---
)");
  auto p2 = plugin(snap_config(d + "/app.yaml"));
  auto dep = p2->scan("k8s.deployments");
  ASSERT_TRUE(dep.ok) << dep.error;
  ASSERT_EQ(dep.rows.size(), 1u);
  EXPECT_EQ(dep.rows[0].as_object().at("spec").as_object().at("replicas").as_int64(), 3);
  auto& spec = dep.rows[0].as_object().at("spec").as_object();
  EXPECT_FALSE(spec.at("paused").as_bool());
  EXPECT_TRUE(spec.at("legacyFlag").as_bool());
  EXPECT_EQ(spec.at("ratio").as_double(), 0.5);
  EXPECT_EQ(spec.at("version").as_string(), "1.10");
  EXPECT_TRUE(spec.at("empty").is_null());
  auto svc = p2->scan("k8s.services");
  ASSERT_TRUE(svc.ok);
  ASSERT_EQ(svc.rows.size(), 1u);
  auto sec = p2->scan("k8s.secrets");
  ASSERT_TRUE(sec.ok) << sec.error;
  ASSERT_EQ(sec.rows.size(), 1u);
  auto& data = sec.rows[0].as_object().at("data").as_object();
  ASSERT_TRUE(data.contains("password"));
  EXPECT_TRUE(data.at("password").is_null());  // value withheld, key kept
  EXPECT_TRUE(sec.rows[0].as_object().at("stringData").as_object().at("user").is_null());
  EXPECT_EQ(str(sec.rows[0], "type"), "Opaque");

  auto p3 = plugin(snap_config(d + "/app.yaml", ",\"include_secret_data\":true"));
  auto sec3 = p3->scan("k8s.secrets");
  ASSERT_TRUE(sec3.ok);
  EXPECT_EQ(str(sec3.rows[0], "data", "password"), "c2VjcmV0");
}

TEST(Snapshot, ManifestsDirectoryRoutesByKind) {
  std::string d = temp_dir("manifests");
  write_file(d + "/cluster/nodes-dump.json", read_file(data("kind_nodes_NodeList.json")));
  write_file(d + "/ns/kube-system/all.json", read_file(data("kind_kube-system_PodList.json")));
  write_file(d + "/ns/default/pod.yaml", read_file(data("pod.yaml")));
  write_file(d + "/apps/deploy.json", read_file(data("deployments_DeploymentList.json")));
  write_file(d + "/README.txt", "not a manifest");
  write_file(d + "/bom.json", "\xEF\xBB\xBF" + read_file(data("events_EventList.json")));
  auto p = plugin(snap_config(d));
  auto pods = p->scan("k8s.pods");
  ASSERT_TRUE(pods.ok) << pods.error;
  EXPECT_EQ(pods.rows.size(), 15u);
  auto nodes = p->scan("k8s.nodes");
  ASSERT_TRUE(nodes.ok);
  EXPECT_EQ(nodes.rows.size(), 3u);
  auto dep = p->scan("k8s.deployments");
  ASSERT_TRUE(dep.ok);
  EXPECT_GT(dep.rows.size(), 0u);
  auto ev = p->scan("k8s.events");
  ASSERT_TRUE(ev.ok) << ev.error;
  EXPECT_GT(ev.rows.size(), 0u);
  // The generic table function over a snapshot.
  auto gen = p->scan("k8s.resource", {"apps/v1", "deployments"});
  ASSERT_TRUE(gen.ok) << gen.error;
  EXPECT_EQ(gen.rows.size(), dep.rows.size());
  // A file named like a table's file is still found by the generic function.
  write_file(d + "/apps/deployments.json", read_file(data("deployments_DeploymentList.json")));
  std::remove((d + "/apps/deploy.json").c_str());
  auto gen2 = p->scan("k8s.resource", {"apps/v1", "deployments"});
  ASSERT_TRUE(gen2.ok) << gen2.error;
  EXPECT_EQ(gen2.rows.size(), dep.rows.size());
  auto wrong_gv = p->scan("k8s.resource", {"extensions/v1beta1", "deployments"});
  ASSERT_TRUE(wrong_gv.ok) << wrong_gv.error;
  EXPECT_EQ(wrong_gv.rows.size(), 0u);
}

TEST(Snapshot, TarGz) {
  std::string d = temp_dir("targz");
  std::string file = d + "/snap.tar.gz";
  make_tar_gz(file, {{"./manifest.json", R"({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.pods","file":"pods.json","count":14},{"table":"k8s.nodes","file":"nodes.json","count":3}]})"},
                     {"./pods.json", read_file(data("kind_kube-system_PodList.json"))},
                     {"./nodes.json", read_file(data("kind_nodes_NodeList.json"))},
                     {"./version.json", read_file(data("kind_version.json"))},
                     {"./readyz.txt", "[+]ping ok\n[+]etcd ok\n"}});
  auto p = plugin(snap_config(file));
  auto pods = p->scan("k8s.pods");
  ASSERT_TRUE(pods.ok) << pods.error;
  EXPECT_EQ(pods.rows.size(), 14u);
  auto nodes = p->scan("k8s.nodes");
  ASSERT_TRUE(nodes.ok) << nodes.error;
  EXPECT_EQ(nodes.rows.size(), 3u);
  auto ver = p->scan("k8s.version");
  ASSERT_TRUE(ver.ok) << ver.error;
  ASSERT_EQ(ver.rows.size(), 1u);
  EXPECT_EQ(str(ver.rows[0], "gitVersion"), "v1.21.1");
  auto rz = p->scan("k8s.readyz");
  ASSERT_TRUE(rz.ok) << rz.error;
  EXPECT_EQ(rz.rows.size(), 2u);
  auto dep = p->scan("k8s.deployments");  // not in the manifest: unknown, not empty
  EXPECT_EQ(dep.rc, KI_UNAVAILABLE) << dep.error;
  EXPECT_EQ(dep.error.rfind("not captured: ", 0), 0u) << dep.error;
  // Tables of the manifest that are not well-known are declared too.
  std::string crd = d + "/crd.tar.gz";
  make_tar_gz(crd, {{"manifest.json", R"({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.certificates","file":"certificates.json","count":1}]})"},
                    {"certificates.json", R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"cert-manager.io/v1","kind":"Certificate","metadata":{"name":"web"},"spec":{"secretName":"web-tls"}}]})"}});
  auto pc = plugin(snap_config(crd));
  bool declared = false;
  json::value desc = pc->describe();
  for (auto& t : desc.as_object()["tables"].as_array()) declared |= t.as_object().at("name").as_string() == "k8s.certificates";
  EXPECT_TRUE(declared);
  auto certs = pc->scan("k8s.certificates");
  ASSERT_TRUE(certs.ok) << certs.error;
  ASSERT_EQ(certs.rows.size(), 1u);
  EXPECT_EQ(str(certs.rows[0], "spec", "secretName"), "web-tls");
  auto certs2 = pc->scan("k8s.resource", {"cert-manager.io/v1", "certificates"});
  ASSERT_TRUE(certs2.ok) << certs2.error;
  EXPECT_EQ(certs2.rows.size(), 1u);
  // Without a manifest, members are routed by name and kind.
  std::string plain = d + "/plain.tgz";
  make_tar_gz(plain, {{"cluster/nodes-dump.json", read_file(data("kind_nodes_NodeList.json"))},
                      {"kube-system/pods.yaml", read_file(data("pod.yaml"))}});
  auto p2 = plugin(snap_config(plain));
  auto n2 = p2->scan("k8s.nodes");
  ASSERT_TRUE(n2.ok) << n2.error;
  EXPECT_EQ(n2.rows.size(), 3u);
  auto pods2 = p2->scan("k8s.pods");
  ASSERT_TRUE(pods2.ok) << pods2.error;
  EXPECT_EQ(pods2.rows.size(), 1u);
}

// With the manifest first, a scan stops parsing once its table's members are
// read, but still decompresses the rest: the gzip CRC at the end vouches for
// what was read, so a damaged archive fails every table, naming the file.
TEST(Snapshot, TarStopsAfterTheManifestListedMembers) {
  std::string d = temp_dir("tar-early");
  std::string file = d + "/snap.tar.gz";
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 2000000; ++i) {
    x = x * 1103515245u + 12345u;
    noise += static_cast<char>(x >> 24);
  }
  make_tar_gz(file, {{"snap/manifest.json", R"({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.pods","file":"pods.json","count":14},{"table":"k8s.nodes","file":"nodes.json","count":3}]})"},
                     {"snap/pods.json", read_file(data("kind_kube-system_PodList.json"))},
                     {"snap/zz-noise.bin", noise},
                     {"snap/nodes.json", read_file(data("kind_nodes_NodeList.json"))}});
  std::string bytes = read_file(file);
  write_file(file, bytes.substr(0, bytes.size() / 2));  // cut inside the noise
  auto p = plugin(snap_config(file));
  for (const char* table : {"k8s.pods", "k8s.deployments" /* not in the manifest */, "k8s.nodes"}) {
    auto r = p->scan(table);
    ASSERT_FALSE(r.ok) << table;
    EXPECT_NE(r.error.find(file + ": the gzip data ends early"), std::string::npos) << r.error;
  }
  // Intact, the same archive reads; a table the manifest does not list is not captured.
  write_file(file, bytes);
  auto whole = plugin(snap_config(file));
  auto pods = whole->scan("k8s.pods");
  ASSERT_TRUE(pods.ok) << pods.error;
  EXPECT_EQ(pods.rows.size(), 14u);
  auto dep = whole->scan("k8s.deployments");  // not in the manifest: not captured, not empty
  EXPECT_EQ(dep.rc, KI_UNAVAILABLE) << dep.error;
}

// A table the writer could not capture is an error when read, not an empty table.
TEST(Snapshot, TablesThatFailedToCaptureAreReported) {
  std::string d = temp_dir("failed-capture");
  std::string manifest = R"x({"format":"kinspect-snapshot/v1","resources":[{"table":"k8s.pods","file":"pods.json","count":14}],)x"
                         R"x("failed":[{"table":"k8s.secrets","error":"forbidden: cannot list secrets at the cluster scope (403)"}]})x";
  write_file(d + "/dir/manifest.json", manifest);
  write_file(d + "/dir/pods.json", read_file(data("kind_kube-system_PodList.json")));
  make_tar_gz(d + "/snap.tar.gz", {{"manifest.json", manifest}, {"pods.json", read_file(data("kind_kube-system_PodList.json"))}});
  for (std::string path : {d + "/dir", d + "/snap.tar.gz"}) {
    auto p = plugin(snap_config(path));
    auto s = p->scan("k8s.secrets");
    ASSERT_FALSE(s.ok) << path;
    EXPECT_EQ(s.rc, KI_UNAVAILABLE);
    EXPECT_EQ(s.error, "not captured: snapshot " + path + " lacks k8s.secrets: forbidden: cannot list secrets at the cluster scope (403)");
    auto pods = p->scan("k8s.pods");
    ASSERT_TRUE(pods.ok) << pods.error;
    EXPECT_EQ(pods.rows.size(), 14u);
  }
}

TEST(Snapshot, TarWithTraversalPathsIsRefused) {
  std::string d = temp_dir("evil");
  make_tar_gz(d + "/dotdot.tar.gz", {{"pods.json", read_file(data("kind_kube-system_PodList.json"))},
                                     {"../../etc/evil.json", "{}"}});
  make_tar_gz(d + "/abs.tar.gz", {{"/etc/evil.json", "{}"}});
  for (const char* f : {"/dotdot.tar.gz", "/abs.tar.gz"}) {
    auto p = plugin(snap_config(d + f));
    auto r = p->scan("k8s.pods");
    ASSERT_FALSE(r.ok) << f;
    EXPECT_NE(r.error.find("refusing archive member"), std::string::npos) << r.error;
  }
}

TEST(Snapshot, TruncatedJsonNamesFileAndByte) {
  std::string d = temp_dir("trunc");
  std::string full = read_file(data("kind_kube-system_PodList.json"));
  write_file(d + "/pods.json", full.substr(0, full.size() / 2));
  auto p = plugin(snap_config(d));
  auto r = p->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("truncated JSON in"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("pods.json at byte " + std::to_string(full.size() / 2)), std::string::npos) << r.error;
}

TEST(Snapshot, MissingSnapshotFailsAtCreate) {
  kitest::PluginInstance p(library(), snap_config("/nonexistent/snap"));
  EXPECT_FALSE(p.created());
  EXPECT_NE(p.create_error().find("snapshot not found"), std::string::npos) << p.create_error();
}

// Streaming: a large List is read with memory bounded by a batch, not the file.
TEST(Snapshot, LargeListStreamsWithBoundedMemory) {
  // KAPI_LARGE_ITEMS=2200000 makes a ~1.7 GB List (for measuring by hand).
  const char* env = std::getenv("KAPI_LARGE_ITEMS");
  const size_t kItems = env ? std::stoul(env) : 150000;
  std::string d = temp_dir("large");
  std::string file = d + "/pods.json";
  size_t bytes = 0;
  {
    std::ofstream out(file, std::ios::binary);
    std::string pad(600, 'x');
    out << "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[";
    for (size_t i = 0; i < kItems; ++i) {
      std::string item = std::string(i ? "," : "") + "{\"metadata\":{\"name\":\"pod-" + std::to_string(i) +
                         "\",\"namespace\":\"ns-" + std::to_string(i % 100) +
                         "\",\"uid\":\"u" + std::to_string(i) + "\",\"annotations\":{\"pad\":\"" + pad +
                         "\"}},\"spec\":{\"nodeName\":\"node-" + std::to_string(i % 500) +
                         "\",\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\"}]},\"status\":{\"phase\":\"Running\"}}";
      bytes += item.size();
      out << item;
    }
    out << "]}";
  }
  auto p = plugin(snap_config(file));
  size_t before = rss_kb(), peak = before;
  size_t rows = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto r = p->scan("k8s.pods", {}, {}, false, [&](std::string_view batch) { peak = std::max(peak, rss_kb()); });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  rows = r.row_count;
  EXPECT_EQ(rows, kItems);
  double mb = double(bytes) / (1 << 20);
  double growth_mb = double(peak - before) / 1024;
  std::printf("[ figures  ] %zu items, %.0f MiB List read in %.2f s (%.0f MiB/s), RSS growth %.1f MiB, max batch %.1f MiB\n",
              rows, mb, secs, mb / secs, growth_mb, double(r.max_batch_bytes) / (1 << 20));
  if (rss_meaningful()) {
    EXPECT_LT(growth_mb, 48.0) << "RSS grew by " << growth_mb << " MiB reading a " << mb << " MiB file";
  }
  EXPECT_LT(r.max_batch_bytes, size_t(5) << 20);
  std::remove(file.c_str());
}

// deploy/rbac.yaml, read as a manifest: read-only. It grants secrets (the
// default inspection profiles read k8s.secrets, and RBAC cannot grant their
// metadata alone; the file says why), but never a write verb or a wildcard.
TEST(Snapshot, RbacManifestIsReadOnly) {
  auto p = plugin(snap_config(KAPI_RBAC_YAML));
  auto roles = p->scan("k8s.clusterroles");
  ASSERT_TRUE(roles.ok) << roles.error;
  ASSERT_EQ(roles.rows.size(), 1u);
  std::set<std::string> resources, non_resource;
  for (auto& rule : roles.rows[0].as_object().at("rules").as_array()) {
    for (auto& v : rule.as_object().at("verbs").as_array())
      EXPECT_TRUE(v == "get" || v == "list" || v == "watch") << json::serialize(rule);
    if (auto* rs = rule.as_object().if_contains("resources"))
      for (auto& r : rs->as_array()) resources.insert(std::string(r.as_string()));
    if (auto* urls = rule.as_object().if_contains("nonResourceURLs"))
      for (auto& u : urls->as_array()) non_resource.insert(std::string(u.as_string()));
  }
  EXPECT_FALSE(resources.count("*"));
  // Every well-known table's resource is granted.
  auto d = p->describe();
  for (auto& t : d.as_object()["tables"].as_array()) {
    std::string name(t.as_object().at("name").as_string());
    if (t.as_object().at("arguments").as_array().size() || name == "k8s.version" ||
        name == "k8s.readyz" || name == "k8s.livez" || name == "k8s.api_resources" ||
        name == "k8s.connection")  // the kubeconfig's address: read from no API resource
      continue;
    if (name == "k8s.helm_release_objects") {  // decoded from release Secrets and Tiller ConfigMaps
      EXPECT_TRUE(resources.count("secrets") && resources.count("configmaps")) << name;
      continue;
    }
    if (name == "k8s.objects") continue;  // every resource: custom ones are opt-in (the comment in the file)
    if (name == "k8s.workloads") {  // computed from the pod template carriers
      for (const char* part : {"pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"})
        EXPECT_TRUE(resources.count(part)) << name << " needs " << part;
      continue;
    }
    if (name == "k8s.node_metrics" || name == "k8s.pod_metrics") {
      EXPECT_TRUE(resources.count(name == "k8s.node_metrics" ? "nodes" : "pods")) << name;
      continue;
    }
    if (name == "k8s.deprecated_api_requests") {  // GET /metrics
      EXPECT_TRUE(non_resource.count("/metrics")) << name << " needs nonResourceURLs /metrics in deploy/rbac.yaml";
      continue;
    }
    EXPECT_TRUE(resources.count(name.substr(4))) << name << " is not granted by deploy/rbac.yaml";
  }
  auto sa = p->scan("k8s.serviceaccounts");
  ASSERT_TRUE(sa.ok);
  ASSERT_EQ(sa.rows.size(), 1u);
  auto crb = p->scan("k8s.clusterrolebindings");
  ASSERT_TRUE(crb.ok);
  ASSERT_EQ(crb.rows.size(), 1u);
  EXPECT_EQ(str(crb.rows[0], "roleRef", "name"), str(roles.rows[0], "metadata", "name"));
}

// Projection: only the top-level columns a query reads (plus apiVersion and
// kind) are written; managedFields go unless asked for.
TEST(Snapshot, ProjectionKeepsOnlyWantedColumns) {
  auto p = plugin(snap_config(data("deployments_DeploymentList.json")));
  auto all = p->scan("k8s.deployments");
  ASSERT_TRUE(all.ok) << all.error;
  ASSERT_EQ(all.rows.size(), 2u);
  ASSERT_TRUE(all.rows[0].as_object().at("metadata").as_object().contains("managedFields"));
  ASSERT_TRUE(all.rows[0].as_object().contains("status"));

  auto proj = p->scan_paths("k8s.deployments", {"metadata.name", "spec.replicas"}, {{"metadata.namespace", "kube-system"}});
  ASSERT_TRUE(proj.ok) << proj.error;
  ASSERT_EQ(proj.rows.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& o = proj.rows[i].as_object();
    EXPECT_TRUE(o.contains("apiVersion") && o.contains("kind") && o.contains("metadata") && o.contains("spec"));
    EXPECT_FALSE(o.contains("status"));
    EXPECT_FALSE(o.at("metadata").as_object().contains("managedFields"));
    // Of metadata, what the paths and constraints read, as it was; no
    // other member (uid, labels, annotations) is copied to the host.
    const json::object& before = all.rows[i].as_object().at("metadata").as_object();
    ASSERT_TRUE(before.contains("uid") && before.contains("annotations"));
    json::object expect{{"name", before.at("name")}, {"namespace", before.at("namespace")}};
    EXPECT_EQ(o.at("metadata").as_object(), expect);
    EXPECT_EQ(o.at("spec"), all.rows[i].as_object().at("spec"));
  }
  auto mf = p->scan_paths("k8s.deployments", {"metadata.managedFields"});
  ASSERT_TRUE(mf.ok);
  EXPECT_TRUE(mf.rows[0].as_object().at("metadata").as_object().contains("managedFields"));

  // managedFields first, last or alone in metadata; items without kind.
  std::string d = temp_dir("proj");
  write_file(d + "/x.json",
             R"({"kind":"ConfigMapList","apiVersion":"v1","items":[)"
             R"({"metadata":{"managedFields":[{"manager":"a"}],"name":"first"},"data":{"k":"v"}},)"
             R"({"metadata" : { "name" : "last" , "managedFields" : [ {"manager":"b"} ] } , "data" : {"k":"v"} },)"
             R"({"data":{"k":"v"},"metadata":{"managedFields":[]}},)"
             R"({"metadata":{"name":"none"},"immutable":true}]})");
  auto p2 = plugin(snap_config(d + "/x.json"));
  auto r = p2->scan_paths("k8s.configmaps", {"metadata"});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(json::serialize(r.rows[0]), R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"first"}})");
  EXPECT_EQ(json::serialize(r.rows[1]), R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"last"}})");
  EXPECT_EQ(json::serialize(r.rows[2]), R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{}})");
  EXPECT_EQ(json::serialize(r.rows[3]), R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"none"}})");
}

// `kubectl get -A -o yaml` of a large cluster: one document, streamed item by item.
TEST(Snapshot, LargeYamlListStreamsWithBoundedMemory) {
  const size_t kItems = 20000;
  std::string d = temp_dir("large-yaml");
  std::string file = d + "/all.yaml";
  size_t bytes = 0;
  {
    std::ofstream out(file, std::ios::binary);
    out << "apiVersion: v1\nitems:\n";
    std::string pad(500, 'q');
    for (size_t i = 0; i < kItems; ++i) {
      std::string item = "- apiVersion: v1\n  kind: " + std::string(i % 2 ? "Pod" : "ConfigMap") +
                         "\n  metadata:\n    name: obj-" + std::to_string(i) + "\n    namespace: ns-" +
                         std::to_string(i % 10) + "\n    annotations:\n      pad: " + pad +
                         "\n  data:\n    script: |\n      #!/bin/sh\n      echo " + std::to_string(i) + "\n";
      bytes += item.size();
      out << item;
    }
    out << "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
  }
  auto p = plugin(snap_config(file));
  size_t before = rss_kb(), peak = before;
  auto t0 = std::chrono::steady_clock::now();
  auto r = p->scan("k8s.pods", {}, {}, false, [&](std::string_view) { peak = std::max(peak, rss_kb()); });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.row_count, kItems / 2);
  double growth_mb = double(peak - before) / 1024;
  std::printf("[ figures  ] %zu-item YAML List (%.0f MiB) read in %.2f s, RSS growth %.1f MiB\n", kItems,
              double(bytes) / (1 << 20), secs, growth_mb);
  if (rss_meaningful()) {
    EXPECT_LT(growth_mb, 32.0);
  }
  auto cms = p->scan("k8s.configmaps");
  ASSERT_TRUE(cms.ok) << cms.error;
  ASSERT_EQ(cms.rows.size(), kItems / 2);
  EXPECT_EQ(str(cms.rows[1], "data", "script"), "#!/bin/sh\necho 2\n");
}
