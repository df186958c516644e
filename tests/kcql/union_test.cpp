// UNION and UNION ALL: values, duplicates, NULLs, ORDER BY and LIMIT over the
// whole union, column-count errors, unions in subqueries and in checks.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

TEST(Union, AllKeepsDuplicatesAndNamesComeFromTheFirstBranch) {
  auto rs = run("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 1, 'x' UNION ALL SELECT 2 AS other, 'y'");
  EXPECT_EQ(rs.columns, (Strings{"a", "b"}));
  EXPECT_EQ(rows_of(rs), R"([[1,"x"],[1,"x"],[2,"y"]])");
}

TEST(Union, UnionDropsDuplicateRowsByValue) {
  // 1 and 1.0 are equal values; NULL rows are duplicates of each other.
  auto rs = run("SELECT 1 AS a, NULL AS b UNION SELECT 1.0, NULL UNION SELECT 2, NULL UNION SELECT 1, 'x'");
  EXPECT_EQ(rows_of(rs), R"([[1,null],[2,null],[1,"x"]])");
}

TEST(Union, MixedAllAndDistinctIsLeftAssociative) {
  // (a UNION ALL a) UNION b: the final UNION drops the duplicate kept before.
  EXPECT_EQ(rows_of(run("SELECT 1 AS a UNION ALL SELECT 1 UNION SELECT 2")), "[[1],[2]]");
  // (a UNION b) UNION ALL a: the last branch's duplicate is kept.
  EXPECT_EQ(rows_of(run("SELECT 1 AS a UNION SELECT 2 UNION ALL SELECT 1")), "[[1],[2],[1]]");
}

TEST(Union, BranchesOverTablesBindInTheirOwnScope) {
  auto rs = run("SELECT n.name AS name, 'node' AS kind FROM k8s.nodes n WHERE n.name LIKE 'worker-%' "
                "UNION ALL SELECT n.metadata.namespace, 'namespace' FROM k8s.pods n WHERE n.name LIKE 'coredns%'");
  EXPECT_EQ(column(rs), (Strings{"\"worker-a\"", "\"worker-b\"", "\"worker-c\"", "\"kube-system\""}));
  EXPECT_EQ(column(rs, 1).back(), "\"namespace\"");
  // The same alias in two branches names each branch's own table.
  auto again = run("SELECT count(*) AS n FROM k8s.nodes x UNION ALL SELECT count(*) FROM k8s.pods x");
  EXPECT_EQ(column(again), (Strings{"4", "9"}));
}

TEST(Union, OrderByAndLimitApplyToTheWholeUnion) {
  auto rs = run("SELECT n.name AS name FROM k8s.nodes n UNION SELECT p.metadata.namespace FROM k8s.pods p "
                "ORDER BY name DESC LIMIT 3");
  EXPECT_EQ(column(rs), (Strings{"\"worker-c\"", "\"worker-b\"", "\"worker-a\""}));
  auto by_position = run("SELECT 2 AS a, 'b' AS b UNION ALL SELECT NULL, 'c' UNION ALL SELECT 1, 'a' ORDER BY 1");
  EXPECT_EQ(rows_of(by_position), R"([[1,"a"],[2,"b"],[null,"c"]])");  // NULLs last
  EXPECT_EQ(rows_of(run("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3 LIMIT 2")), "[[1],[2]]");
}

TEST(Union, ColumnCountMismatchNamesBothBranches) {
  std::string e = error_of("SELECT 1 AS a, 2 AS b\nUNION ALL SELECT 3");
  EXPECT_NE(e.find("<query>:2:11:"), std::string::npos) << e;
  EXPECT_NE(e.find("selects 1 column, the first (at <query>:1:1) 2"), std::string::npos) << e;
}

TEST(Union, OrderByBeforeTheLastBranchOrOnAnExpressionIsAnError) {
  std::string early = error_of("SELECT 1 AS a ORDER BY a UNION SELECT 2");
  EXPECT_NE(early.find("ORDER BY and LIMIT must come after the last branch of a UNION"), std::string::npos) << early;
  std::string expr = error_of("SELECT 1 AS a UNION SELECT 2 ORDER BY a + 1");
  EXPECT_NE(expr.find("ORDER BY after a UNION names an output column"), std::string::npos) << expr;
  std::string name = error_of("SELECT 1 AS abc UNION SELECT 2 ORDER BY abd");
  EXPECT_NE(name.find("did you mean 'abc'"), std::string::npos) << name;
  std::string missing = error_of("SELECT 1 AS a UNION");
  EXPECT_NE(missing.find("expected SELECT after UNION"), std::string::npos) << missing;
}

TEST(Union, InsideExistsInAndScalarSubqueries) {
  EXPECT_EQ(scalar("SELECT EXISTS (SELECT 1 FROM k8s.nodes n WHERE n.name = 'nope' "
                   "UNION ALL SELECT 1 FROM k8s.pods p WHERE p.name LIKE 'coredns%')"),
            "true");
  EXPECT_EQ(scalar("SELECT EXISTS (SELECT 1 FROM k8s.nodes n WHERE n.name = 'nope' "
                   "UNION SELECT 1 FROM k8s.pods p WHERE p.name = 'nope')"),
            "false");
  auto in = run("SELECT n.name FROM k8s.nodes n WHERE n.name IN (SELECT 'cp-1' UNION SELECT 'worker-c')");
  EXPECT_EQ(column(in), (Strings{"\"cp-1\"", "\"worker-c\""}));
  EXPECT_EQ(scalar("SELECT (SELECT 'a' UNION SELECT 'a')"), "\"a\"");
  std::string correlated = error_of("SELECT n.name FROM k8s.nodes n WHERE EXISTS ("
                                    "SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name UNION SELECT 2)");
  EXPECT_NE(correlated.find("UNION"), std::string::npos) << correlated;
}

TEST(Union, ExplainPrintsEveryBranch) {
  FixtureCatalog catalog;
  auto q = parse_query("SELECT n.name AS name FROM k8s.nodes n UNION ALL SELECT p.name FROM k8s.pods p ORDER BY name LIMIT 2");
  ASSERT_TRUE(q.ok()) << q.error().format();
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  std::string text = plan->explain();
  EXPECT_NE(text.find("union of 2 branches"), std::string::npos) << text;
  EXPECT_NE(text.find("branch 2 (UNION ALL: duplicates kept):"), std::string::npos) << text;
  EXPECT_NE(text.find("scan k8s.pods() AS p"), std::string::npos) << text;
  EXPECT_NE(text.find("sort: name"), std::string::npos) << text;
  EXPECT_NE(text.find("limit: 2"), std::string::npos) << text;
}

TEST(Union, RowBudgetCountsEveryBranch) {
  ExecOptions options;
  options.row_budget = 10;  // 4 nodes fit, 4 nodes + 9 pods do not
  run("SELECT n.name FROM k8s.nodes n", {}, nullptr, options);
  std::string e = error_of("SELECT n.name FROM k8s.nodes n UNION ALL SELECT p.name FROM k8s.pods p", {}, options);
  // Spent reading the second branch's table.
  EXPECT_EQ(e.substr(0, e.find('\n')), "<query>:1:61: error: query exceeded its row budget of 10 rows") << e;
}

TEST(Union, CheckQueryFillsItsTemplatesFromEachBranch) {
  auto found = run_check_text(R"(CHECK unready-or-pending
  TITLE    "Unready nodes and Pending pods"
  CATEGORY workloads
  SEVERITY warning
  QUERY
    SELECT 'node' AS kind, n.name AS name, condition(n, 'Ready').status AS why FROM k8s.nodes n
    WHERE condition(n, 'Ready').status != 'True'
    UNION ALL
    SELECT 'pod', p.name, p.status.phase FROM k8s.pods p WHERE p.status.phase = 'Pending'
    ORDER BY name
  OBJECT   "{kind}/{name}"
  MESSAGE  "{kind} {name} is {lower(why)}"
)",
                             "union.kcql");
  ASSERT_TRUE(found.ok()) << found.error().format();
  Strings messages;
  for (const auto& f : *found) messages.push_back(f.object + ": " + f.message);
  EXPECT_EQ(messages, (Strings{"pod/batch-job-1-q8w7e: pod batch-job-1-q8w7e is pending",
                               "pod/batch-job-2-a1s2d: pod batch-job-2-a1s2d is pending",
                               "pod/batch-job-3-z9x8c: pod batch-job-3-z9x8c is pending",
                               "node/worker-b: node worker-b is false", "node/worker-c: node worker-c is unknown"}));
}

}  // namespace
}  // namespace kinspect::kcql::test
