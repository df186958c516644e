// The knowledge plugin through the core's registry: its tables, the embedded
// Pluto data and the skew policy.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

using namespace checks_test;

namespace {

std::vector<json::value> rows(const std::string& table) {
  kinspect::ScanSpec spec;
  spec.table = table;
  auto data = registry().fetch(spec);
  EXPECT_TRUE(data.ok()) << (data.ok() ? "" : data.error().format());
  if (!data.ok()) return {};
  std::vector<json::value> out;
  for (kinspect::packed::Ref r : (*data)->rows) out.push_back(kinspect::packed::to_json(r));
  return out;
}

const json::object* find_row(const std::vector<json::value>& rs, const std::string& api, const std::string& kind) {
  for (const auto& r : rs) {
    const auto& o = r.as_object();
    if (o.at("api_version").as_string() == api && o.at("kind").as_string() == kind) return &o;
  }
  return nullptr;
}

}  // namespace

TEST(Knowledge, DeclaresItsTables) {
  const auto* t = registry().find("k8s.deprecated_apis");
  ASSERT_NE(t, nullptr);
  for (const char* col : {"api_version", "group_version", "group", "version", "kind", "deprecated_in", "removed_in",
                          "removed_minor", "replacement_api", "component", "source"})
    EXPECT_NE(t->column(col), nullptr) << col;
  EXPECT_EQ(t->column("removed_minor")->type, kinspect::ColumnType::Integer);
  ASSERT_NE(registry().find("k8s.skew_policy"), nullptr);
}

TEST(Knowledge, ServesThePlutoTable) {
  auto rs = rows("k8s.deprecated_apis");
  EXPECT_GE(rs.size(), 100u);
  const auto* d = find_row(rs, "extensions/v1beta1", "Deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->at("group").as_string(), "extensions");
  EXPECT_EQ(d->at("version").as_string(), "v1beta1");
  EXPECT_EQ(d->at("removed_in").as_string(), "v1.16.0");
  EXPECT_EQ(d->at("removed_minor").as_int64(), 16);
  EXPECT_EQ(d->at("deprecated_minor").as_int64(), 9);
  EXPECT_EQ(d->at("replacement_api").as_string(), "apps/v1");
  EXPECT_EQ(d->at("component").as_string(), "k8s");
  EXPECT_NE(std::string(d->at("source").as_string()).find("FairwindsOps/pluto"), std::string::npos);
  const auto* psp = find_row(rs, "policy/v1beta1", "PodSecurityPolicy");
  ASSERT_NE(psp, nullptr);
  EXPECT_EQ(psp->at("removed_minor").as_int64(), 25);
  // Deprecated but not removed yet: removed_minor is NULL.
  const auto* vac = find_row(rs, "storage.k8s.io/v1beta1", "VolumeAttributesClass");
  ASSERT_NE(vac, nullptr);
  EXPECT_TRUE(vac->at("removed_minor").is_null());
  EXPECT_EQ(vac->at("removed_in").as_string(), "");
}

TEST(Knowledge, QueryableWithKcql) {
  auto q = kcql::parse_query("SELECT d.kind, d.replacement_api FROM k8s.deprecated_apis d "
                             "WHERE d.api_version = 'policy/v1beta1' AND d.removed_minor <= 25 ORDER BY d.kind");
  ASSERT_TRUE(q.ok());
  auto plan = kcql::bind_query(*q, registry());
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  auto rs = kcql::execute(*plan, registry());
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  std::vector<std::string> kinds;
  for (const auto& r : rs->rows) kinds.emplace_back(r.at(0).as_string());
  EXPECT_EQ(kinds, (std::vector<std::string>{"PodDisruptionBudget", "PodDisruptionBudgetList", "PodSecurityPolicy"}));
}

TEST(Knowledge, SkewPolicyChangedIn128) {
  auto rs = rows("k8s.skew_policy");
  std::map<int64_t, int64_t> kubelet;
  for (const auto& r : rs) kubelet[r.at("minor").as_int64()] = r.at("max_kubelet_skew").as_int64();
  EXPECT_EQ(kubelet.at(27), 2);
  EXPECT_EQ(kubelet.at(28), 3);
  EXPECT_EQ(kubelet.at(31), 3);
  EXPECT_EQ(kubelet.at(12), 2);
}

TEST(Knowledge, ServesTheUpgradeDataTables) {
  // Every data-file table says where each row comes from and when it was read.
  for (const char* table : {"k8s.skew_rules", "k8s.removed_feature_gates", "k8s.removed_kubelet_flags",
                            "k8s.kube_proxy_modes", "k8s.component_minimums"}) {
    SCOPED_TRACE(table);
    auto rs = rows(table);
    ASSERT_FALSE(rs.empty());
    for (const auto& r : rs) {
      EXPECT_NE(std::string(r.at("source").as_string()).find("https://"), std::string::npos);
      EXPECT_EQ(r.at("retrieved").as_string().size(), 10u);
    }
  }
  std::map<std::string, int64_t> removed;
  for (const auto& r : rows("k8s.removed_feature_gates"))
    removed[std::string(r.at("gate").as_string())] = r.at("removed_in_minor").as_int64();
  EXPECT_EQ(removed.at("DynamicKubeletConfig"), 26);
  EXPECT_EQ(removed.at("AppArmor"), 33);
  EXPECT_EQ(removed.at("ServerSideApply"), 32);
  for (const auto& r : rows("k8s.kube_proxy_modes"))
    if (r.at("mode").as_string() == "ipvs") {
      EXPECT_TRUE(r.at("removed_in_minor").is_null());
    }
}
