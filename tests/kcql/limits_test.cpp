// Budgets and limits: a runaway query stops with an error, never hangs.
#include <gtest/gtest.h>

#include <chrono>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

FixtureProvider many_pods(size_t n) {
  FixtureProvider provider;
  json::array rows;
  for (size_t i = 0; i < n; ++i) {
    json::object r;
    r["name"] = "pod-" + std::to_string(i);
    r["namespace"] = "ns-" + std::to_string(i % 10);
    r["metadata"] = json::object{{"name", "pod-" + std::to_string(i)}};
    r["spec"] = json::object{{"nodeName", "node-" + std::to_string(i % 50)}};
    r["status"] = json::object{{"phase", i % 7 ? "Running" : "Pending"}};
    rows.push_back(std::move(r));
  }
  provider.set_rows("k8s.pods", std::move(rows));
  return provider;
}

TEST(Limits, CrossJoinStopsAtTheRowBudget) {
  FixtureProvider provider = many_pods(3000);
  ExecOptions options;
  options.row_budget = 200000;
  auto start = std::chrono::steady_clock::now();
  std::string err = error_of_with(provider, "SELECT a.name FROM k8s.pods a, k8s.pods b, k8s.pods c", options);
  // At the FROM item whose rows were being read when the budget ran out:
  // `b`, which makes 9 million pairs with `a`.
  EXPECT_EQ(err,
            "<query>:1:32: error: query exceeded its row budget of 200000 rows\n"
            "  SELECT a.name FROM k8s.pods a, k8s.pods b, k8s.pods c\n"
            "                                 ^");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Limits, NestedLoopStopsAtTheTimeBudget) {
  FixtureProvider provider = many_pods(5000);
  ExecOptions options;
  options.row_budget = UINT64_MAX;
  options.time_budget = std::chrono::milliseconds(200);
  options.label = "check slow-join";
  auto start = std::chrono::steady_clock::now();
  // 25 million pairs, none matching: only the deadline can stop it early.
  std::string err = error_of_with(
      provider, "SELECT a.name FROM k8s.pods a JOIN k8s.pods b ON a.name || '/' || b.name = 'none'", options);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(err,
            "<query>:1:36: error: check slow-join exceeded its time budget of 200ms\n"
            "  SELECT a.name FROM k8s.pods a JOIN k8s.pods b ON a.name || '/' || b.name = 'none'\n"
            "                                     ^");
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(Limits, CorrelatedExistsWithoutEqualityIsBounded) {
  FixtureProvider provider = many_pods(3000);
  ExecOptions options;
  options.row_budget = 100000;
  std::string err = error_of_with(provider,
                                  "SELECT a.name FROM k8s.pods a WHERE NOT EXISTS (SELECT 1 FROM k8s.pods b "
                                  "WHERE b.name || a.name = 'none')",
                                  options);
  // At the EXISTS, whose inner rows every outer row visits.
  EXPECT_EQ(err,
            "<query>:1:41: error: query exceeded its row budget of 100000 rows\n"
            "  SELECT a.name FROM k8s.pods a WHERE NOT EXISTS (SELECT 1 FROM k8s.pods b WHERE b.name || a.name = 'none')\n"
            "                                          ^");
}

TEST(Limits, HashJoinOverThousandsOfRowsIsCheap) {
  FixtureProvider provider = many_pods(20000);
  ExecOptions options;
  options.row_budget = 100000;  // 20000 + 20000 scanned + 20000 matched
  auto rs = run("SELECT count(*) FROM k8s.pods a JOIN k8s.pods b ON a.name = b.name", {}, &provider, options);
  EXPECT_EQ(column(rs), (std::vector<std::string>{"20000"}));
  EXPECT_LE(rs.rows_examined, 60000u);
}

TEST(Limits, DeepNestingIsRefused) {
  std::string deep = "SELECT " + std::string(500, '(') + "1" + std::string(500, ')');
  auto q = parse_query(deep);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().format().find("expression nested too deeply (limit 200)"), std::string::npos);
  std::string nots = "SELECT ";
  for (int i = 0; i < 10000; ++i) nots += "NOT ";
  nots += "TRUE";
  EXPECT_FALSE(parse_query(nots).ok());
  std::string minus = "SELECT " + std::string(10000, '-') + "1";
  EXPECT_FALSE(parse_query(minus).ok());
  // Long operator chains are as deep as they are long.
  std::string sum = "SELECT 1";
  for (int i = 0; i < 100000; ++i) sum += "+1";
  EXPECT_FALSE(parse_query(sum).ok());
  std::string path = "SELECT p.spec";
  for (int i = 0; i < 100000; ++i) path += "[*]";
  EXPECT_FALSE(parse_query(path + " FROM k8s.pods p").ok());
  std::string ors = "SELECT 1 FROM k8s.pods p WHERE p.name = 'a'";
  for (int i = 0; i < 150; ++i) ors += " OR p.name = 'a'";
  EXPECT_TRUE(parse_query(ors).ok());  // a realistic chain is fine
  std::string subqueries = "SELECT 1 FROM k8s.pods p WHERE ";
  for (int i = 0; i < 200; ++i) subqueries += "EXISTS (SELECT 1 FROM k8s.pods p" + std::to_string(i) + " WHERE ";
  EXPECT_FALSE(parse_query(subqueries + "TRUE").ok());
}

TEST(Limits, QuerySizeIsLimited) {
  ParseLimits limits;
  limits.max_bytes = 100;
  auto q = parse_query("SELECT '" + std::string(200, 'x') + "'", "<query>", limits);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("query is too large (209 bytes, limit 100)"), std::string::npos);
}

TEST(Limits, FilterScratchMemoryIsReleased) {
  FixtureProvider provider = many_pods(20000);
  auto q = parse_query("SELECT count(*) FROM k8s.pods p WHERE lower(p.name || p.namespace || p.spec.nodeName) = 'x'");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  auto rs = execute(*plan, provider);
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(column(*rs), (std::vector<std::string>{"0"}));
}

TEST(Limits, ProviderErrorsAreReported) {
  FixtureCatalog catalog;
  TableSchema t;
  t.name = "k8s.missing";
  t.columns = {{"name", ColumnType::Text, "", false}};
  catalog.add(t);
  auto q = parse_query("SELECT name FROM k8s.missing");
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  FixtureProvider provider;
  auto rs = execute(*plan, provider);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().message(), "fetching k8s.missing(): no fixture rows for k8s.missing");
}

}  // namespace
}  // namespace kinspect::kcql::test
