// Every KCQL example of the docs (the ```kcql queries and ```kcql-check
// checks of docs/kcql.md, the ```kcql queries of docs/cloud.md, the
// ```kcql-check of README.md) bound against the real driver schemas — the
// built plugins — and run over the bundled snapshot examples/cluster, so a
// column no driver has fails here with the example's line in the page. An
// example reading a table of a plugin that inspects this machine or its
// network (node.*, net.*) is bound only; the test prints which examples ran
// and which were only bound. tests/kcql/docs_test.cpp checks the documented
// results over the fixtures; here the results are compared only for
// examples that read no table.
#include <gtest/gtest.h>

#include <iostream>

#include "harness.h"
#include "tests/kcql/docs_examples.h"

namespace checks_test {
namespace {

using kinspect::docs_test::Example;

// 2026-12-01T00:00:00Z: the "now" of the documented results.
constexpr double kDocsNow = 1796083200;

kinspect::PluginRegistry& plugins() {
  static auto reg = snapshot_plugins(source_dir() + "/examples/cluster");
  return *reg;
}

// The first table `scans` reads that a plugin serves from this machine
// (its files, processes, kernel, network): "" when there is none.
std::string host_table(const std::vector<kinspect::ScanSpec>& scans) {
  for (const auto& s : scans) {
    const kinspect::TableSchema* t = plugins().find(s.table);
    if (t && (t->plugin == "node" || t->plugin == "network" || t->plugin == "network-ebpf")) return s.table;
  }
  return "";
}

kcql::ExecOptions options() {
  kcql::ExecOptions o;
  o.now = kDocsNow;
  return o;
}

// What became of each example: "ran (N rows)" or "bound only: why".
struct Outcomes {
  std::vector<std::string> lines;
  size_t ran = 0, bound_only = 0;
  void add(const std::string& where, const std::string& what, bool ran_it) {
    lines.push_back(where + ": " + what);
    (ran_it ? ran : bound_only)++;
  }
  void print(const std::string& page) const {
    std::cout << page << ": " << ran << " examples ran over examples/cluster, " << bound_only
              << " only bound (they read this machine):\n";
    for (const auto& l : lines) std::cout << "  " << l << "\n";
  }
};

std::string bound_only(const std::string& table) {
  return "bound only: reads " + table + ", which its plugin serves from this machine, not from a snapshot";
}

void query_example(const std::string& page, const Example& e, Outcomes& out) {
  const std::string where = page + ":" + std::to_string(e.line);
  auto q = kcql::parse_query(e.at_page_lines(), page);
  ASSERT_TRUE(q.ok()) << q.error().format();
  auto plan = kcql::bind_query(*q, plugins());
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  if (std::string t = host_table(plan->scans()); !t.empty()) return out.add(where, bound_only(t), false);
  auto rs = kcql::execute(*plan, plugins(), options());
  ASSERT_TRUE(rs.ok()) << where << ": " << rs.error().format();
  // Without a table the rows cannot depend on the cluster: they are the
  // documented ones.
  if (plan->scans().empty() && !kinspect::docs_test::expected_rows(e).empty()) {
    json::array rows;
    for (const auto& r : rs->rows) rows.push_back(r);
    EXPECT_EQ(json::serialize(rows), kinspect::docs_test::expected_rows(e)) << where;
  }
  out.add(where, "ran (" + std::to_string(rs->rows.size()) + " rows)", true);
}

void check_example(const std::string& page, const Example& e, Outcomes& out) {
  auto checks = kcql::parse_checks(e.at_page_lines(), page);
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  ASSERT_FALSE(checks->empty()) << page << ":" << e.line;
  for (const auto& c : *checks) {
    const std::string where = page + ":" + std::to_string(c.pos.line) + " (check " + c.id + ")";
    auto bound = kcql::bind_check(c, plugins());
    ASSERT_TRUE(bound.ok()) << bound.error().format();
    if (std::string t = host_table(bound->plan.scans()); !t.empty()) {
      out.add(where, bound_only(t), false);
      continue;
    }
    auto findings = kcql::run_check(*bound, plugins(), options());
    ASSERT_TRUE(findings.ok()) << where << ": " << findings.error().format();
    for (const auto& f : *findings) EXPECT_FALSE(f.message.empty()) << where;
    out.add(where, "ran (" + std::to_string(findings->size()) + " findings)", true);
  }
}

Outcomes run_page(const std::string& page) {
  Outcomes out;
  for (const auto& e : kinspect::docs_test::examples_of(source_dir() + "/" + page)) {
    SCOPED_TRACE(page + ":" + std::to_string(e.line));
    if (e.lang == "kcql") query_example(page, e, out);
    else check_example(page, e, out);
  }
  out.print(page);
  return out;
}

TEST(DocsRealSchemas, KcqlPageExamplesBindAndRun) {
  Outcomes out = run_page("docs/kcql.md");
  // Every query and cookbook check ran or was bound: none was passed over
  // (an example that fails to bind or run stops above with its line).
  size_t queries = 0, checks = 0;
  for (const auto& e : kinspect::docs_test::examples_of(source_dir() + "/docs/kcql.md"))
    (e.lang == "kcql" ? queries : checks)++;
  EXPECT_GE(queries, 15u);
  EXPECT_GE(checks, 10u);
  EXPECT_EQ(out.ran + out.bound_only, queries + checks) << "one check per ```kcql-check block";
  // Only the node.file example reads this machine; everything else ran.
  EXPECT_EQ(out.bound_only, 1u);
}

TEST(DocsRealSchemas, ReadmeCheckBindsAndRuns) {
  Outcomes out = run_page("README.md");
  EXPECT_EQ(out.ran, 1u);  // node-not-ready; the worked example is tests/run/custom_checks_test.cpp's
}

TEST(DocsRealSchemas, CloudPageExamplesBindAndRun) {
  Outcomes out = run_page("docs/cloud.md");
  EXPECT_GE(out.ran, 1u);
  EXPECT_EQ(out.bound_only, 0u);
}

}  // namespace
}  // namespace checks_test
