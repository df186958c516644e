// LET in check files: a name for an expression, used in WHERE and in the
// templates; LETs using LETs, cycles, syntax errors, NULLs and mismatches.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

std::string check_text(const std::string& clauses) {
  return "CHECK let-demo\n  TITLE \"t\"\n  CATEGORY workloads\n  SEVERITY info\n" + clauses;
}

// The findings' messages, or the error text of parsing or binding.
std::vector<std::string> messages(const std::string& clauses, FixtureProvider* provider = nullptr) {
  auto checks = parse_checks(check_text(clauses), "let.kcql");
  if (!checks) return {checks.error().format()};
  FixtureCatalog catalog;
  auto bound = bind_check((*checks)[0], catalog);
  if (!bound) return {bound.error().format()};
  FixtureProvider local;
  ExecOptions options;
  options.now = kNow;
  auto found = run_check(*bound, provider ? *provider : local, options);
  if (!found) return {found.error().format()};
  std::vector<std::string> out;
  for (const auto& f : *found) out.push_back(f.message);
  return out;
}

std::string first(const std::vector<std::string>& v) { return v.empty() ? std::string() : v.front(); }

TEST(Let, NamesAnExpressionForWhereAndTheMessage) {
  auto m = messages(
      "  LET restarts = coalesce(p.status.containerStatuses[0].restartCount, 0)\n"
      "  FROM k8s.pods p\n"
      "  WHERE restarts > 3\n"
      "  MESSAGE \"{p.name} restarted {restarts} times\"\n");
  ASSERT_EQ(m.size(), 1u) << first(m);
  EXPECT_EQ(m[0], "web-7d4b9c-fghij restarted 7 times");
}

TEST(Let, LetsUseOtherLetsInAnyOrderAndPathsAfterThem) {
  auto m = messages(
      "  LET label = lower(first_container.name) || '@' || p.metadata.namespace\n"
      "  LET first_container = p.spec.containers[0]\n"
      "  FROM k8s.pods p\n"
      "  WHERE first_container.image LIKE 'nginx%'\n"
      "  MESSAGE \"{label}\"\n");
  EXPECT_EQ(m, (std::vector<std::string>{"web@shop", "web@shop"}));
}

TEST(Let, NullsAndTypeMismatchesBehaveAsTheExpressionWould) {
  // NULL renders as <none>; a text compared with a number is NULL, so WHERE drops it.
  auto m = messages(
      "  LET missing = n.spec.nope\n  LET mixed = n.name > 1\n  FROM k8s.nodes n\n"
      "  WHERE n.name = 'worker-c' AND mixed IS NULL\n  MESSAGE \"{missing} {mixed}\"\n");
  EXPECT_EQ(m, (std::vector<std::string>{"<none> <none>"}));
  auto none = messages("  FROM k8s.nodes n\n  WHERE mixed\n  LET mixed = n.name > 1\n  MESSAGE \"x\"\n");
  EXPECT_TRUE(none.empty()) << first(none);
}

TEST(Let, WorksWithTheNewSubqueriesAndWith) {
  FixtureProvider provider;
  auto m = messages(
      "  LET latest = (SELECT count(*) FROM UNNEST(p.spec.containers) c WHERE c.image NOT LIKE '%:%')\n"
      "  QUERY WITH shop AS (SELECT x.name FROM k8s.pods x WHERE x.metadata.namespace = 'shop')\n"
      "        SELECT p.name, p.spec FROM k8s.pods p WHERE latest > 0 AND p.name IN (SELECT name FROM shop)\n"
      "  MESSAGE \"{name}: {latest}\"\n",
      &provider);
  EXPECT_EQ(m, (std::vector<std::string>{"web-7d4b9c-abcde: 1", "web-7d4b9c-fghij: 1", "café-ünïcode-0: 1"}));
}

TEST(Let, ErrorsNameTheLine) {
  std::string cycle = first(messages("  LET a = b + 1\n  LET b = a\n  FROM k8s.pods p\n  WHERE a > 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(cycle.find("let.kcql:6:11: error: LET a refers to itself (a -> b -> a)"), std::string::npos) << cycle;
  std::string no_eq = first(messages("  FROM k8s.pods p\n  LET a 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(no_eq.find("let.kcql:6:9: error: expected '=' and an expression after LET a"), std::string::npos) << no_eq;
  std::string no_name = first(messages("  FROM k8s.pods p\n  LET = 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(no_name.find("expected a name after LET"), std::string::npos) << no_name;
  std::string param = first(messages("  FROM k8s.pods p\n  LET param = 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(param.find("expected a name after LET"), std::string::npos) << param;
  std::string bad = first(messages("  FROM k8s.pods p\n  LET a = 1 +\n  MESSAGE \"x\"\n"));
  EXPECT_NE(bad.find("let.kcql:7:3: error: expected an expression, found end of input"), std::string::npos) << bad;
  std::string twice = first(messages("  FROM k8s.pods p\n  LET a = 1\n  LET a = 2\n  MESSAGE \"{a}\"\n"));
  EXPECT_NE(twice.find("LET a is defined twice"), std::string::npos) << twice;
  // An aggregate in a LET used in WHERE is refused at the LET's expression.
  std::string agg = first(messages("  LET n = count(*)\n  FROM k8s.pods p\n  WHERE n > 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(agg.find("let.kcql:5:11: error: aggregate function count() is not allowed in WHERE"), std::string::npos)
      << agg;
}

TEST(Let, AfterFromWithoutWhereOnlyEndsTheFromClause) {
  std::string e = first(messages("  FROM k8s.pods p\n  LET a = 1\n  WHERE a > 1\n  MESSAGE \"x\"\n"));
  EXPECT_NE(e.find("let.kcql:7:3: error: WHERE after LET: a LET ends the FROM clause of a check"), std::string::npos)
      << e;
}

TEST(Let, AFromAliasWinsOverALetOfTheSameName) {
  auto m = messages("  LET n = 42\n  FROM k8s.nodes n\n  WHERE n.name = 'worker-c'\n  MESSAGE \"{n.name}\"\n");
  EXPECT_EQ(m, (std::vector<std::string>{"worker-c"}));
}

TEST(Let, LintAcceptsIt) {
  auto checks = parse_checks(check_text("  LET phase = p.status.phase\n  FROM k8s.pods p\n  WHERE phase = 'Pending'\n"
                                        "  MESSAGE \"{p.name} is {phase}\"\n"),
                             "let.kcql");
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  FixtureCatalog catalog;
  EXPECT_TRUE(lint_checks(*checks, catalog).empty());
}

}  // namespace
}  // namespace kinspect::kcql::test
