// Errors found while a query runs carry the file, line and column of what
// caused them, shown as bind errors are (the line and a caret): a budget
// spent at the FROM item whose rows were being read (or the EXISTS probing
// its inner rows), a scalar subquery's extra rows at the subquery, a
// check's output budget at its CHECK line. A table that cannot be fetched
// is no place in the query and keeps its plain message (limits_test.cpp).
#include <gtest/gtest.h>

#include "core/kcql/executor.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

FixtureProvider pods(size_t n) {
  FixtureProvider provider;
  json::array rows;
  for (size_t i = 0; i < n; ++i) {
    json::object r;
    r["name"] = "pod-" + std::to_string(i);
    r["namespace"] = "ns";
    r["metadata"] = json::object{{"name", r["name"]}, {"namespace", "ns"}};
    rows.push_back(std::move(r));
  }
  provider.set_rows("k8s.pods", std::move(rows));
  return provider;
}

ExecOptions rows_at_most(uint64_t n) {
  ExecOptions options;
  options.row_budget = n;
  return options;
}

// The first check of `text` (in file `file`) bound over the fixture
// catalog and run; its error in full.
std::string check_error(const std::string& text, const std::string& file, FixtureProvider& provider,
                        ExecOptions options = {}) {
  auto checks = parse_checks(text, file);
  if (!checks) return "parse: " + checks.error().format();
  FixtureCatalog catalog;
  auto bound = bind_check(checks->back(), catalog);
  if (!bound) return "bind: " + bound.error().format();
  options.now = kNow;
  auto out = run_check(*bound, provider, options);
  if (out) return "no error, " + std::to_string(out->size()) + " findings";
  return out.error().format();
}

TEST(RuntimeErrors, RowBudgetPointsAtTheJoinThatSpentIt) {
  FixtureProvider provider = pods(100);
  std::string err = error_of_with(provider,
                                  "SELECT a.name\n"
                                  "FROM k8s.pods a\n"
                                  "  JOIN k8s.pods b ON a.name || b.name = 'none'",
                                  rows_at_most(1000));
  EXPECT_EQ(err,
            "<query>:3:8: error: query exceeded its row budget of 1000 rows\n"
            "    JOIN k8s.pods b ON a.name || b.name = 'none'\n"
            "         ^");
}

TEST(RuntimeErrors, RowBudgetPointsAtTheUnnestThatSpentIt) {
  FixtureProvider provider = pods(10);
  std::string err = error_of_with(provider, "SELECT p.name FROM k8s.pods p, UNNEST(generate_series(1, 1000)) AS g",
                                  rows_at_most(500));
  EXPECT_EQ(err.substr(0, err.find('\n')), "<query>:1:32: error: query exceeded its row budget of 500 rows") << err;
}

TEST(RuntimeErrors, RowBudgetInsideAWithQueryPointsThere) {
  FixtureProvider provider = pods(100);
  std::string err = error_of_with(provider,
                                  "WITH pairs AS (SELECT a.name FROM k8s.pods a, k8s.pods b)\n"
                                  "SELECT count(*) FROM pairs",
                                  rows_at_most(1000));
  EXPECT_EQ(err,
            "<query>:1:47: error: query exceeded its row budget of 1000 rows\n"
            "  WITH pairs AS (SELECT a.name FROM k8s.pods a, k8s.pods b)\n"
            "                                                ^");
}

TEST(RuntimeErrors, RowBudgetAfterASubqueryPointsBackAtTheOuterJoin) {
  // The EXISTS is computed (cheaply) while `a` is filtered; the budget then
  // runs out in the join with `b`, which is where the error must point, not
  // at the subquery that ran before.
  FixtureProvider provider = pods(100);
  std::string err = error_of_with(provider,
                                  "SELECT a.name FROM k8s.pods a JOIN k8s.pods b ON a.name || b.name = 'none'\n"
                                  "WHERE EXISTS (SELECT 1 FROM k8s.nodes n)",
                                  rows_at_most(1000));
  EXPECT_EQ(err.substr(0, err.find('\n')), "<query>:1:36: error: query exceeded its row budget of 1000 rows") << err;
}

TEST(RuntimeErrors, ScalarSubqueryWithSeveralRowsPointsAtTheSubquery) {
  std::string err = error_of(
      "SELECT n.name,\n"
      "       (SELECT p.name FROM k8s.pods p) AS pod\n"
      "FROM k8s.nodes n");
  EXPECT_EQ(err,
            "<query>:2:8: error: a scalar subquery returned 9 rows; it must return at most one\n"
            "         (SELECT p.name FROM k8s.pods p) AS pod\n"
            "         ^");
}

TEST(RuntimeErrors, QueryOutputBudgetPointsAtTheSelect) {
  ExecOptions options;
  options.output_budget = 100;
  std::string err = error_of("SELECT p.name, p.metadata FROM k8s.pods p", {}, options);
  EXPECT_EQ(err.substr(0, err.find('\n')),
            "<query>:1:1: error: query exceeded its output budget of 100 bytes of results after 0 rows; select fewer "
            "columns or add a LIMIT or WHERE")
      << err;
}

// A check file with two checks: the second one's positions are its own
// lines in the file.
const char* kChecks =
    "CHECK fine\n"
    "  TITLE \"t\"\n"
    "  CATEGORY workloads\n"
    "  SEVERITY info\n"
    "  FROM k8s.pods p\n"
    "  MESSAGE \"x\"\n"
    "\n";

TEST(RuntimeErrors, CheckRowBudgetCarriesTheFileLineAndColumn) {
  FixtureProvider provider = pods(100);
  std::string text = std::string(kChecks) +
                     "CHECK pairs\n"
                     "  TITLE \"t\"\n"
                     "  CATEGORY workloads\n"
                     "  SEVERITY info\n"
                     "  FROM k8s.pods a,\n"
                     "       k8s.pods b\n"
                     "  MESSAGE \"{a.name} {b.name}\"\n";
  EXPECT_EQ(check_error(text, "checks/mine.kcql", provider, rows_at_most(1000)),
            "checks/mine.kcql:13:8: error: check pairs exceeded its row budget of 1000 rows\n"
            "         k8s.pods b\n"
            "         ^");
}

TEST(RuntimeErrors, CheckScalarSubqueryCarriesTheFileLineAndColumn) {
  FixtureProvider provider;
  std::string text = std::string(kChecks) +
                     "CHECK pod-per-node\n"
                     "  TITLE \"t\"\n"
                     "  CATEGORY workloads\n"
                     "  SEVERITY info\n"
                     "  FROM k8s.nodes n\n"
                     "  WHERE n.name = (SELECT p.spec.nodeName FROM k8s.pods p)\n"
                     "  MESSAGE \"x\"\n";
  EXPECT_EQ(check_error(text, "checks/mine.kcql", provider),
            "checks/mine.kcql:13:18: error: a scalar subquery returned 9 rows; it must return at most one\n"
            "    WHERE n.name = (SELECT p.spec.nodeName FROM k8s.pods p)\n"
            "                   ^");
}

TEST(RuntimeErrors, CheckOutputBudgetPointsAtTheCheck) {
  FixtureProvider provider;
  std::string text = std::string(kChecks) +
                     "CHECK every-pod\n"
                     "  TITLE \"t\"\n"
                     "  CATEGORY workloads\n"
                     "  SEVERITY info\n"
                     "  FROM k8s.pods p\n"
                     "  MESSAGE \"{p.name}\"\n";
  ExecOptions options;
  options.output_budget = 60;
  std::string err = check_error(text, "checks/mine.kcql", provider, options);
  EXPECT_EQ(err.substr(0, err.find('\n')),
            "checks/mine.kcql:8:1: error: check every-pod exceeded its output budget of 60 bytes of results after 1 "
            "findings; select fewer columns or add a LIMIT or WHERE")
      << err;
}

TEST(RuntimeErrors, SteppedRunBudgetCarriesThePosition) {
  // The runner's shared scans feed the first table in ranges: the error
  // is the same as a whole run's.
  FixtureProvider provider = pods(100);
  auto q = parse_query("SELECT a.name FROM k8s.pods a, k8s.pods b", "q.kcql");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  auto run = start_stepped(plan->impl(), provider, rows_at_most(1000));
  ASSERT_TRUE(run.ok());
  size_t rows = (*run)->rows();
  bool fed = true;
  for (size_t b = 0; b < rows && fed; b += 10) fed = (*run)->feed(b, std::min(rows, b + 10));
  EXPECT_FALSE(fed);
  auto done = (*run)->finish([](const Value*, const Value*) {});
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().format(),
            "q.kcql:1:32: error: query exceeded its row budget of 1000 rows\n"
            "  SELECT a.name FROM k8s.pods a, k8s.pods b\n"
            "                                 ^");
}

}  // namespace
}  // namespace kinspect::kcql::test
