// Profiles: matching by version, type and scenario; extends; overrides;
// and validation errors that name the file, line and column.
#include <gtest/gtest.h>

#include <chrono>

#include "core/profile/profile.h"

using namespace kinspect;

namespace {

std::vector<CheckInfo> catalog() {
  return {
      {"node-not-ready", "nodes", {"availability"}, {"grace"}},
      {"node-pid-pressure", "nodes", {}, {}},
      {"pod-crashloop", "workloads", {"availability"}, {"max_restarts"}},
      {"image-latest-tag", "workloads", {"hygiene"}, {}},
      {"api-removed", "upgrade", {}, {"target_version"}},
  };
}

constexpr const char* kProfiles = R"(
name: base
abstract: true
checks:
  include: ["*"]
  exclude: ["tag:hygiene"]
params:
  max_restarts: 5
---
name: self-hosted-inspection
extends: base
match:
  versions: ">=1.26 <1.32"
  types: [self-hosted]
  scenarios: [inspection]
params:
  pod-crashloop.max_restarts: 10
severity:
  node-pid-pressure: critical
---
name: managed-inspection
extends: base
match:
  types: [managed, serverless]
  scenarios: [inspection]
---
name: any-pre-upgrade
extends: base
match:
  scenarios: [pre-upgrade]
checks:
  include: ["category:upgrade"]
---
name: old-self-hosted
extends: self-hosted-inspection
match:
  versions: "<1.26"
timeouts:
  check: 5s
)";

ProfileSet load() {
  auto s = ProfileSet::parse(kProfiles, "profiles.yaml");
  EXPECT_TRUE(s.ok()) << s.error().format();
  return std::move(s).value();
}

std::string selected(const ProfileSet& set, const char* version, std::vector<std::string> types, const char* scenario) {
  ProfileTarget t;
  if (version) t.version = KubeVersion::parse(version);
  t.types = std::move(types);
  t.scenario = scenario;
  auto m = set.select(t);
  return m.ok() ? m->profile->name : "error: " + m.error().message();
}

}  // namespace

TEST(Profiles, MatchByVersionTypeAndScenario) {
  auto set = load();
  EXPECT_EQ(selected(set, "v1.29.4", {"self-hosted"}, "inspection"), "self-hosted-inspection");
  EXPECT_EQ(selected(set, "v1.25.2", {"self-hosted"}, "inspection"), "old-self-hosted");
  EXPECT_EQ(selected(set, "v1.30.1-eks-1", {"managed", "gpu"}, "inspection"), "managed-inspection");
  EXPECT_EQ(selected(set, "v1.30.1", {"serverless"}, "inspection"), "managed-inspection");
  // Scenario outranks the rest: any cluster type gets the pre-upgrade profile.
  EXPECT_EQ(selected(set, "v1.29.4", {"self-hosted"}, "pre-upgrade"), "any-pre-upgrade");
  EXPECT_EQ(selected(set, "v1.29.4", {"edge"}, "inspection"),
            "error: no profile matches scenario 'inspection', type edge, version 1.29.4; pass --profile or add a profile");
  // Abstract profiles are never chosen.
  EXPECT_EQ(selected(set, "v1.29.4", {"edge"}, "post-upgrade").rfind("error: no profile matches", 0), 0u);
}

TEST(Profiles, SelectionSaysWhy) {
  auto set = load();
  ProfileTarget t{KubeVersion::parse("1.29.1"), {"self-hosted"}, "inspection"};
  auto m = set.select(t);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->why, "matched scenario inspection, type self-hosted, version >=1.26 <1.32");
}

TEST(Profiles, ExtendsInheritsAndOverrides) {
  auto set = load();
  const Profile* p = set.find("old-self-hosted");
  ASSERT_NE(p, nullptr);
  // Inherited through two levels: the exclusion, the type and scenario, the params.
  EXPECT_EQ(p->types, std::vector<std::string>{"self-hosted"});
  EXPECT_EQ(p->versions.text(), "<1.26");  // its own range replaces the parent's
  EXPECT_EQ(p->check_timeout_seconds, 5);
  auto checks = catalog();
  std::vector<std::string> ids;
  for (const auto* c : ProfileSet::select_checks(*p, checks)) ids.push_back(c->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"node-not-ready", "node-pid-pressure", "pod-crashloop", "api-removed"}));
  const auto* v = ProfileSet::param_override(*p, "pod-crashloop", "max_restarts");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->as_int64(), 10);  // the check-specific value beats the general one
  EXPECT_EQ(ProfileSet::param_override(*p, "other-check", "max_restarts")->as_int64(), 5);
  EXPECT_EQ(ProfileSet::severity_override(*p, "node-pid-pressure").value_or(""), "critical");
  EXPECT_FALSE(ProfileSet::severity_override(*p, "node-not-ready"));
}

TEST(Profiles, SelectorsByCategoryAndTag) {
  auto set = load();
  auto checks = catalog();
  std::vector<std::string> ids;
  for (const auto* c : ProfileSet::select_checks(*set.find("any-pre-upgrade"), checks)) ids.push_back(c->id);
  // base includes everything; the child adds category:upgrade, which is already in.
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_TRUE(glob_match("node-*", "node-not-ready"));
  EXPECT_FALSE(glob_match("node-*", "pod-node"));
  EXPECT_TRUE(glob_match("*-ready", "node-not-ready"));
  EXPECT_TRUE(glob_match("n?de*", "node"));
}

TEST(Profiles, ValidationNamesFileLineAndField) {
  auto set = ProfileSet::parse(R"(name: p
checks:
  include: [node-not-redy, "tag:nope"]
params:
  pod-crashloop.max_restart: 3
  no_such_param: 1
severity:
  node-not-ready: critical
  imag-latest-tag: info
)", "profiles/p.yaml");
  ASSERT_TRUE(set.ok()) << set.error().format();
  Status st = set->validate(catalog());
  ASSERT_FALSE(st.ok());
  const auto& d = st.error().diagnostics();
  ASSERT_EQ(d.size(), 5u) << st.error().format();
  EXPECT_EQ(d[0].format().substr(0, d[0].format().find('\n')),
            "profiles/p.yaml:3:13: field 'checks.include': error: profile 'p': unknown check 'node-not-redy'");
  EXPECT_EQ(d[0].hint, "did you mean 'node-not-ready'?");
  EXPECT_NE(d[1].message.find("'tag:nope' selects no check"), std::string::npos);
  // Parameters are reported in name order.
  EXPECT_EQ(d[2].pos.line, 6u);
  EXPECT_NE(d[2].message.find("no check declares parameter 'no_such_param'"), std::string::npos);
  EXPECT_EQ(d[3].pos.line, 5u);
  EXPECT_NE(d[3].message.find("check 'pod-crashloop' has no parameter 'max_restart'"), std::string::npos);
  EXPECT_EQ(d[3].hint, "did you mean 'max_restarts'?");
  EXPECT_EQ(d[4].field, "severity.imag-latest-tag");
  EXPECT_EQ(d[4].hint, "did you mean 'image-latest-tag'?");
}

TEST(Profiles, MalformedInputGivesPositions) {
  struct Case {
    const char* yaml;
    const char* expect;
  } cases[] = {
      {"name: a\nmatch:\n  versions: \">=1.2x\"\n", "profiles.yaml:3:13: field 'match.versions': error: bad version range"},
      {"name: a\nmatch:\n  types: [managd]\n", "profiles.yaml:3:11: field 'match.types': error: unknown cluster type 'managd'"},
      {"name: a\nchecks:\n  includ: [x]\n", "profiles.yaml:3:3: field 'checks.includ': error: unknown key 'includ'"},
      {"name: a\nseverity:\n  x: fatal\n", "profiles.yaml:3:6: field 'severity.x': error: must be critical, warning or info"},
      {"name: a\ntimeouts:\n  check: soon\n", "field 'timeouts.check': error: 'soon' is not a duration"},
      {"name: a\nextends: bsae\n---\nname: base\n", "profiles.yaml:2:10: field 'extends': error: extends unknown profile 'bsae'"},
      {"name: a\nextends: b\n---\nname: b\nextends: a\n", "profiles extend each other in a cycle"},
      {"description: no name\n", "field 'name': error: is required"},
      {"name: a\nmatch: [1, 2\n", "profiles.yaml:3:1: error: invalid YAML"},
      {"name: a\n---\nname: a\n", "profile 'a' is also defined in profiles.yaml"},
      {"- just\n- a list\n", "a profile is a map"},
  };
  for (const auto& c : cases) {
    auto s = ProfileSet::parse(c.yaml, "profiles.yaml");
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_NE(s.error().format().find(c.expect), std::string::npos) << c.yaml << "\n---\n" << s.error().format();
  }
}

TEST(Profiles, ShippedProfilesLoad) {
  auto s = ProfileSet::load({std::string(KINSPECT_SOURCE_DIR) + "/profiles"});
  ASSERT_TRUE(s.ok()) << s.error().format();
  // Every scenario has a profile for each cluster type, and the kubelet skew
  // rule that changed in 1.28 picks the older profile below it.
  for (const char* scenario : {"inspection", "pre-upgrade", "post-upgrade"})
    for (const char* type : {"self-hosted", "managed", "serverless"}) {
      auto m = s->select(ProfileTarget{KubeVersion::parse("v1.30.2"), {type}, scenario});
      ASSERT_TRUE(m.ok()) << scenario << " " << type << ": " << m.error().message();
      EXPECT_EQ(m->profile->name, std::string(type) + "-" + scenario);
    }
  auto old = s->select(ProfileTarget{KubeVersion::parse("v1.27.9"), {"self-hosted"}, "inspection"});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->profile->name, "self-hosted-inspection-pre-1.28");
}

// yaml-cpp 0.7's LoadAll loops forever on a document that starts with a node
// property followed by ',' (found by profile_fuzz). Profiles split documents
// themselves: such a file is an error with its line, in no time.
TEST(ProfileParse, MalformedDocumentsEndWithAnErrorNotAHang) {
  for (const char* text : {"&a, b\n", "name: x\n---\n&etcd, the controller manager\n", "--- !t, x\n",
                           "name: y\n...\n&a , ,\n"}) {
    auto t0 = std::chrono::steady_clock::now();
    auto s = ProfileSet::parse(text, "evil.yaml");
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0) << text;
    ASSERT_FALSE(s.ok()) << text;
  }
  // Documents and their lines are kept: the error in the third names line 7.
  auto s = ProfileSet::parse("name: a\nchecks: {}\n---\nname: b\nchecks: {}\n--- \nname: b: c\n", "two.yaml");
  ASSERT_FALSE(s.ok());
  ASSERT_FALSE(s.error().diagnostics().empty());
  EXPECT_EQ(s.error().diagnostics()[0].pos.line, 7u) << s.error().format();
}
