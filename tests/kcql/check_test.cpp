// The check-file format: parsing, validation, templates, parameters, findings.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

std::string checks_dir() { return std::string(KCQL_TEST_DATA) + "/checks"; }

std::vector<Finding> findings(const CheckDef& def, const Params& overrides = {}) {
  FixtureCatalog catalog;
  auto bound = bind_check(def, catalog, overrides);
  EXPECT_TRUE(bound.ok()) << bound.error().format();
  if (!bound) return {};
  FixtureProvider provider;
  ExecOptions options;
  options.now = kNow;
  auto out = run_check(*bound, provider, options);
  EXPECT_TRUE(out.ok()) << out.error().format();
  return out ? *out : std::vector<Finding>{};
}

const CheckDef& find(const std::vector<CheckDef>& checks, const std::string& id) {
  for (const auto& c : checks)
    if (c.id == id) return c;
  throw std::runtime_error("no check " + id);
}

TEST(Checks, ParsesEveryField) {
  auto checks = parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql");
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  ASSERT_EQ(checks->size(), 2u);
  const CheckDef& c = (*checks)[0];
  EXPECT_EQ(c.id, "node-not-ready");
  EXPECT_EQ(c.title, "Node is not Ready");
  EXPECT_EQ(c.category, "nodes");
  EXPECT_EQ(c.severity, "critical");
  EXPECT_EQ(c.component, "kubelet");
  EXPECT_EQ(c.tags, (std::vector<std::string>{"availability", "nodes"}));
  EXPECT_EQ(c.doc_url, "https://kubernetes.io/docs/concepts/architecture/nodes/#condition");
  EXPECT_EQ(c.remedy, "Check the kubelet on that node: systemctl status kubelet");
  ASSERT_EQ(c.params.size(), 1u);
  EXPECT_EQ(c.params[0].name, "grace");
  EXPECT_EQ(json::serialize(c.params[0].default_value), "\"5m\"");
  EXPECT_EQ(c.params[0].doc, "how long NotReady before it counts");
  EXPECT_EQ(c.pos.line, 2u);
  EXPECT_EQ(c.file, "nodes.kcql");
  EXPECT_TRUE(c.query.select->implicit_select);
  EXPECT_EQ(c.message.parts.size(), 6u);
}

TEST(Checks, ShorthandCheckFindings) {
  auto checks = parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql");
  ASSERT_TRUE(checks.ok());
  auto f = findings(find(*checks, "node-not-ready"));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].object, "node/worker-b");
  EXPECT_EQ(f[0].message,
            "node worker-b not Ready since 2026-11-30T22:00:00Z: container runtime network not ready: "
            "NetworkReady=false reason:NetworkPluginNotReady");
  // The row of a shorthand check holds the placeholders' values.
  EXPECT_EQ(json::serialize(f[0].row.at("n.metadata.name")), "\"worker-b\"");
  EXPECT_EQ(f[1].object, "node/worker-c");
}

// TARGET and TOOL_ID render per finding like OBJECT; SAME_AS is a list of
// TOOL:ID names (docs/kcql.md, "Equivalent findings").
TEST(Checks, EquivalenceClauses) {
  auto checks = parse_checks(R"(CHECK node-not-ready-with-target
  TITLE    "t"
  CATEGORY nodes
  SEVERITY warning
  FROM     k8s.nodes n
  WHERE    condition(n, 'Ready').status != 'True'
  OBJECT   "node/{n.metadata.name}"
  TARGET   "/node/{n.metadata.name}"
  TOOL_ID  "othertool:{lower(n.metadata.name)}"
  SAME_AS  polaris:runAsPrivileged, popeye:POP-106
  MESSAGE  "m"
)",
                             "eq.kcql");
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  EXPECT_EQ((*checks)[0].same_as, (std::vector<std::string>{"polaris:runAsPrivileged", "popeye:POP-106"}));
  auto f = findings((*checks)[0]);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].target, "/node/worker-b");
  EXPECT_EQ(f[0].tool_id, "othertool:worker-b");
  EXPECT_EQ(f[0].object, "node/worker-b") << "the other templates are unchanged";

  auto bad = parse_checks(R"(CHECK c
  TITLE    "t"
  CATEGORY nodes
  SEVERITY warning
  FROM     k8s.nodes n
  SAME_AS  runAsPrivileged
  MESSAGE  "m"
)",
                          "bad.kcql");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().format().find("bad.kcql:6:12: error: 'runAsPrivileged' in SAME_AS is not TOOL:ID"), std::string::npos)
      << bad.error().format();
  auto none = findings(find(*parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql"), "node-not-ready"));
  ASSERT_FALSE(none.empty());
  EXPECT_EQ(none[0].target, "") << "no TARGET, no target";
}

// A caller that keeps findings itself is told first how many rows may
// become findings, to make room once; the count is bounded by what the
// output budget lets through, so a query of many tiny rows that will fail
// its budget does not reserve for all of them.
TEST(Checks, KeepersAreToldHowManyFindingsComeFirst) {
  auto checks = parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql");
  ASSERT_TRUE(checks.ok());
  FixtureCatalog catalog;
  auto bound = bind_check(find(*checks, "node-not-ready"), catalog, {{"grace", "1m"}});
  ASSERT_TRUE(bound.ok());
  FixtureProvider provider;
  ExecOptions options;
  options.now = kNow;
  std::vector<size_t> told;
  size_t kept = 0, told_before_first = SIZE_MAX;
  auto keep = [&](Finding&&) {
    if (kept++ == 0) told_before_first = told.size();
  };
  auto out = run_check(*bound, provider, options, keep, [&](size_t n) { told.push_back(n); });
  ASSERT_TRUE(out.ok()) << out.error().format();
  EXPECT_EQ(kept, 2u);  // worker-b and worker-c
  ASSERT_EQ(told, std::vector<size_t>{2});
  EXPECT_EQ(told_before_first, 1u);
  options.output_budget = 150;  // room for one finding of 100 bytes
  told.clear();
  kept = 0;
  auto capped = run_check(*bound, provider, options, keep, [&](size_t n) { told.push_back(n); });
  EXPECT_EQ(told, std::vector<size_t>{1});
  ASSERT_FALSE(capped.ok());  // the two findings are more than 150 bytes
  EXPECT_NE(capped.error().message().find("output budget"), std::string::npos) << capped.error().message();
}

TEST(Checks, ParameterOverridesAtBindAndExecution) {
  auto checks = parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql");
  ASSERT_TRUE(checks.ok());
  // worker-c has been NotReady for 30 minutes, worker-b for 2 hours.
  EXPECT_EQ(findings(find(*checks, "node-not-ready"), {{"grace", "1h"}}).size(), 1u);
  FixtureCatalog catalog;
  auto bound = bind_check(find(*checks, "node-not-ready"), catalog);
  ASSERT_TRUE(bound.ok());
  FixtureProvider provider;
  ExecOptions options;
  options.now = kNow;
  options.params["grace"] = "3h";
  auto none = run_check(*bound, provider, options);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  options.params = {{"grace_period", "3h"}};
  auto bad = run_check(*bound, provider, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "check node-not-ready: unknown parameter 'grace_period' (declared: grace)");
  auto undeclared = bind_check(find(*checks, "node-not-ready"), catalog, {{"graze", "1h"}});
  ASSERT_FALSE(undeclared.ok());
  EXPECT_NE(undeclared.error().format().find("nodes.kcql:2:1: error: check node-not-ready has no parameter 'graze'"),
            std::string::npos) << undeclared.error().format();
  EXPECT_NE(undeclared.error().format().find("did you mean 'grace'?"), std::string::npos);
}

TEST(Checks, QueryCheckWithAliasesInTemplates) {
  auto checks = parse_checks(read_file(checks_dir() + "/nodes.kcql"), "nodes.kcql");
  ASSERT_TRUE(checks.ok());
  auto f = findings(find(*checks, "kubelet-version-skew"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].object, "node/worker-b");
  EXPECT_EQ(f[0].message,
            "kubelet v1.27.9-eks-5e0fdde on worker-b is 2 minor versions behind the API server (v1.29.3); {max 1}");
  EXPECT_EQ(json::serialize(f[0].row), R"({"node":"worker-b","kubelet":"v1.27.9-eks-5e0fdde","apiserver":"v1.29.3","skew":2})");
  EXPECT_EQ(findings(find(*checks, "kubelet-version-skew"), {{"max_skew", 0}}).size(), 2u);
}

TEST(Checks, LoadDirectoryRecursively) {
  auto checks = load_checks(checks_dir());
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  std::vector<std::string> ids;
  for (const auto& c : *checks) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"too-many-pending", "container-without-limits", "node-not-ready",
                                           "kubelet-version-skew"}));
  auto pending = findings(find(*checks, "too-many-pending"));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].message, "3 pods Pending in jobs: batch-job-1-q8w7e, batch-job-2-a1s2d, batch-job-3-z9x8c");
  auto limits = findings(find(*checks, "container-without-limits"));
  ASSERT_EQ(limits.size(), 2u);  // one finding per container
  EXPECT_EQ(limits[1].message, "container log-shipper of web-7d4b9c-fghij has no limits (<none>)");
}

TEST(Checks, DuplicateIdsAcrossFiles) {
  auto dir = std::filesystem::temp_directory_path() / "kcql-dup-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const char* check = "CHECK same\n  TITLE \"t\"\n  CATEGORY nodes\n  SEVERITY info\n  FROM k8s.nodes n\n  MESSAGE \"x\"\n";
  for (const char* f : {"a.kcql", "b.kcql"}) {
    std::ofstream out(dir / f);
    out << check;
  }
  auto checks = load_checks(dir);
  ASSERT_FALSE(checks.ok());
  EXPECT_NE(checks.error().format().find("b.kcql:1:1: error: duplicate check id 'same'"), std::string::npos)
      << checks.error().format();
  EXPECT_NE(checks.error().format().find("first defined at " + (dir / "a.kcql").string() + ":1"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Checks, CollectsErrorsOfEveryCheck) {
  auto checks = parse_checks("CHECK a\n  TITLE x\nCHECK b\n  SEVERITY huge\n", "f.kcql");
  ASSERT_FALSE(checks.ok());
  // a: TITLE not a string, no CATEGORY/SEVERITY/MESSAGE/query; b: bad severity and missing fields.
  EXPECT_GE(checks.error().diagnostics().size(), 8u) << checks.error().format();
}

TEST(Checks, LintBindsEverything) {
  auto checks = load_checks(checks_dir());
  ASSERT_TRUE(checks.ok());
  FixtureCatalog catalog;
  EXPECT_TRUE(lint_checks(*checks, catalog).empty());
  FixtureCatalog small;
  small.add(TableSchema{"k8s.extra", "", {}, {}, {}, ""});
  // A catalog without k8s.version: the skew check no longer binds.
  struct NoVersion : FixtureCatalog {
    const TableSchema* find(std::string_view n) const override {
      return n == "k8s.version" ? nullptr : FixtureCatalog::find(n);
    }
  } no_version;
  auto diags = lint_checks(*checks, no_version);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].message, "unknown table 'k8s.version'");
  EXPECT_EQ(diags[0].pos.line, 25u);
  EXPECT_TRUE(lint_path(checks_dir(), catalog).empty());
  EXPECT_FALSE(lint_path(checks_dir() + "/missing", catalog).empty());
}

TEST(Checks, ExplainOfACheck) {
  auto checks = load_checks(checks_dir());
  ASSERT_TRUE(checks.ok());
  FixtureCatalog catalog;
  auto bound = bind_check(find(*checks, "node-not-ready"), catalog);
  ASSERT_TRUE(bound.ok());
  std::string e = bound->plan.explain();
  EXPECT_NE(e.find("parameters: grace = \"5m\""), std::string::npos) << e;
  EXPECT_NE(e.find("scan k8s.nodes() AS n [metadata.name, status.conditions]"), std::string::npos) << e;
  ASSERT_EQ(bound->plan.scans().size(), 1u);
}

TEST(Checks, TemplatesWithBracesAndQuotes) {
  auto checks = parse_checks(
      "CHECK t\n  TITLE \"say \"\"hi\"\"\"\n  CATEGORY nodes\n  SEVERITY info\n  FROM k8s.version v\n"
      "  MESSAGE \"{{literal}} {v.gitVersion} {semver_minor(v.gitVersion) + 1} {lower('A}')} \"\"q\"\"\"\n",
      "t.kcql");
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  EXPECT_EQ((*checks)[0].title, "say \"hi\"");
  auto f = findings((*checks)[0]);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message, "{literal} v1.29.3 30 a} \"q\"");
  EXPECT_EQ(f[0].object, "");
}

// Templates name the outputs by alias: they read the row's computed values,
// and with DISTINCT they are computed only for the rows kept. The findings
// must be exactly those of the same check written without either shortcut.
TEST(Checks, TemplatesReadComputedOutputsAndDistinctRowsOnly) {
  auto check = [](const std::string& select, const std::string& object, const std::string& message) {
    auto parsed = parse_checks("CHECK t\n  TITLE \"t\"\n  CATEGORY workloads\n  SEVERITY info\n  QUERY " + select +
                                   "\n  OBJECT \"" + object + "\"\n  MESSAGE \"" + message + "\"\n",
                               "t.kcql");
    EXPECT_TRUE(parsed.ok()) << parsed.error().format();
    return parsed ? (*parsed)[0] : CheckDef{};
  };
  const std::string owner = "coalesce(p.metadata.ownerReferences[0].kind || ' ' || p.metadata.ownerReferences[0].name, 'Pod ' || p.metadata.name)";
  auto texts = [](const std::vector<Finding>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.push_back(f.object + " | " + f.message);
    return out;
  };
  // By alias, DISTINCT: one finding per (namespace, owner, container).
  auto by_alias = findings(check("SELECT DISTINCT p.metadata.namespace AS ns, " + owner + " AS owner, c.name AS container "
                                 "FROM k8s.pods p, UNNEST(p.spec.containers) c",
                                 "{lower(replace(owner, ' ', '/' || ns || '/'))}", "{container} of {owner} in {ns}"));
  // The same text spelled out in full, per row, then the duplicates dropped here.
  auto spelled = findings(check("SELECT p.metadata.namespace AS ns2, c.name AS c2 FROM k8s.pods p, UNNEST(p.spec.containers) c",
                                "{lower(replace(" + owner + ", ' ', '/' || p.metadata.namespace || '/'))}",
                                "{c.name} of {" + owner + "} in {p.metadata.namespace}"));
  std::vector<std::string> expected;
  for (const auto& t : texts(spelled))
    if (std::find(expected.begin(), expected.end(), t) == expected.end()) expected.push_back(t);
  EXPECT_EQ(texts(by_alias), expected);
  FixtureCatalog catalog;
  auto bound = bind_check(check("SELECT DISTINCT p.metadata.namespace AS ns, c.name AS container FROM k8s.pods p, "
                                "UNNEST(p.spec.containers) c", "{ns}/{upper(container)}", "{container}"), catalog);
  ASSERT_TRUE(bound.ok());
  EXPECT_TRUE(bound->plan.impl().root.extras_after_distinct);
  ASSERT_EQ(bound->plan.impl().root.extras.size(), 3u);
  EXPECT_EQ(bound->plan.impl().root.extras[2]->kind, plan::NodeKind::Output);
  ASSERT_EQ(by_alias.size(), 9u);  // web's two pods are one Deployment's ReplicaSet: its 2 containers once each
  EXPECT_EQ(by_alias[0].object, "replicaset/shop/web-7d4b9c");
  EXPECT_EQ(by_alias[0].message, "web of ReplicaSet web-7d4b9c in shop");

  // A template reading the row itself (not only outputs) is computed per
  // row, before duplicates are dropped: the first row's value is kept.
  auto per_row = findings(check("SELECT DISTINCT p.metadata.namespace AS ns FROM k8s.pods p",
                                "pod/{ns}/{p.metadata.name}", "{ns}"));
  auto per_row_plan = bind_check(check("SELECT DISTINCT p.metadata.namespace AS ns FROM k8s.pods p", "{p.metadata.name}", "{ns}"), catalog);
  ASSERT_TRUE(per_row_plan.ok());
  EXPECT_FALSE(per_row_plan->plan.impl().root.extras_after_distinct);
  ASSERT_EQ(per_row.size(), 3u);
  EXPECT_EQ(per_row[0].object, "pod/shop/web-7d4b9c-abcde");
  EXPECT_EQ(per_row[2].object, "pod/kube-system/coredns-76f75df574-4bz2k");

  // ORDER BY an alias, with an aggregate output, in a grouped query.
  auto grouped = findings(check("SELECT p.metadata.namespace AS ns, count(*) AS n FROM k8s.pods p GROUP BY ns ORDER BY n DESC, ns",
                                "namespace/{ns}", "{n} pods; {n * 10}"));
  ASSERT_EQ(grouped.size(), 3u);
  EXPECT_EQ(grouped[0].message, "4 pods; 40");
  EXPECT_EQ(grouped[1].object, "namespace/jobs");
  EXPECT_EQ(grouped[2].message, "2 pods; 20");
}

TEST(Checks, BudgetErrorNamesTheCheck) {
  auto checks = parse_checks(
      "CHECK slow\n  TITLE \"t\"\n  CATEGORY nodes\n  SEVERITY info\n"
      "  FROM k8s.pods a, k8s.pods b, k8s.pods c, k8s.pods d\n  MESSAGE \"x\"\n",
      "t.kcql");
  ASSERT_TRUE(checks.ok());
  FixtureCatalog catalog;
  auto bound = bind_check((*checks)[0], catalog);
  ASSERT_TRUE(bound.ok());
  FixtureProvider provider;
  ExecOptions options;
  options.row_budget = 1000;
  auto out = run_check(*bound, provider, options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message(),
            "t.kcql:5:44: error: check slow exceeded its row budget of 1000 rows\n"
            "    FROM k8s.pods a, k8s.pods b, k8s.pods c, k8s.pods d\n"
            "                                             ^");
}

}  // namespace
}  // namespace kinspect::kcql::test

namespace kinspect::kcql::test {
namespace {

// The product's checks (checks/**/*.kcql) must at least parse; binding them
// needs the plugins' catalog and is done by `kinspect checks lint`.
TEST(Checks, RepositoryChecksParse) {
  if (!std::filesystem::exists(KCQL_CHECKS_DIR)) GTEST_SKIP() << "no checks/ folder";
  auto checks = load_checks(KCQL_CHECKS_DIR);
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  EXPECT_FALSE(checks->empty());
}

}  // namespace
}  // namespace kinspect::kcql::test
