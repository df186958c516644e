// Every example in docs/kcql.md runs against the fixtures: ```kcql blocks are
// queries (a `-- => rows` line gives the expected rows), ```kcql-check blocks
// are check files (their finding counts are listed below). That they also
// bind and run against the real driver schemas is tests/checks/docs_test.cpp's.
#include <gtest/gtest.h>

#include <map>

#include "docs_examples.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using docs_test::Example;

std::vector<Example> examples() { return docs_test::examples_of(KCQL_DOCS); }

TEST(Docs, HasExamples) {
  auto all = examples();
  size_t queries = 0, checks = 0;
  for (const auto& e : all) (e.lang == "kcql" ? queries : checks)++;
  EXPECT_GE(queries, 15u);
  EXPECT_GE(checks, 10u);
}

TEST(Docs, QueryExamplesRun) {
  for (const auto& e : examples()) {
    if (e.lang != "kcql") continue;
    SCOPED_TRACE("docs/kcql.md:" + std::to_string(e.line));
    ResultSet rs = run(e.text);
    std::string want = docs_test::expected_rows(e);
    if (want.empty()) continue;
    json::array rows;
    for (const auto& r : rs.rows) rows.push_back(r);
    EXPECT_EQ(json::serialize(rows), want);
  }
}

TEST(Docs, CheckExamplesParseBindAndRun) {
  // Findings each cookbook check must produce over the fixtures.
  const std::map<std::string, size_t> expected = {
      {"node-not-ready", 2},           {"pods-on-not-ready-nodes", 2},   {"webhook-fail-policy-no-endpoints", 1},
      {"service-selects-nothing", 2},  {"daemonset-not-ready", 1},       {"kubelet-version-skew", 1},
      {"container-without-limits", 2}, {"namespace-many-pending", 1},    {"image-latest", 3},
      {"tls-secret-expiring", 1},      {"apiserver-anonymous-auth", 0},  {"pod-restarting-let", 1},
  };
  FixtureCatalog catalog;
  size_t seen = 0;
  for (const auto& e : examples()) {
    if (e.lang != "kcql-check") continue;
    SCOPED_TRACE("docs/kcql.md:" + std::to_string(e.line));
    auto checks = parse_checks(e.text, "docs/kcql.md");
    ASSERT_TRUE(checks.ok()) << checks.error().format();
    for (const auto& c : *checks) {
      auto bound = bind_check(c, catalog);
      ASSERT_TRUE(bound.ok()) << bound.error().format();
      FixtureProvider provider;
      ExecOptions options;
      options.now = kNow;
      auto findings = run_check(*bound, provider, options);
      ASSERT_TRUE(findings.ok()) << findings.error().format();
      auto it = expected.find(c.id);
      ASSERT_NE(it, expected.end()) << "no expected count for " << c.id;
      EXPECT_EQ(findings->size(), it->second) << c.id;
      for (const auto& f : *findings) EXPECT_FALSE(f.message.empty());
      ++seen;
    }
  }
  EXPECT_EQ(seen, expected.size());
}

}  // namespace
}  // namespace kinspect::kcql::test
