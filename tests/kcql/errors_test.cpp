// Malformed inputs from tests/data/kcql/errors.txt: each must fail with the
// expected message at the expected line:column.
#include <gtest/gtest.h>

#include <sstream>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

struct Case {
  std::string mode;  // query or checks
  std::string input;
  std::vector<std::string> expected;
  int line = 0;  // in errors.txt
};

// Names a case by its place in errors.txt in test output.
void PrintTo(const Case& c, std::ostream* os) { *os << "errors.txt:" << c.line; }

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::istringstream in(read_file(std::string(KCQL_TEST_DATA) + "/errors.txt"));
  std::string line;
  int n = 0;
  bool in_expected = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("%%FAIL", 0) == 0) {
      Case c;
      c.mode = line.size() > 7 ? line.substr(7) : "query";
      c.line = n;
      cases.push_back(std::move(c));
      in_expected = false;
      continue;
    }
    if (cases.empty()) continue;  // the header comment
    if (!in_expected && line == "---") {
      in_expected = true;
      continue;
    }
    if (in_expected) {
      if (!line.empty()) cases.back().expected.push_back(line);
    } else {
      cases.back().input += line + "\n";
    }
  }
  for (auto& c : cases)
    if (!c.input.empty()) c.input.pop_back();  // the newline before ---
  return cases;
}

std::string error_of_checks(const std::string& text) {
  auto checks = parse_checks(text, "<input>");
  if (!checks) return checks.error().format();
  FixtureCatalog catalog;
  std::string out;
  for (const auto& c : *checks) {
    auto bound = bind_check(c, catalog);
    if (!bound) out += bound.error().format() + "\n";
  }
  if (out.empty()) ADD_FAILURE() << "expected an error from the checks:\n" << text;
  return out;
}

class ErrorCases : public ::testing::TestWithParam<Case> {};

TEST_P(ErrorCases, FailsWithMessageAndPosition) {
  const Case& c = GetParam();
  std::string err = c.mode == "checks" ? error_of_checks(c.input) : error_of(c.input);
  for (const auto& want : c.expected)
    EXPECT_NE(err.find(want), std::string::npos)
        << "errors.txt:" << c.line << ": expected\n  " << want << "\nin\n" << err;
}

INSTANTIATE_TEST_SUITE_P(ErrorsTxt, ErrorCases, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return "line_" + std::to_string(info.param.line);
                         });

TEST(ErrorCasesFile, HasEnoughPositionedCases) {
  auto cases = load_cases();
  size_t positioned = 0;
  for (const auto& c : cases) {
    ASSERT_FALSE(c.expected.empty()) << "errors.txt:" << c.line << " has no expectation";
    const std::string& first = c.expected.front();
    // file:line:col: error: ...
    auto colon = first.find(">:");
    if (colon != std::string::npos && std::isdigit(static_cast<unsigned char>(first[colon + 2]))) ++positioned;
  }
  EXPECT_GE(positioned, 30u);
}

TEST(ErrorFormat, ShowsTheLineAndACaret) {
  std::string err = error_of("SELECT n.name\nFROM k8s.nodes n\nWHERE n.metdata.name = 'x'");
  EXPECT_EQ(err,
            "<query>:3:9: error: unknown column 'metdata' in table k8s.nodes\n"
            "  WHERE n.metdata.name = 'x'\n"
            "          ^\n"
            "  hint: did you mean 'metadata'?");
}

TEST(ErrorFormat, ReportsEveryBindErrorAtOnce) {
  auto q = parse_query("SELECT n.nme, lenght(n.name) FROM k8s.nodes n WHERE n.statu IS NULL");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_FALSE(plan.ok());
  ASSERT_EQ(plan.error().diagnostics().size(), 3u) << plan.error().format();
  EXPECT_EQ(plan.error().diagnostics()[0].message, "unknown column 'statu' in table k8s.nodes");
  EXPECT_EQ(plan.error().diagnostics()[1].message, "unknown column 'nme' in table k8s.nodes");
  EXPECT_EQ(plan.error().diagnostics()[2].message, "unknown function 'lenght'");
}

}  // namespace
}  // namespace kinspect::kcql::test
