// A plan fed its first table a range at a time (the runner's shared scans)
// gives exactly the rows, in the same order, as running it whole: joins,
// UNNEST, LEFT JOIN, grouping, DISTINCT, ORDER BY, LIMIT and subqueries.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <thread>

#include "core/kcql/executor.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

std::vector<std::string> whole(const Plan& plan, FixtureProvider& provider) {
  auto rs = execute(plan, provider);
  EXPECT_TRUE(rs.ok()) << (rs.ok() ? "" : rs.error().format());
  std::vector<std::string> out;
  if (rs.ok())
    for (const auto& r : rs->rows) out.push_back(boost::json::serialize(r));
  return out;
}

std::vector<std::string> stepped(const Plan& plan, FixtureProvider& provider, size_t step) {
  ExecOptions options;
  auto run = start_stepped(plan.impl(), provider, options);
  EXPECT_TRUE(run.ok());
  if (!run.ok()) return {};
  size_t rows = (*run)->rows();
  for (size_t b = 0; b < rows; b += step) EXPECT_TRUE((*run)->feed(b, std::min(rows, b + step)));
  std::vector<std::string> out;
  size_t width = plan.impl().root.outputs.size();
  auto done = (*run)->finish([&](const Value* values, const Value*) {
    boost::json::array row;
    for (size_t i = 0; i < width; ++i) row.push_back(to_json(values[i]));
    out.push_back(boost::json::serialize(row));
  });
  EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().format());
  return out;
}

TEST(Stepped, EveryRangeSizeGivesTheWholeRunsRows) {
  const char* queries[] = {
      "SELECT p.name, c.name FROM k8s.pods p, UNNEST(p.spec.containers) c",
      "SELECT p.name, n.name FROM k8s.pods p JOIN k8s.nodes n ON n.metadata.name = p.spec.nodeName "
      "WHERE condition(n, 'Ready').status != 'True'",
      "SELECT p.metadata.namespace, count(*), array_agg(p.name) FROM k8s.pods p GROUP BY 1 ORDER BY 1",
      "SELECT DISTINCT p.metadata.namespace FROM k8s.pods p",
      "SELECT s.name, e.name FROM k8s.services s LEFT JOIN k8s.endpoints e ON e.namespace = s.namespace AND e.name = s.name",
      "SELECT p.name FROM k8s.pods p WHERE NOT EXISTS (SELECT 1 FROM k8s.services s WHERE s.namespace = p.namespace "
      "AND selector_matches(s.spec.selector, p.metadata.labels))",
      "SELECT p.name FROM k8s.pods p WHERE p.name IN (SELECT q.name FROM k8s.pods q WHERE q.status.phase = 'Running') LIMIT 3",
      "SELECT p.name, p.status.phase FROM k8s.pods p ORDER BY p.status.phase DESC, p.name LIMIT 4",
      // A hash join whose build side is a table with an UNNEST of its rows: built once for every range.
      "SELECT p.name, q.name, d.name FROM k8s.pods p, UNNEST(p.spec.containers) c, k8s.pods q, "
      "UNNEST(q.spec.containers) d WHERE c.image = d.image AND p.name <= q.name",
  };
  FixtureCatalog catalog;
  for (const char* text : queries) {
    SCOPED_TRACE(text);
    auto q = parse_query(text);
    ASSERT_TRUE(q.ok()) << q.error().format();
    auto plan = bind_query(*q, catalog);
    ASSERT_TRUE(plan.ok()) << plan.error().format();
    ASSERT_FALSE(steppable_table(plan->impl()).empty()) << plan->explain();
    FixtureProvider provider;
    auto expected = whole(*plan, provider);
    ASSERT_FALSE(expected.empty());
    for (size_t step : {size_t(1), size_t(2), size_t(3), size_t(1000)}) {
      FixtureProvider p2;
      EXPECT_EQ(stepped(*plan, p2, step), expected) << "range size " << step;
    }
  }
}

TEST(Stepped, PlansThatStartWithAnIndexLookupOrNoTableAreNotSteppable) {
  FixtureCatalog catalog;
  for (const char* text : {"SELECT 1", "SELECT p.name FROM k8s.pods p WHERE p.metadata.namespace = 'shop'",
                           "SELECT c FROM UNNEST(json_decode('[1,2]')) AS c"}) {
    auto q = parse_query(text);
    ASSERT_TRUE(q.ok()) << text;
    auto plan = bind_query(*q, catalog);
    ASSERT_TRUE(plan.ok()) << text << ": " << plan.error().format();
    EXPECT_EQ(steppable_table(plan->impl()), "") << text;
  }
}

TEST(Stepped, TimeBudgetCountsOnlyTheRunsOwnSteps) {
  // A run that is fed slowly (other checks take their turn in between)
  // must not run out of time because of them.
  FixtureCatalog catalog;
  auto q = parse_query("SELECT p.name FROM k8s.pods p");
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  FixtureProvider provider;
  ExecOptions options;
  options.time_budget = std::chrono::milliseconds(50);
  options.check_interval = 1;
  auto run = start_stepped(plan->impl(), provider, options);
  ASSERT_TRUE(run.ok());
  size_t rows = (*run)->rows();
  ASSERT_GT(rows, 2u);
  for (size_t b = 0; b < rows; ++b) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // others' turns
    ASSERT_TRUE((*run)->feed(b, b + 1));
  }
  size_t n = 0;
  EXPECT_TRUE((*run)->finish([&](const Value*, const Value*) { ++n; }).ok());
  EXPECT_EQ(n, rows);
}

}  // namespace
}  // namespace kinspect::kcql::test
