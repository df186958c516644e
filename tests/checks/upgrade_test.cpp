// Pre-upgrade over real manifests that use removed API versions (from
// kube-no-trouble and Pluto, tests/data/checks/manifests/removed-apis, see
// tests/data/checks/SOURCES.md), read by the kube-apiserver snapshot reader:
// every object is listed with the API it must move to.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "harness.h"

using namespace checks_test;

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
