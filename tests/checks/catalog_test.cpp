// The check catalog: every check binds against the real table schemas, is
// documented, and has a fixture where it fires with the expected messages and
// one where it stays silent. Set KINSPECT_CHECKS_PRINT=1 to print what each
// fire case actually produced (for writing expectations).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <unistd.h>

#include "core/kcql/kube_schema.h"
#include "core/kcql/plan.h"
#include "core/profile/profile.h"
#include "harness.h"

namespace fs = std::filesystem;
using namespace checks_test;

namespace {

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> check_ids() {
  std::vector<std::string> ids;
  for (const auto& c : checks()) ids.push_back(c.id);
  return ids;
}

std::string describe(const std::vector<kcql::Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += "  - object:  " + f.object + "\n    message: " + f.message + "\n";
  return s.empty() ? "  (no findings)\n" : s;
}

bool print_mode() { return std::getenv("KINSPECT_CHECKS_PRINT") != nullptr; }

// Kubernetes kinds as findings name them (lower case), and whether objects of
// the kind live in a namespace.
const std::map<std::string, bool>& kubernetes_kinds() {
  static const std::map<std::string, bool> kinds = {
      {"pod", true}, {"deployment", true}, {"replicaset", true}, {"statefulset", true}, {"daemonset", true},
      {"job", true}, {"cronjob", true}, {"service", true}, {"endpoints", true}, {"endpointslice", true},
      {"ingress", true}, {"networkpolicy", true}, {"configmap", true}, {"secret", true},
      {"serviceaccount", true}, {"persistentvolumeclaim", true}, {"poddisruptionbudget", true},
      {"horizontalpodautoscaler", true}, {"role", true}, {"rolebinding", true}, {"lease", true},
      {"event", true}, {"resourcequota", true}, {"limitrange", true}, {"replicationcontroller", true},
      {"node", false}, {"namespace", false}, {"persistentvolume", false}, {"storageclass", false},
      {"clusterrole", false}, {"clusterrolebinding", false}, {"customresourcedefinition", false},
      {"apiservice", false}, {"validatingwebhookconfiguration", false}, {"mutatingwebhookconfiguration", false},
      {"validatingadmissionpolicy", false}, {"validatingadmissionpolicybinding", false},
      {"priorityclass", false}, {"runtimeclass", false}, {"csidriver", false}, {"csinode", false},
      {"volumeattachment", false}, {"certificatesigningrequest", false}, {"flowschema", false},
      {"prioritylevelconfiguration", false}, {"ingressclass", false},
  };
  return kinds;
}

// One reference format for every finding: "kind/namespace/name" for a
// namespaced Kubernetes object, "kind/name" for a cluster-scoped one and for
// host facts (whose names may hold '/': "iptables/ipv4/filter/INPUT/3").
// Containers, ports, reasons and nodes go in the finding's details, never in
// the object, so waivers, baselines and other tools can match objects.
std::string object_format_problem(const std::string& object) {
  if (object.find_first_of("@#") != std::string::npos) return "holds '@' or '#'";
  const size_t slash = object.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == object.size()) return "is not kind/name";
  const std::string kind = object.substr(0, slash);
  if (kind != lowercase(kind)) return "kind is not lower case";
  auto k = kubernetes_kinds().find(kind);
  if (k == kubernetes_kinds().end()) return {};
  const auto parts = std::count(object.begin(), object.end(), '/') + 1;
  if (k->second && parts != 3) return "a namespaced " + kind + " is kind/namespace/name";
  if (!k->second && parts != 2) return "a cluster-scoped " + kind + " is kind/name";
  return {};
}

}  // namespace

// Binding checks the paths into Kubernetes objects against the kinds' fields
// (schemas/kubernetes.json), so this also finds a misspelt field.
TEST(Catalog, EveryCheckBindsAgainstThePluginSchemas) {
  ASSERT_FALSE(checks().empty());
  std::string why;
  ASSERT_NE(kcql::default_kube_schema(&why), nullptr) << why;
  auto diags = kcql::lint_checks(checks(), registry());
  std::string all;
  for (const auto& d : diags) all += d.format() + "\n";
  EXPECT_TRUE(diags.empty()) << all;
}

// The kube-apiserver driver names the kind of each well-known table, the
// schema has every such kind, and the table's columns are fields of the kind
// (the binder follows paths from them). Generic tables name none.
TEST(Catalog, KubernetesTablesNameKindsTheSchemaHas) {
  std::string why;
  const kcql::KubeSchema* schema = kcql::default_kube_schema(&why);
  ASSERT_NE(schema, nullptr) << why;
  const kinspect::TableSchema* pods = registry().find("k8s.pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->row_kind, "v1/Pod");
  ASSERT_NE(registry().find("k8s.deployments"), nullptr);
  EXPECT_EQ(registry().find("k8s.deployments")->row_kind, "apps/v1/Deployment");
  ASSERT_NE(registry().find("k8s.resource"), nullptr);
  EXPECT_EQ(registry().find("k8s.resource")->row_kind, "");
  size_t kinds = 0;
  for (const auto& name : registry().names()) {
    const kinspect::TableSchema* t = registry().find(name);
    if (!t || t->row_kind.empty()) continue;
    ++kinds;
    const std::string type = schema->kind_type(t->row_kind);
    ASSERT_FALSE(type.empty()) << name << ": the schema has no kind " << t->row_kind;
    const auto* fields = schema->fields(type);
    ASSERT_NE(fields, nullptr) << type;
    for (const auto& c : t->columns) EXPECT_TRUE(fields->count(c.name)) << name << "." << c.name << " is no field of " << type;
  }
  EXPECT_GE(kinds, 40u);
}

// No catalog check has a lint warning. A nested-loop join of two tables
// costs the product of their sizes: 20,000
// Services joined to themselves that way stop at the row budget. Every
// catalog check's joins must be hashed (or use the network index).
TEST(Catalog, NoCheckJoinsTwoTablesByNestedLoop) {
  ASSERT_FALSE(checks().empty());
  std::vector<kinspect::Diagnostic> warnings;
  auto diags = kcql::lint_checks(checks(), registry(), &warnings);
  ASSERT_TRUE(diags.empty()) << diags.front().format();
  std::string all;
  for (const auto& w : warnings) all += kcql::format_warning(w) + "\n";
  EXPECT_TRUE(warnings.empty()) << all;
  // CROSS JOIN tells lint a cross product is meant: where it stays one
  // (no hash key), only with tables that have one row (per cluster, or per
  // inspected host).
  const std::set<std::string> one_row = {"k8s.version", "node.host", "node.file"};
  for (const auto& c : checks()) {
    auto bound = kcql::bind_check(c, registry());
    ASSERT_TRUE(bound.ok()) << bound.error().format();
    const auto& sources = bound->plan.impl().root.sources;
    const auto& from = c.query.select->from;
    ASSERT_EQ(sources.size(), from.size()) << c.id;
    for (size_t i = 0; i < from.size(); ++i) {
      if (!from[i].cross_keyword || !sources[i].build_keys.empty() || sources[i].network_build) continue;
      EXPECT_TRUE(one_row.count(from[i].table)) << c.file << ":" << from[i].pos.line << ": check " << c.id
                                                << " CROSS JOINs " << from[i].table << ", which may have many rows";
    }
  }
}

TEST(Catalog, CoversEveryCategoryWithAtLeast80Checks) {
  std::map<std::string, int> per_category;
  for (const auto& c : checks()) ++per_category[c.category];
  EXPECT_GE(checks().size(), 80u);
  for (const char* cat : {"nodes", "control-plane", "addons", "network", "workloads", "storage", "security", "upgrade"})
    EXPECT_GT(per_category[cat], 0) << "no check in category " << cat;
}

TEST(Catalog, EveryCheckIsDocumented) {
  for (const auto& c : checks()) {
    SCOPED_TRACE(c.id + " (" + c.file + ":" + std::to_string(c.pos.line) + ")");
    EXPECT_FALSE(c.title.empty());
    EXPECT_FALSE(c.component.empty()) << "COMPONENT groups findings in reports";
    EXPECT_FALSE(c.remedy.empty()) << "REMEDY tells the operator what to do";
    EXPECT_EQ(c.doc_url.rfind("https://", 0), 0u) << "DOC must link to the concept's documentation";
    EXPECT_FALSE(c.object.empty()) << "OBJECT names what is wrong";
    EXPECT_FALSE(c.message.empty());
    EXPECT_EQ(c.remedy.find('{'), std::string::npos) << "REMEDY is not a template; write <name> instead of {placeholders}";
    // The file is named after the category, or <category>-<part> when a
    // category spans files (upgrade-target.kcql next to upgrade.kcql).
    std::string stem = fs::path(c.file).stem().string();
    EXPECT_TRUE(stem == c.category || stem.rfind(c.category + "-", 0) == 0) << stem << " vs " << c.category;
  }
}

TEST(Catalog, EveryCheckHasFireAndSilentFixtures) {
  std::set<std::string> ids;
  for (const auto& c : checks()) {
    ids.insert(c.id);
    if (!has_fixture(c.id)) {
      ADD_FAILURE() << "check " << c.id << " has no fixture tests/data/checks/" << c.id << ".yaml";
      continue;
    }
    try {
      Fixture f = load_fixture(c.id);
      EXPECT_FALSE(f.fire.empty()) << c.id << ": no fire case";
      EXPECT_FALSE(f.silent.empty()) << c.id << ": no silent case";
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  for (const auto& e : fs::directory_iterator(data_dir())) {
    std::string stem = e.path().stem().string();
    if (e.path().extension() == ".yaml" && stem[0] != '_') {
      EXPECT_TRUE(ids.count(stem)) << "fixture for unknown check " << stem;
    }
  }
}

class CheckFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckFixture, FiresWithTheExpectedMessagesAndStaysSilent) {
  const std::string id = GetParam();
  const kcql::CheckDef* check = find_check(id);
  ASSERT_NE(check, nullptr);
  if (!has_fixture(id)) GTEST_SKIP() << "no fixture (reported by EveryCheckHasFireAndSilentFixtures)";
  Fixture f;
  try {
    f = load_fixture(id);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  for (const auto& c : f.fire) {
    SCOPED_TRACE(f.file + " " + c.label);
    auto got = run_check(*check, c.tables, c.params);
    ASSERT_TRUE(got.ok()) << got.error().format();
    if (print_mode()) std::cout << id << " " << c.label << ":\n" << describe(*got);
    std::vector<std::string> messages, objects;
    for (const auto& fd : *got) {
      messages.push_back(fd.message);
      objects.push_back(fd.object);
    }
    auto want = c.expect;
    std::sort(messages.begin(), messages.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(messages, want) << "findings:\n" << describe(*got);
    if (c.check_objects) {
      auto want_objects = c.objects;
      std::sort(objects.begin(), objects.end());
      std::sort(want_objects.begin(), want_objects.end());
      EXPECT_EQ(objects, want_objects);
    }
    std::set<std::string> identities;  // what baselines and waivers tell findings apart by
    for (const auto& fd : *got) {
      EXPECT_TRUE(identities.insert(fd.object + "\n" + fd.message).second)
          << "two findings with the same object and message: " << fd.object << ": " << fd.message;
      EXPECT_EQ(fd.object.find("<none>"), std::string::npos) << "object with a missing value: " << fd.object;
      EXPECT_EQ(object_format_problem(fd.object), "") << "object " << fd.object;
      EXPECT_EQ(fd.message.find("<none>"), std::string::npos) << "message with a missing value: " << fd.message;
    }
  }
  for (const auto& c : f.silent) {
    SCOPED_TRACE(f.file + " " + c.label);
    auto got = run_check(*check, c.tables, c.params);
    ASSERT_TRUE(got.ok()) << got.error().format();
    EXPECT_TRUE(got->empty()) << "expected no finding, got:\n" << describe(*got);
  }
}

INSTANTIATE_TEST_SUITE_P(Checks, CheckFixture, ::testing::ValuesIn(check_ids()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(Catalog, HealthyClusterIsSilent) {
  // Without a target version and with the cluster's own version as target
  // (nothing to upgrade): no check finds anything.
  for (const kcql::Params& params : {kcql::Params{}, kcql::Params{{"target_version", "v1.29.4"}}}) {
    for (const auto& c : checks()) {
      auto got = run_check(c, healthy(), params);
      ASSERT_TRUE(got.ok()) << c.id << ": " << got.error().format();
      EXPECT_TRUE(got->empty()) << c.id << " fires on the healthy cluster:\n" << describe(*got);
    }
  }
}

TEST(Catalog, NoCheckErrorsOnAnyFixture) {
  auto fixtures = all_fixture_tables();
  size_t runs = 0;
  for (const kcql::Params& base : {kcql::Params{}, kcql::Params{{"target_version", "v1.31.0"}}}) {
    for (const auto& c : checks()) {
      kcql::Params params;
      for (const auto& p : c.params)
        if (base.count(p.name)) params[p.name] = base.at(p.name);
      auto bound = kcql::bind_check(c, registry(), params);
      ASSERT_TRUE(bound.ok()) << c.id << ": " << bound.error().format();
      kcql::ExecOptions o;
      o.now = kNow;
      for (const auto& [name, tables] : fixtures) {
        FixtureProvider provider(tables);
        auto got = kcql::run_check(*bound, provider, o);
        EXPECT_TRUE(got.ok()) << c.id << " on " << name << ": " << got.error().format();
        ++runs;
      }
    }
  }
  EXPECT_GT(runs, 1000u);
}

TEST(Catalog, RunsOverTheExampleClusterSnapshot) {
  // examples/cluster (the lead's generated snapshot): no check errors, and the
  // planted problems (examples/cluster/README.md) are found. now() is the
  // snapshot's creation time.
  std::string dir = source_dir() + "/examples/cluster";
  if (!fs::exists(dir + "/manifest.json")) GTEST_SKIP() << "examples/cluster is not there yet";
  std::ifstream in(dir + "/manifest.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto manifest = json::parse(text);
  double now = epoch_of(std::string(manifest.at("created").as_string()));
  ASSERT_GT(now, 0);
  // The snapshot reader turns extra JSON files (examples/cluster/planted.json,
  // an object without kind) into a phantom row of every table missing from the
  // manifest; read a copy with the manifest's files only.
  fs::path copy = fs::temp_directory_path() / ("kinspect-example-" + std::to_string(::getpid()));
  fs::create_directories(copy);
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != "planted.json" && e.path().extension() != ".md") fs::copy(e.path(), copy / e.path().filename());
  auto reg = snapshot_registry(copy.string());
  std::map<std::string, size_t> per_check;
  for (const auto& c : checks()) {
    kcql::Params params;
    for (const auto& p : c.params)
      if (p.name == "target_version") params[p.name] = "v1.29.4";
    auto got = run_check(c, *reg, params, now);
    EXPECT_TRUE(got.ok()) << c.id << ": " << got.error().format();
    if (!got.ok()) continue;
    per_check[c.id] = got->size();
    if (print_mode() && !got->empty()) std::cout << c.id << ":\n" << describe(*got);
  }
  // The planted problems.
  EXPECT_EQ(per_check["node-status-unknown"] + per_check["node-not-ready"], 1u);
  EXPECT_EQ(per_check["kube-proxy-pod-not-ready-control-plane"], 1u);
  EXPECT_EQ(per_check["kube-proxy-pod-not-ready-workers"], 1u);
  EXPECT_EQ(per_check["addon-daemonset-incomplete"], 3u);
  EXPECT_EQ(per_check["validating-webhook-no-endpoints"], 1u);
  EXPECT_EQ(per_check["pod-crashloop"], 1u);
  EXPECT_EQ(per_check["pvc-pending"], 1u);
  // The cloud's (tests/data/cloud/aws describes this cluster on EC2; SOURCES.md).
  EXPECT_EQ(per_check["cloud-node-instance-not-running"], 1u);
  EXPECT_EQ(per_check["cloud-node-instance-type-unsupported"], 1u);
  EXPECT_EQ(per_check["cloud-node-not-allowed-to-apiserver"], 1u);
  EXPECT_EQ(per_check["cloud-sg-kubelet-closed-to-control-plane"], 1u);
  EXPECT_EQ(per_check["cloud-sg-cni-port-closed-between-nodes"], 8u) << "worker-5 to and from each of the other seven";
  EXPECT_EQ(per_check["cloud-pod-cidr-route-missing"], 1u);
  EXPECT_EQ(per_check["cloud-apiserver-lb-backend-unhealthy"], 1u);
  for (const char* id : {"cloud-node-instance-missing", "cloud-node-vpc-missing", "cloud-node-subnet-missing",
                         "cloud-apiserver-lb-not-active", "cloud-apiserver-lb-listener-missing", "cloud-vpc-overlaps-pod-cidr",
                         "cloud-vpc-overlaps-service-cidr", "cloud-apiserver-lb-control-plane-missing"})
    EXPECT_EQ(per_check[id], 0u) << id;
  // The healthy claims, budgets and the classes they use trip nothing.
  for (const char* id : {"pvc-lost", "pvc-storageclass-missing", "pod-pvc-missing", "storageclass-no-default",
                         "storageclass-multiple-defaults", "upgrade-pdb-blocks-drain", "pdb-selects-nothing", "volume-mount-failing",
                         "pod-sandbox-creation-failing"})
    EXPECT_EQ(per_check[id], 0u) << id;
  fs::remove_all(copy);
}

// ---------------------------------------------------------------- profiles

namespace {

std::vector<kinspect::CheckInfo> check_infos() {
  std::vector<kinspect::CheckInfo> v;
  for (const auto& c : checks()) {
    kinspect::CheckInfo i{c.id, c.category, c.tags, {}};
    for (const auto& p : c.params) i.params.push_back(p.name);
    v.push_back(std::move(i));
  }
  return v;
}

std::string selected(const kinspect::ProfileSet& set, const char* version, std::vector<std::string> types, const char* scenario) {
  kinspect::ProfileTarget t;
  t.version = kinspect::KubeVersion::parse(version);
  t.types = std::move(types);
  t.scenario = scenario;
  auto m = set.select(t);
  return m.ok() ? m->profile->name : "error: " + m.error().message();
}

std::set<std::string> ids_of(const kinspect::ProfileSet& set, const std::string& profile) {
  std::set<std::string> ids;
  auto infos = check_infos();
  const auto* p = set.find(profile);
  if (!p) return ids;
  for (const auto* c : kinspect::ProfileSet::select_checks(*p, infos)) ids.insert(c->id);
  return ids;
}

}  // namespace

TEST(ShippedProfiles, LoadAndValidateAgainstTheChecks) {
  auto set = kinspect::ProfileSet::load({source_dir() + "/profiles"});
  ASSERT_TRUE(set.ok()) << set.error().format();
  auto st = set->validate(check_infos());
  EXPECT_TRUE(st.ok()) << st.error().format();
}

TEST(ShippedProfiles, SelectionByTypeVersionAndScenario) {
  auto set = kinspect::ProfileSet::load({source_dir() + "/profiles"});
  ASSERT_TRUE(set.ok()) << set.error().format();
  EXPECT_EQ(selected(*set, "v1.30.2", {"self-hosted"}, "inspection"), "self-hosted-inspection");
  EXPECT_EQ(selected(*set, "v1.26.9", {"self-hosted"}, "inspection"), "self-hosted-inspection-pre-1.28");
  EXPECT_EQ(selected(*set, "v1.30.2-eks-1", {"managed"}, "inspection"), "managed-inspection");
  EXPECT_EQ(selected(*set, "v1.27.3-gke.100", {"managed"}, "inspection"), "managed-inspection-pre-1.28");
  EXPECT_EQ(selected(*set, "v1.30.2", {"serverless"}, "inspection"), "serverless-inspection");
  EXPECT_EQ(selected(*set, "v1.30.2", {"self-hosted"}, "pre-upgrade"), "self-hosted-pre-upgrade");
  EXPECT_EQ(selected(*set, "v1.30.2", {"managed"}, "pre-upgrade"), "managed-pre-upgrade");
  EXPECT_EQ(selected(*set, "v1.30.2", {"serverless"}, "pre-upgrade"), "serverless-pre-upgrade");
  EXPECT_EQ(selected(*set, "v1.31.0", {"self-hosted"}, "post-upgrade"), "self-hosted-post-upgrade");
  EXPECT_EQ(selected(*set, "v1.31.0", {"managed"}, "post-upgrade"), "managed-post-upgrade");
  EXPECT_EQ(selected(*set, "v1.31.0", {"serverless"}, "post-upgrade"), "serverless-post-upgrade");
  // Unknown type (a directory of manifests, no nodes): the scenario's fallback.
  for (const char* scenario : {"inspection", "pre-upgrade", "post-upgrade"}) {
    kinspect::ProfileTarget t;
    t.scenario = scenario;
    auto m = set->select(t);
    ASSERT_TRUE(m.ok()) << scenario << ": " << m.error().message();
    EXPECT_EQ(m->profile->name, std::string("default-") + scenario);
  }
}

TEST(ShippedProfiles, ManagedClustersSkipControlPlaneStaticPods) {
  auto set = kinspect::ProfileSet::load({source_dir() + "/profiles"});
  ASSERT_TRUE(set.ok()) << set.error().format();
  auto self_hosted = ids_of(*set, "self-hosted-inspection");
  auto managed = ids_of(*set, "managed-inspection");
  EXPECT_TRUE(self_hosted.count("control-plane-etcd-pod-not-ready"));
  EXPECT_TRUE(self_hosted.count("node-not-ready"));
  EXPECT_FALSE(managed.count("control-plane-etcd-pod-not-ready"));
  EXPECT_FALSE(managed.count("kubernetes-service-endpoints-short"));
  EXPECT_TRUE(managed.count("node-not-ready"));
  EXPECT_TRUE(managed.count("coredns-unavailable"));
  // Inspection does not run upgrade checks; pre-upgrade runs them with the
  // health checks that block an upgrade.
  EXPECT_FALSE(self_hosted.count("removed-api"));
  auto pre = ids_of(*set, "self-hosted-pre-upgrade");
  for (const char* id : {"removed-api", "upgrade-pdb-blocks-drain", "node-not-ready", "csr-pending",
                         "validating-webhook-no-endpoints", "upgrade-kubelet-skew-after-upgrade"})
    EXPECT_TRUE(pre.count(id)) << id;
  EXPECT_FALSE(pre.count("post-upgrade-node-version"));
  auto post = ids_of(*set, "self-hosted-post-upgrade");
  EXPECT_TRUE(post.count("post-upgrade-node-version"));
  EXPECT_TRUE(post.count("post-upgrade-daemonset-not-rolled-out"));
  EXPECT_FALSE(post.count("removed-api"));
}

TEST(ShippedProfiles, KubeletSkewFollowsThePolicyOfTheVersion) {
  auto set = kinspect::ProfileSet::load({source_dir() + "/profiles"});
  ASSERT_TRUE(set.ok()) << set.error().format();
  for (const char* name : {"self-hosted-inspection-pre-1.28", "managed-inspection-pre-1.28"}) {
    const auto* p = set->find(name);
    ASSERT_NE(p, nullptr) << name;
    const auto* v = kinspect::ProfileSet::param_override(*p, "node-kubelet-version-skew", "max_kubelet_skew");
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ(v->to_number<int64_t>(), 2) << name;
  }
  const auto* p = set->find("self-hosted-inspection");
  ASSERT_NE(p, nullptr);
  const auto* v = kinspect::ProfileSet::param_override(*p, "node-kubelet-version-skew", "max_kubelet_skew");
  // From base: 3 since 1.28.
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->to_number<int64_t>(), 3);
}

TEST(Catalog, DocsListEveryCheck) {
  std::ifstream in(source_dir() + "/docs/checks.md");
  ASSERT_TRUE(in) << "docs/checks.md is missing; run python3 tests/checks/gen_checks_doc.py";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& c : checks())
    EXPECT_NE(doc.find("| `" + c.id + "` |"), std::string::npos)
        << c.id << " is not in docs/checks.md; run python3 tests/checks/gen_checks_doc.py";
}
