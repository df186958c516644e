// WITH (non-recursive common table expressions): in FROM, joins, EXISTS and
// IN subqueries and UNION branches; evaluated once; NULLs, empty arrays and
// type mismatches in their columns; the naming errors; EXPLAIN; checks.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

TEST(With, ColumnsAreNamedByTheSelectList) {
  auto rs = run("WITH pending AS (SELECT p.name, p.metadata.namespace AS ns FROM k8s.pods p "
                "WHERE p.status.phase = 'Pending') "
                "SELECT x.ns, count(*) AS n, min(x.name) AS first FROM pending x GROUP BY x.ns");
  EXPECT_EQ(rows_of(rs), R"([["jobs",3,"batch-job-1-q8w7e"]])");
  // Without an alias a FROM item is named by the WITH query; unqualified
  // columns and * work as for a table.
  auto star = run("WITH one AS (SELECT 1 AS a, 'x' AS b) SELECT * FROM one");
  EXPECT_EQ(star.columns, (Strings{"a", "b"}));
  EXPECT_EQ(rows_of(star), R"([[1,"x"]])");
  EXPECT_EQ(rows_of(run("WITH one AS (SELECT 1 AS a) SELECT one.a + a FROM one")), "[[2]]");
}

TEST(With, LaterQueriesReadEarlierOnes) {
  auto rs = run("WITH pods AS (SELECT p.name, p.spec.nodeName AS node FROM k8s.pods p),\n"
                "     per_node AS (SELECT node, count(*) AS n FROM pods WHERE node IS NOT NULL GROUP BY node)\n"
                "SELECT node, n FROM per_node ORDER BY n DESC, node LIMIT 2");
  EXPECT_EQ(column(rs), (Strings{"\"worker-a\"", "\"worker-b\""}));
}

TEST(With, JoinsHashOnWithColumns) {
  std::string q =
      "WITH per_node AS (SELECT p.spec.nodeName AS node, count(*) AS pods FROM k8s.pods p GROUP BY node) "
      "SELECT n.name, coalesce(c.pods, 0) AS pods FROM k8s.nodes n LEFT JOIN per_node c ON c.node = n.name ORDER BY 1";
  auto rs = run(q);
  EXPECT_EQ(column(rs), (Strings{"\"cp-1\"", "\"worker-a\"", "\"worker-b\"", "\"worker-c\""}));
  EXPECT_EQ(column(rs, 1).back(), "0");  // worker-c runs nothing
  std::string e = explain_of(q);
  EXPECT_NE(e.find("WITH query per_node (evaluated once):"), std::string::npos) << e;
  EXPECT_NE(e.find("left hash join scan WITH query per_node AS c"), std::string::npos) << e;
  EXPECT_NE(e.find("keys: c.node = n.name"), std::string::npos) << e;
}

TEST(With, InExistsInAndUnionBranches) {
  std::string with = "WITH ns AS (SELECT 'jobs' AS name UNION ALL SELECT 'kube-system') ";
  EXPECT_EQ(rows_of(run(with + "SELECT count(*) FROM k8s.pods p WHERE p.metadata.namespace IN (SELECT name FROM ns)")),
            "[[5]]");
  EXPECT_EQ(rows_of(run(with + "SELECT count(*) FROM k8s.pods p WHERE NOT EXISTS "
                               "(SELECT 1 FROM ns WHERE ns.name = p.metadata.namespace)")),
            "[[4]]");
  EXPECT_EQ(rows_of(run(with + "SELECT name FROM ns UNION SELECT upper(name) FROM ns ORDER BY 1")),
            R"([["JOBS"],["KUBE-SYSTEM"],["jobs"],["kube-system"]])");
  // In a subquery run per outer row, next to an UNNEST of the outer row.
  EXPECT_EQ(rows_of(run("WITH images AS (SELECT 'busybox:1.36' AS image) SELECT count(*) FROM k8s.pods p WHERE "
                        "EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c JOIN images i ON i.image = c.image)")),
            "[[3]]");
}

TEST(With, EvaluatedOncePerQuery) {
  std::string with = "WITH names AS (SELECT p.name AS n FROM k8s.pods p) ";
  auto once = run(with + "SELECT x.n FROM names x");
  auto twice = run(with + "SELECT x.n FROM names x UNION ALL SELECT y.n FROM names y");
  ASSERT_EQ(once.rows.size(), 9u);
  ASSERT_EQ(twice.rows.size(), 18u);
  // The second read costs its 9 rows, not another run over k8s.pods.
  EXPECT_EQ(twice.rows_examined - once.rows_examined, 9u);
}

TEST(With, NullsEmptyArraysAndTypeMismatches) {
  std::string with = "WITH t AS (SELECT NULL AS a, json_decode('[]') AS xs, 'text' AS s, 3 AS i UNION ALL "
                     "SELECT 1, json_decode('[1, 2]'), NULL, 4) ";
  EXPECT_EQ(rows_of(run(with + "SELECT i FROM t WHERE a IS NULL")), "[[3]]");
  EXPECT_EQ(rows_of(run(with + "SELECT t.i, e FROM t, UNNEST(t.xs) e")), "[[4,1],[4,2]]");
  EXPECT_EQ(rows_of(run(with + "SELECT t.i, e FROM t LEFT JOIN UNNEST(t.xs) e ORDER BY 1, 2")), "[[3,null],[4,1],[4,2]]");
  // A string compared with a number is NULL (dropped by WHERE); a field of a text is NULL.
  EXPECT_EQ(rows_of(run(with + "SELECT count(*) FROM t WHERE s > 1")), "[[0]]");
  EXPECT_EQ(rows_of(run(with + "SELECT t.s.x FROM t")), "[[null],[null]]");
  // A WITH query without rows: nothing to join, EXISTS false.
  EXPECT_EQ(rows_of(run("WITH none AS (SELECT 1 AS x FROM k8s.nodes n WHERE n.name = 'nope') "
                        "SELECT count(*), EXISTS (SELECT 1 FROM none) FROM none")),
            "[[0,false]]");
}

TEST(With, NamingErrorsGiveLineAndColumn) {
  std::string dup = error_of("WITH a AS (SELECT 1 AS x),\n     a AS (SELECT 2 AS x) SELECT x FROM a");
  EXPECT_NE(dup.find("<query>:2:6: error: duplicate WITH query name 'a'"), std::string::npos) << dup;
  EXPECT_NE(dup.find("the first is at <query>:1:6"), std::string::npos) << dup;
  std::string early = error_of("WITH a AS (SELECT x FROM b),\n     b AS (SELECT 1 AS x) SELECT x FROM a");
  EXPECT_NE(early.find("<query>:1:26: error: WITH query 'b' is used before it is defined (at <query>:2:6)"),
            std::string::npos)
      << early;
  std::string self = error_of("WITH a AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM a) SELECT x FROM a");
  EXPECT_NE(self.find("<query>:1:54: error: WITH query 'a' refers to itself"), std::string::npos) << self;
  EXPECT_NE(self.find("WITH is not recursive"), std::string::npos) << self;
  std::string columns = error_of("WITH a AS (SELECT 1 AS x, 2 AS x) SELECT * FROM a");
  EXPECT_NE(columns.find("WITH query 'a' has two columns named 'x'"), std::string::npos) << columns;
  std::string unknown = error_of("WITH a AS (SELECT 1 AS count) SELECT a.cuont FROM a");
  EXPECT_NE(unknown.find("unknown column 'cuont' in table a"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("did you mean 'count'"), std::string::npos) << unknown;
  std::string args = error_of("WITH a AS (SELECT 1 AS x) SELECT x FROM a(1)");
  EXPECT_NE(args.find("WITH query 'a' takes no arguments"), std::string::npos) << args;
}

TEST(With, ATableNameCannotBeShadowed) {
  FixtureCatalog catalog;
  TableSchema plain;
  plain.name = "events";
  plain.columns.push_back(ColumnSchema{"reason", ColumnType::Text, "", false});
  catalog.add(plain);
  auto q = parse_query("WITH events AS (SELECT 1 AS x) SELECT x FROM events");
  ASSERT_TRUE(q.ok());
  auto plan = bind_query(*q, catalog);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().format().find("<query>:1:6: error: WITH query 'events' has the name of a table"),
            std::string::npos)
      << plan.error().format();
}

TEST(With, SyntaxErrors) {
  EXPECT_NE(error_of("WITH a AS (SELECT 1 AS x)").find("expected SELECT after the WITH queries"), std::string::npos);
  EXPECT_NE(error_of("WITH a (SELECT 1) SELECT 1").find("expected AS after the WITH query's name"), std::string::npos);
  EXPECT_NE(error_of("WITH k8s.pods AS (SELECT 1) SELECT 1").find("a WITH query's name is one word"),
            std::string::npos);
  EXPECT_NE(error_of("WITH a AS (SELECT 1 AS x) WITH b AS (SELECT 2) SELECT 1").find("only one WITH clause"),
            std::string::npos);
  // Only a query's outermost SELECT has WITH.
  EXPECT_NE(error_of("SELECT EXISTS (WITH a AS (SELECT 1) SELECT 1 FROM a)").find("<query>:1:16:"), std::string::npos);
}

TEST(With, ACheckQueryUsesItAndLints) {
  auto found = run_check_text(R"(CHECK node-runs-many-pending
  TITLE    "Node has pending pods"
  CATEGORY nodes
  SEVERITY info
  QUERY    WITH pending AS (SELECT p.name, p.metadata.namespace AS ns FROM k8s.pods p WHERE p.status.phase = 'Pending')
           SELECT ns, count(*) AS n FROM pending GROUP BY ns
  OBJECT   "namespace/{ns}"
  MESSAGE  "{n} pending pods in {ns}"
)",
                             "with.kcql");
  ASSERT_TRUE(found.ok()) << found.error().format();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].object, "namespace/jobs");
  EXPECT_EQ((*found)[0].message, "3 pending pods in jobs");
}

}  // namespace
}  // namespace kinspect::kcql::test
