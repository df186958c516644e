// Lint warnings for what binds but cannot mean what it says: a comparison
// with NULL, and IN / NOT IN of one array (issue 18). `checks lint --strict`
// turns them into problems (Cli.ChecksLintStrictFailsOnAWarning, tests/apiserver/cli_test.cpp).
#include <gtest/gtest.h>

#include "core/kcql/check.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

std::vector<Diagnostic> warnings_of(const std::string& where) {
  const std::string text = "CHECK c\n  TITLE \"t\"\n  CATEGORY nodes\n  SEVERITY info\n  FROM k8s.nodes n\n  WHERE " +
                           where + "\n  MESSAGE \"{n.name}\"\n";
  auto checks = parse_checks(text, "meaning.kcql");
  EXPECT_TRUE(checks.ok()) << checks.error().format();
  if (!checks.ok()) return {};
  FixtureCatalog catalog;
  std::vector<Diagnostic> warnings;
  auto errors = lint_checks(*checks, catalog, &warnings);
  EXPECT_TRUE(errors.empty()) << errors.front().format();
  return warnings;
}

}  // namespace

TEST(LintMeaning, AComparisonWithNullIsNeverTrue) {
  auto w = warnings_of("n.name = NULL");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("comparison with NULL is never true"), std::string::npos) << w[0].message;
  EXPECT_EQ(w[0].hint, "write x IS NULL");
  EXPECT_EQ(w[0].pos.line, 6u);
  EXPECT_EQ(w[0].pos.column, 16u);  // the operator
  w = warnings_of("NULL != n.name");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].hint, "write x IS NOT NULL");
  EXPECT_TRUE(warnings_of("n.name IS NULL").empty());
  EXPECT_TRUE(warnings_of("coalesce(n.name, 'x') = 'x'").empty());
}

TEST(LintMeaning, InOfOneArrayComparesWithTheWholeArray) {
  auto w = warnings_of("n.name NOT IN (split('a,b', ','))");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("`NOT IN (...)` with one array"), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("always true"), std::string::npos);
  EXPECT_NE(w[0].hint.find("NOT contains(array, x)"), std::string::npos);
  EXPECT_EQ(w[0].pos.column, 24u);  // the array
  w = warnings_of("n.name IN (n.status.addresses[*].address)");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("never true"), std::string::npos);
  // Membership written as meant, and IN of values, are fine; so is an
  // element picked out of a wildcard path.
  EXPECT_TRUE(warnings_of("contains(split('a,b', ','), n.name)").empty());
  EXPECT_TRUE(warnings_of("n.name IN ('a', 'b')").empty());
  EXPECT_TRUE(warnings_of("n.name IN (n.status.addresses[0].address)").empty());
  EXPECT_TRUE(warnings_of("n.name IN ((n.status.addresses[*].address)[0])").empty());
}

TEST(LintMeaning, OneValueCannotEqualTwoConstants) {
  auto w = warnings_of("n.name = 'a' AND n.spec.unschedulable AND n.name = 'b'");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("`n.name` cannot equal both 'a' and 'b': the condition is never true"), std::string::npos)
      << w[0].message;
  EXPECT_EQ(w[0].hint, "write n.name IN ('a', 'b') for either");
  EXPECT_EQ(w[0].pos.column, 58u);  // the second equality's operator
  // Either of two values, the same value twice, or two different expressions are fine.
  EXPECT_TRUE(warnings_of("n.name = 'a' OR n.name = 'b'").empty());
  EXPECT_TRUE(warnings_of("n.name = 'a' AND n.name = 'a'").empty());
  EXPECT_TRUE(warnings_of("n.name = 'a' AND n.metadata.uid = 'b'").empty());
}

TEST(LintMeaning, ASizeIsNeverBelowZero) {
  auto w = warnings_of("array_length(n.spec.taints) < 0");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("never below zero"), std::string::npos) << w[0].message;
  ASSERT_EQ(warnings_of("0 > length(n.name)").size(), 1u);
  EXPECT_TRUE(warnings_of("array_length(n.spec.taints) < 1").empty());
  EXPECT_TRUE(warnings_of("array_length(n.spec.taints) > 0").empty());
}

}  // namespace kinspect::kcql::test
