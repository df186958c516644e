// Lint that knows Kubernetes (issue 18): a check's path into the rows of a
// table whose driver names their kind is checked against the kind's fields
// (schemas/kubernetes.json); a field the kind does not have is an error with
// the closest field as a hint. Maps (labels, annotations) take any key; tables
// of no kind (k8s.resource(...), host facts) are not checked.
#include <gtest/gtest.h>

#include "core/kcql/check.h"
#include "core/kcql/kube_schema.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

// The fixture tables, plus k8s.pods and k8s.deployments shaped as the
// kube-apiserver driver declares them: the object's top-level fields as
// columns, and its kind.
FixtureCatalog kube_catalog() {
  FixtureCatalog catalog;
  auto object_table = [&](const std::string& name, const std::string& kind) {
    TableSchema t;
    t.name = name;
    for (const char* c : {"apiVersion", "kind"}) t.columns.push_back({c, ColumnType::Text, "", false});
    for (const char* c : {"metadata", "spec", "status"}) t.columns.push_back({c, ColumnType::Json, "", false});
    t.plugin = "fixtures";
    t.row_kind = kind;
    catalog.add(std::move(t));
  };
  object_table("k8s.pods", "v1/Pod");
  object_table("k8s.deployments", "apps/v1/Deployment");
  return catalog;
}

std::vector<Diagnostic> lint_where(const std::string& from, const std::string& where) {
  const std::string text = "CHECK c\n  TITLE \"t\"\n  CATEGORY workloads\n  SEVERITY info\n  FROM " + from +
                           "\n  WHERE " + where + "\n  MESSAGE \"x\"\n";
  auto checks = parse_checks(text, "kube.kcql");
  EXPECT_TRUE(checks.ok()) << checks.error().format();
  if (!checks.ok()) return {};
  return lint_checks(*checks, kube_catalog());
}

std::string all(const std::vector<Diagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) s += d.format() + "\n";
  return s;
}

class KubeFields : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problem;
    if (!default_kube_schema(&problem)) FAIL() << problem;
  }
};

}  // namespace

TEST_F(KubeFields, AMisspeltMetadataFieldIsAnErrorWithDidYouMean) {
  auto ds = lint_where("k8s.pods p", "p.metadata.lables['app'] = 'x'");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].message, "unknown field 'metadata.lables' in a Pod (v1/Pod)");
  EXPECT_EQ(ds[0].hint, "did you mean metadata.labels?");
  EXPECT_EQ(ds[0].file, "kube.kcql");
  EXPECT_EQ(ds[0].pos.line, 6u);
  EXPECT_EQ(ds[0].pos.column, 20u);  // `lables`
  EXPECT_NE(ds[0].format().find("kube.kcql:6:20: error: unknown field 'metadata.lables'"), std::string::npos)
      << ds[0].format();
}

TEST_F(KubeFields, DeepFieldsThroughArraysAreChecked) {
  auto ds = lint_where("k8s.pods p", "p.spec.containers[*].imagee = 'x'");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].message, "unknown field 'spec.containers[].imagee' in a Pod (v1/Pod)");
  EXPECT_EQ(ds[0].hint, "did you mean spec.containers[].image?");
  ds = lint_where("k8s.deployments d", "d.spec.template.spec.securityContext.runAsNonRot");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].hint, "did you mean spec.template.spec.securityContext.runAsNonRoot?");
  // A field with nothing close says where to look.
  ds = lint_where("k8s.pods p", "p.status.zzzzzzzzzzzz = 1");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].hint, "`kubectl explain pod.status` lists the fields there");
}

TEST_F(KubeFields, FieldsAnArrayFilterTestsAreChecked) {
  auto ds = lint_where("k8s.pods p", "p.spec.containers[imagee = 'x'].name IS NOT NULL");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].message, "unknown field 'spec.containers[].imagee' in a Pod (v1/Pod)");
  EXPECT_EQ(ds[0].hint, "did you mean spec.containers[].image?");
  EXPECT_EQ(ds[0].pos.column, 27u);  // `imagee`
  // Nested filters, and an outer alias inside a filter, which is the row's.
  ds = lint_where("k8s.pods p", "p.spec.containers[ports[containerPortt = 80]].name IS NOT NULL");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].hint, "did you mean spec.containers[].ports[].containerPort?");
  EXPECT_TRUE(lint_where("k8s.pods p", "p.status.conditions[type = 'Ready' AND status = 'False'].reason IS NULL AND "
                                       "p.spec.containers[name = p.metadata.name].image = 'x'")
                  .empty());
}

TEST_F(KubeFields, FieldsOfAnUnnestedElementAreChecked) {
  auto ds = lint_where("k8s.pods p, UNNEST(p.spec.containers) c", "c.securityContext.runAsNonRot = false");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].message, "unknown field 'spec.containers[].securityContext.runAsNonRot' in a Pod (v1/Pod)");
  EXPECT_EQ(ds[0].hint, "did you mean spec.containers[].securityContext.runAsNonRoot?");
  EXPECT_EQ(ds[0].pos.line, 6u);
  EXPECT_EQ(ds[0].pos.column, 27u);
  // Elements of elements, and the element's well-spelt fields.
  ds = lint_where("k8s.pods p, UNNEST(p.spec.containers) c, UNNEST(c.ports) cp", "cp.containerPortt = 80");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].hint, "did you mean spec.containers[].ports[].containerPort?");
  EXPECT_TRUE(lint_where("k8s.pods p, UNNEST(p.spec.containers) c, UNNEST(c.ports) cp",
                         "cp.containerPort = 80 AND c.securityContext.runAsNonRoot = false")
                  .empty());
}

TEST_F(KubeFields, WellSpeltPathsAndMapKeysAreNotErrors) {
  EXPECT_TRUE(lint_where("k8s.pods p", "p.metadata.labels['app'] = 'x' AND p.metadata.labels.lables = 'y'").empty());
  EXPECT_TRUE(lint_where("k8s.pods p", "p.metadata.annotations['kubernetes.io/anything'] IS NOT NULL").empty());
  EXPECT_TRUE(lint_where("k8s.pods p", "p.spec.nodeSelector['kubernetes.io/os'] = 'linux'").empty());
  EXPECT_TRUE(lint_where("k8s.pods p", "p.spec.containers[0].resources.limits.memory IS NULL").empty());
  EXPECT_TRUE(lint_where("k8s.pods p", "p.status.containerStatuses[*].state.waiting.reason = 'x'").empty());
  // An unqualified column of the only table is checked too.
  auto ds = lint_where("k8s.pods", "metadata.lables IS NULL");
  ASSERT_EQ(ds.size(), 1u) << all(ds);
  EXPECT_EQ(ds[0].hint, "did you mean metadata.labels?");
}

TEST_F(KubeFields, TablesOfNoKindAreNotChecked) {
  // The fixture k8s.nodes has no row_kind, as a generic k8s.resource(...) or a
  // discovered table has none: anything below its columns may be there.
  EXPECT_TRUE(lint_where("k8s.nodes n", "n.metadata.lables IS NULL").empty());
  EXPECT_TRUE(lint_where("node.file('/etc/x') f", "f.content = 'x'").empty());
}

TEST(KubeSchemaData, TheShippedFileParsesAndNamesItsSource) {
  auto s = KubeSchema::load(std::string(KINSPECT_SOURCE_DIR) + "/schemas/kubernetes.json");
  ASSERT_TRUE(s.ok()) << s.error().format();
  EXPECT_EQ(s->package().rfind("@kubernetes/client-node@", 0), 0u) << s->package();
  EXPECT_EQ(s->kubernetes().rfind("release-1.", 0), 0u) << s->kubernetes();
  EXPECT_EQ(s->license(), "Apache-2.0");
  EXPECT_GT(s->type_count(), 500u);
  EXPECT_EQ(s->kind_type("v1/Pod"), "V1Pod");
  EXPECT_EQ(s->kind_type("apps/v1/Deployment"), "V1Deployment");
  ASSERT_NE(s->fields("V1ObjectMeta"), nullptr);
  EXPECT_EQ(s->fields("V1ObjectMeta")->at("labels"), "{string");
  EXPECT_EQ(s->fields("V1PodSpec")->at("containers"), "[V1Container");
}

TEST(KubeSchemaData, ABrokenFileIsAnErrorNamingIt) {
  auto s = KubeSchema::parse("{\"source\":{}}", "bad.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().format().find("bad.json"), std::string::npos) << s.error().format();
  s = KubeSchema::parse(R"({"source":{"package":"p","kubernetes":"k"},"kinds":{"v1/X":"X"},"types":{"X":{"a":"Y"}}})",
                        "dangling.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().format().find("types.X.a names no known type"), std::string::npos) << s.error().format();
  s = KubeSchema::parse("{not json", "garbled.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().format().find("garbled.json"), std::string::npos);
}

}  // namespace kinspect::kcql::test
