// Pre-upgrade over real manifests that use removed API versions (from
// kube-no-trouble and Pluto, tests/data/checks/manifests/removed-apis, see
// tests/data/checks/SOURCES.md), read by the kube-apiserver snapshot reader:
// every object is listed with the API it must move to.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>

#include "harness.h"

using namespace checks_test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> removed_api_messages(kinspect::TableProvider& provider, const std::string& target) {
  std::vector<std::string> out;
  for (const auto& c : checks()) {
    if (c.id.rfind("removed-api", 0) != 0 || c.id == "removed-api-served") continue;
    auto got = run_check(c, provider, {{"target_version", json::value(target)}});
    EXPECT_TRUE(got.ok()) << c.id << ": " << got.error().format();
    if (!got.ok()) continue;
    for (const auto& f : *got) out.push_back(f.message);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(PreUpgrade, ManifestsUsingRemovedApisListEachObjectWithItsReplacement) {
  auto reg = snapshot_registry(data_dir() + "/manifests/removed-apis");
  auto got = removed_api_messages(*reg, "v1.29.0");
  std::vector<std::string> want = {
#include "upgrade_expected.inc"
  };
  std::sort(want.begin(), want.end());
  if (got != want)
    for (const auto& m : got) std::cout << "    \"" << m << "\",\n";
  EXPECT_EQ(got, want);
}

TEST(PreUpgrade, OnlyRemovalsUpToTheTargetCount) {
  auto reg = snapshot_registry(data_dir() + "/manifests/removed-apis");
  // Up to 1.21 nothing of these manifests but the 1.16 removals is gone.
  auto got = removed_api_messages(*reg, "v1.21.0");
  ASSERT_FALSE(got.empty());
  for (const auto& m : got) EXPECT_NE(m.find("Kubernetes v1.16.0 removed"), std::string::npos) << m;
  // Without a target, nothing.
  EXPECT_TRUE(removed_api_messages(*reg, "").empty());
}

TEST(PreUpgrade, LastAppliedConfigurationOfLiveObjects) {
  // A live Deployment is served as apps/v1, but kubectl last applied it as
  // extensions/v1beta1: re-applying that manifest fails after the upgrade.
  Tables t;
  t["k8s.deployments"].push_back(json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"legacy","namespace":"shop","annotations":{"kubectl.kubernetes.io/last-applied-configuration":
    "{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"legacy\"}}\n"}}})"));
  const auto* c = find_check("removed-api");
  ASSERT_NE(c, nullptr);
  auto got = run_check(*c, t, {{"target_version", "1.31"}});
  ASSERT_TRUE(got.ok()) << got.error().format();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->at(0).object, "deployment/shop/legacy");
  EXPECT_EQ(got->at(0).message,
            "Deployment shop/legacy was last applied (kubectl.kubernetes.io/last-applied-configuration) as "
            "extensions/v1beta1 (live object), which Kubernetes v1.16.0 removed: move it to apps/v1 before upgrading "
            "to 1.31");
}

// Issue 20: the real manifests of tests/data/checks/manifests/removed-apis
// (kube-no-trouble's and Pluto's test files, tests/data/checks/SOURCES.md),
// each object flagged with the severity Pluto's versions.yaml gives it for
// each target: removed by the target critical (removed-api), deprecated by
// it warning (deprecated-api), deprecated later info (deprecated-api-later).
// The expected counts come from the manifests and Pluto's data, read here
// with yaml-cpp, not from the driver under test.
namespace {

struct PlutoRow {
  int deprecated = -1, removed = -1;  // Kubernetes minors, -1 if none
};

int minor_of(const std::string& v) {  // "v1.16.0" -> 16
  size_t dot = v.find('.');
  return dot == std::string::npos ? -1 : std::atoi(v.c_str() + dot + 1);
}

std::map<std::pair<std::string, std::string>, PlutoRow> pluto_rows() {
  std::map<std::pair<std::string, std::string>, PlutoRow> rows;
  YAML::Node doc = YAML::LoadFile(source_dir() + "/plugins/knowledge/data/pluto-versions.yaml");
  for (const auto& n : doc["deprecated-versions"]) {
    if (n["component"].as<std::string>("") != "k8s") continue;
    PlutoRow r;
    if (n["deprecated-in"] && !n["deprecated-in"].as<std::string>().empty())
      r.deprecated = minor_of(n["deprecated-in"].as<std::string>());
    if (n["removed-in"] && !n["removed-in"].as<std::string>().empty()) r.removed = minor_of(n["removed-in"].as<std::string>());
    rows[{n["version"].as<std::string>(), n["kind"].as<std::string>()}] = r;
  }
  return rows;
}

// (apiVersion, kind) of every object of every manifest file, Lists opened.
std::vector<std::pair<std::string, std::string>> manifest_objects(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::function<void(const YAML::Node&)> add = [&](const YAML::Node& n) {
    if (!n.IsMap() || !n["kind"]) return;
    std::string kind = n["kind"].as<std::string>();
    if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
      for (const auto& item : n["items"]) add(item);
      return;
    }
    out.emplace_back(n["apiVersion"].as<std::string>(""), kind);
  };
  for (const auto& e : fs::directory_iterator(dir))
    for (const auto& doc : YAML::LoadAllFromFile(e.path().string())) add(doc);
  return out;
}

size_t findings_of(kinspect::TableProvider& provider, const std::string& id, const std::string& target) {
  const auto* c = find_check(id);
  EXPECT_NE(c, nullptr) << id;
  if (!c) return 0;
  auto got = run_check(*c, provider, {{"target_version", json::value(target)}});
  EXPECT_TRUE(got.ok()) << id << ": " << got.error().format();
  return got.ok() ? got->size() : 0;
}

}  // namespace

TEST(PreUpgrade, EachManifestObjectHasPlutosSeverityForEachTarget) {
  const std::string dir = data_dir() + "/manifests/removed-apis";
  auto pluto = pluto_rows();
  ASSERT_GT(pluto.size(), 50u);
  auto objects = manifest_objects(dir);
  ASSERT_GT(objects.size(), 15u);
  auto reg = snapshot_registry(dir);
  for (int target : {22, 25, 29, 32}) {
    size_t critical = 0, warning = 0, info = 0;
    for (const auto& o : objects) {
      auto row = pluto.find(o);
      if (row == pluto.end()) continue;
      const PlutoRow& r = row->second;
      if (r.removed >= 0 && r.removed <= target) ++critical;
      else if (r.deprecated >= 0 && r.deprecated <= target) ++warning;
      else if (r.deprecated > target) ++info;
    }
    const std::string t = "1." + std::to_string(target);
    SCOPED_TRACE("target " + t);
    EXPECT_GT(critical + warning + info, 0u);
    EXPECT_EQ(findings_of(*reg, "removed-api", t), critical);
    EXPECT_EQ(findings_of(*reg, "deprecated-api", t), warning);
    EXPECT_EQ(findings_of(*reg, "deprecated-api-later", t), info);
  }
}
