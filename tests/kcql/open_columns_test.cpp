// Tables with open columns (k8s.resource, k8s.objects): every top-level
// field of a row is a column, so fields the plugin could not declare
// (NodeMetrics' usage, a custom resource's spec) are reachable.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

FixtureCatalog open_catalog() {
  FixtureCatalog c;
  TableSchema t;
  t.name = "k8s.things";
  t.columns = {{"apiVersion", ColumnType::Text, "", false},
               {"kind", ColumnType::Text, "", false},
               {"metadata", ColumnType::Json, "", false}};
  t.open_columns = true;
  c.add(t);
  TableSchema closed = t;
  closed.name = "k8s.closed";
  closed.open_columns = false;
  c.add(closed);
  return c;
}

Expected<ResultSet> run_open(const std::string& query) {
  auto q = parse_query(query);
  if (!q) return q.error();
  auto plan = bind_query(*q, open_catalog(), {});
  if (!plan) return plan.error();
  FixtureProvider rows;
  rows.set_rows("k8s.things", boost::json::parse(R"([
    {"apiVersion":"metrics.k8s.io/v1beta1","kind":"NodeMetrics","metadata":{"name":"n1"},"usage":{"cpu":"250m","memory":"1Gi"}},
    {"apiVersion":"metrics.k8s.io/v1beta1","kind":"NodeMetrics","metadata":{"name":"n2"}}])").as_array());
  ExecOptions o;
  o.now = kNow;
  return execute(*plan, rows, o);
}

TEST(OpenColumns, AnUndeclaredFieldIsAJsonColumnWhenQualified) {
  auto rs = run_open("SELECT t.metadata.name, t.usage.cpu, quantity(t.usage.memory) FROM k8s.things t");
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), R"([["n1","250m",1073741824],["n2",null,null]])");
}

TEST(OpenColumns, AWholeUndeclaredColumnAndAMissingOneIsNull) {
  auto rs = run_open("SELECT t.usage, t.spec FROM k8s.things t WHERE t.usage IS NOT NULL");
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), R"([[{"cpu":"250m","memory":"1Gi"},null]])");
}

TEST(OpenColumns, AnUnqualifiedUndeclaredNameIsStillAnError) {
  // Only `alias.field` opens: a bare name could be any table's.
  auto rs = run_open("SELECT usage FROM k8s.things t");
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.error().format().find("usage"), std::string::npos) << rs.error().format();
}

TEST(OpenColumns, AClosedTableStillRefusesAnUnknownColumn) {
  auto rs = run_open("SELECT c.usage FROM k8s.closed c");
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.error().format().find("unknown column 'usage' in table k8s.closed"), std::string::npos)
      << rs.error().format();
}

}  // namespace
}  // namespace kinspect::kcql::test
