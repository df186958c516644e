// Ordered aggregates: array_agg(x ORDER BY y [ASC|DESC], ...) and
// string_agg(x, sep ORDER BY y), grouped and not, with ties and NULL keys,
// and the errors for ORDER BY inside other calls.
#include <gtest/gtest.h>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

// Rows {g, v, k}: two groups, a tie on k = 2, a NULL key and a NULL value.
const char* kRows =
    "FROM UNNEST(json_decode('[{\"g\":\"a\",\"v\":\"x\",\"k\":3},{\"g\":\"b\",\"v\":\"y\",\"k\":1},"
    "{\"g\":\"a\",\"v\":\"z\",\"k\":2},{\"g\":\"a\",\"v\":\"w\",\"k\":null},"
    "{\"g\":\"a\",\"v\":\"t\",\"k\":2},{\"g\":\"b\",\"v\":null,\"k\":0}]')) r";

std::string q(const std::string& select, const std::string& rest = "") {
  return "SELECT " + select + " " + kRows + (rest.empty() ? "" : " " + rest);
}

TEST(OrderedAggregate, ArrayAggAscendingPutsNullKeysLastAndKeepsTies) {
  // Ungrouped: y(1) z(2) t(2, after z in the input) x(3) w(NULL key, last);
  // the NULL value (key 0) is skipped as array_agg skips NULLs.
  EXPECT_EQ(scalar(q("array_agg(r.v ORDER BY r.k ASC)")), R"(["y","z","t","x","w"])");
}

TEST(OrderedAggregate, DescendingPutsNullKeysFirst) {
  EXPECT_EQ(scalar(q("array_agg(r.v ORDER BY r.k DESC)")), R"(["w","x","z","t","y"])");
  EXPECT_EQ(scalar(q("string_agg(r.v, ',' ORDER BY r.k DESC)")), R"("w,x,z,t,y")");
}

TEST(OrderedAggregate, GroupedEachGroupSortedOnItsOwn) {
  auto rs = run(q("r.g AS g, array_agg(r.v ORDER BY r.k) AS vs, string_agg(r.v, '-' ORDER BY r.k DESC) AS s",
                  "GROUP BY g ORDER BY g"));
  EXPECT_EQ(column(rs, 1), (Strings{R"(["z","t","x","w"])", R"(["y"])"}));
  EXPECT_EQ(column(rs, 2), (Strings{R"("w-x-z-t")", R"("y")"}));
}

TEST(OrderedAggregate, SeveralKeysAndExpressions) {
  // By k descending, then by v ascending: the tie z/t becomes t, z.
  EXPECT_EQ(scalar(q("array_agg(r.v ORDER BY coalesce(r.k, -1) DESC, r.v)")), R"(["x","t","z","y","w"])");
  // The ordered value need not be the aggregated one; w's NULL k is skipped
  // and the NULL v sorts first descending.
  EXPECT_EQ(scalar(q("array_agg(r.k ORDER BY r.v DESC)")), R"([0,2,1,3,2])");
}

TEST(OrderedAggregate, DistinctKeepsTheFirstOfEqualValuesThenSorts) {
  EXPECT_EQ(scalar(q("array_agg(DISTINCT r.g ORDER BY r.g DESC)")), R"(["b","a"])");
  EXPECT_EQ(scalar(q("string_agg(DISTINCT r.g, '' ORDER BY r.g)")), R"("ab")");
}

TEST(OrderedAggregate, OverNoRowsIsNullOrEmptyAsWithoutOrder) {
  EXPECT_EQ(scalar(q("string_agg(r.v, ',' ORDER BY r.k)", "WHERE r.k > 10")), "null");
  EXPECT_EQ(scalar(q("array_agg(r.v ORDER BY r.k)", "WHERE r.k > 10")),
            scalar(q("array_agg(r.v)", "WHERE r.k > 10")));
}

TEST(OrderedAggregate, OrderByIsRefusedOutsideArrayAggAndStringAgg) {
  std::string e = error_of("SELECT count(r.v ORDER BY r.k)\n" + std::string(kRows));
  EXPECT_NE(e.find("<query>:1:27:"), std::string::npos) << e;
  EXPECT_NE(e.find("only allowed in array_agg() and string_agg()"), std::string::npos) << e;
  e = error_of("SELECT\n  lower('A' ORDER BY 1)");
  EXPECT_NE(e.find("<query>:2:22:"), std::string::npos) << e;
  EXPECT_NE(e.find("lower()"), std::string::npos) << e;
  e = error_of(q("max_by(r.v, r.k ORDER BY r.k)"));
  EXPECT_NE(e.find("max_by()"), std::string::npos) << e;
  // An aggregate inside the key is refused as in any aggregate's argument.
  e = error_of(q("array_agg(r.v ORDER BY count(*))"));
  EXPECT_NE(e.find("count()"), std::string::npos) << e;
  // The key list must be complete.
  e = error_of(q("array_agg(r.v ORDER BY)"));
  EXPECT_NE(e.find("<query>:1:"), std::string::npos) << e;
}

TEST(OrderedAggregate, RendersInExplainAndColumnNames) {
  auto rs = run(q("array_agg(r.v ORDER BY r.k DESC, r.v)"));
  EXPECT_EQ(rs.columns, (Strings{"array_agg(r.v ORDER BY r.k DESC, r.v)"}));
}

}  // namespace
}  // namespace kinspect::kcql::test
