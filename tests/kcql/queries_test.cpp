// Queries as data, in the style of jq's tests: tests/data/kcql/queries.test
// holds `%%QUERY` cases (a query over the fixture tables, a line `---`, then
// the rows it must return, one JSON array per line, in order) and `%%PLAN`
// cases (a query, `---`, then lines that must each appear in its EXPLAIN).
// A new case needs no C++.
#include <gtest/gtest.h>

#include <sstream>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

struct Case {
  std::string mode;  // QUERY or PLAN
  std::string input;
  std::vector<std::string> expected;
  int line = 0;  // in queries.test
};

void PrintTo(const Case& c, std::ostream* os) { *os << "queries.test:" << c.line; }

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::istringstream in(read_file(std::string(KCQL_TEST_DATA) + "/queries.test"));
  std::string line;
  bool in_expected = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind("%%", 0) == 0) {
      cases.push_back(Case{line.substr(2), "", {}, n});
      in_expected = false;
    } else if (cases.empty() || line.rfind("#", 0) == 0) {
      continue;  // the header and comments (an expected row is a JSON array, never a #)
    } else if (!in_expected && line == "---") {
      in_expected = true;
    } else if (in_expected) {
      if (!line.empty()) cases.back().expected.push_back(line);
    } else {
      cases.back().input += line + "\n";
    }
  }
  return cases;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

class QueryCases : public ::testing::TestWithParam<Case> {};

TEST_P(QueryCases, GivesTheExpectedResult) {
  const Case& c = GetParam();
  ASSERT_TRUE(c.mode == "QUERY" || c.mode == "PLAN") << "queries.test:" << c.line << ": unknown case %%" << c.mode;
  if (c.mode == "PLAN") {
    const std::string explain = explain_of(c.input);
    for (const auto& want : c.expected)
      EXPECT_NE(explain.find(want), std::string::npos)
          << "queries.test:" << c.line << ": EXPLAIN lacks\n  " << want << "\nin\n" << explain;
    return;
  }
  ResultSet rs = run(c.input);
  std::vector<std::string> got;
  for (const auto& row : rs.rows) got.push_back(boost::json::serialize(row));
  EXPECT_EQ(got, c.expected) << "queries.test:" << c.line << ": expected\n"
                             << joined(c.expected) << "got\n" << joined(got);
}

INSTANTIATE_TEST_SUITE_P(QueriesTest, QueryCases, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return "line_" + std::to_string(info.param.line);
                         });

TEST(QueriesTest, TheFileHasCasesOfBothKinds) {
  size_t queries = 0, plans = 0;
  for (const auto& c : load_cases()) (c.mode == "QUERY" ? queries : plans)++;
  EXPECT_GE(queries, 20u);
  EXPECT_GE(plans, 5u);
}

}  // namespace
}  // namespace kinspect::kcql::test
