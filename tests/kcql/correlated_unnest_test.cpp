// Subqueries whose FROM unnests an array of the outer row ("some container
// matches"): EXISTS, NOT EXISTS, IN and scalar subqueries run per outer row,
// over pods whose containers are there, missing, NULL, empty or not an array.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

json::array odd_pods() {
  return json::parse(R"([
    {"name": "latest", "namespace": "prod", "metadata": {"name": "latest"}, "spec": {"containers": [
      {"name": "web", "image": "nginx:latest", "env": [{"name": "DEBUG", "value": "1"}]},
      {"name": "side", "image": "busybox:1.36"}]}},
    {"name": "pinned", "namespace": "prod", "metadata": {"name": "pinned"},
     "spec": {"containers": [{"name": "pinned", "image": "nginx:1.27", "env": []}]}},
    {"name": "missing", "namespace": "prod", "metadata": {"name": "missing"}, "spec": {}},
    {"name": "null", "namespace": "prod", "metadata": {"name": "null"}, "spec": {"containers": null}},
    {"name": "empty", "namespace": "dev", "metadata": {"name": "empty"}, "spec": {"containers": []}},
    {"name": "scalar", "namespace": "dev", "metadata": {"name": "scalar"}, "spec": {"containers": "nginx:latest"}},
    {"name": "secret", "namespace": "dev", "metadata": {"name": "secret"}, "spec": {"containers": [
      {"name": "app", "image": "app:2", "env": [{"name": "PASSWORD", "value": "x"}, {"name": "MODE"}]}]}}
  ])").as_array();
}

Strings names(const std::string& where) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", odd_pods());
  auto rs = run("SELECT p.name FROM k8s.pods p WHERE " + where + " ORDER BY 1", {}, &provider);
  Strings out;
  for (const auto& v : column(rs)) out.push_back(json::parse(v).as_string().c_str());
  return out;
}

TEST(CorrelatedUnnest, ExistsFiresOnlyForPodsWithAMatchingContainer) {
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:latest')"),
            (Strings{"latest"}));
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:nope')"), Strings{});
}

TEST(CorrelatedUnnest, NotExistsIsTrueForMissingNullAndEmptyArrays) {
  EXPECT_EQ(names("NOT EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:latest')"),
            (Strings{"empty", "missing", "null", "pinned", "scalar", "secret"}));
  // Without a WHERE: no element, no row. A value that is not an array is a
  // single element, as UNNEST is everywhere else.
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c)"),
            (Strings{"latest", "pinned", "scalar", "secret"}));
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c = 'nginx:latest')"),
            (Strings{"scalar"}));
}

TEST(CorrelatedUnnest, TypeMismatchesAreUnknownNotErrors) {
  // A string compared with a number is NULL: no element qualifies.
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image > 5)"), Strings{});
  // A text column unnests to itself.
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.name) n WHERE n = 'pinned')"), (Strings{"pinned"}));
}

TEST(CorrelatedUnnest, NestedUnnestAndNestedExists) {
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c, UNNEST(c.env) e WHERE e.name = 'PASSWORD')"),
            (Strings{"secret"}));
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c "
                  "WHERE EXISTS (SELECT 1 FROM UNNEST(c.env) e WHERE e.value IS NULL))"),
            (Strings{"secret"}));
  // An empty env inside a container: the container is there, its env rows are not.
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE NOT EXISTS (SELECT 1 FROM UNNEST(c.env) e))"),
            (Strings{"latest", "pinned", "scalar"}));
}

TEST(CorrelatedUnnest, CombinesWithTheOuterWhereAndReadsTheOuterRow) {
  EXPECT_EQ(names("p.namespace = 'prod' AND EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE 'nginx%')"),
            (Strings{"latest", "pinned"}));
  // The inner WHERE compares elements with the outer row.
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.name = p.name)"), (Strings{"pinned"}));
  EXPECT_EQ(names("EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c JOIN UNNEST(c.env) e ON e.name = 'DEBUG' "
                  "AND p.namespace = 'prod')"),
            (Strings{"latest"}));
}

TEST(CorrelatedUnnest, InsideADecorrelatedExistsItReadsTheOutermostRow) {
  // The middle EXISTS is hashed on n.name; the innermost runs per candidate
  // with the pod two levels out in scope.
  auto nested = run("SELECT p.name FROM k8s.pods p WHERE EXISTS (SELECT 1 FROM k8s.nodes n "
                    "WHERE n.name = p.spec.nodeName AND EXISTS "
                    "(SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE 'nginx%' AND n.name IS NOT NULL))");
  auto flat = run("SELECT p.name FROM k8s.pods p WHERE p.spec.nodeName IN (SELECT n.name FROM k8s.nodes n) "
                  "AND EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE 'nginx%')");
  EXPECT_EQ(column(nested), column(flat));
  EXPECT_EQ(column(nested).size(), 2u);
}

TEST(CorrelatedUnnest, ScalarAndInSubqueriesRunPerRow) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", odd_pods());
  auto rs = run("SELECT p.name, (SELECT count(*) FROM UNNEST(p.spec.containers) c) AS n, "
                "(SELECT string_agg(c.name, ',' ORDER BY c.name) FROM UNNEST(p.spec.containers) c) AS list "
                "FROM k8s.pods p ORDER BY 1",
                {}, &provider);
  // empty, latest, missing, null, pinned, scalar (one element, no name), secret.
  EXPECT_EQ(column(rs, 1), (Strings{"0", "2", "0", "0", "1", "1", "1"}));
  EXPECT_EQ(column(rs, 2), (Strings{"null", "\"side,web\"", "null", "null", "\"pinned\"", "null", "\"app\""}));
  EXPECT_EQ(names("'side' IN (SELECT c.name FROM UNNEST(p.spec.containers) c)"), (Strings{"latest"}));
  EXPECT_EQ(names("'side' NOT IN (SELECT c.name FROM UNNEST(p.spec.containers) c)"),
            (Strings{"empty", "missing", "null", "pinned", "secret"}));  // scalar's element has no name: NULL
}

TEST(CorrelatedUnnest, ScalarSubqueryWithManyRowsIsARuntimeError) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", odd_pods());
  std::string e = error_of_with(provider, "SELECT (SELECT c.name FROM UNNEST(p.spec.containers) c) FROM k8s.pods p");
  EXPECT_EQ(e,
            "<query>:1:8: error: a scalar subquery returned 2 rows for one outer row; it must return at most one\n"
            "  SELECT (SELECT c.name FROM UNNEST(p.spec.containers) c) FROM k8s.pods p\n"
            "         ^");
}

TEST(CorrelatedUnnest, ExplainShowsAPerRowSubquery) {
  std::string e = explain_of("SELECT p.metadata.name FROM k8s.pods p WHERE EXISTS "
                             "(SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:latest')");
  EXPECT_NE(e.find("subquery #0 EXISTS (run per outer row: unnests its arrays)"), std::string::npos) << e;
  EXPECT_NE(e.find("unnest p.spec.containers AS c"), std::string::npos) << e;
  EXPECT_NE(e.find("then filter: c.image LIKE '%:latest'"), std::string::npos) << e;
  // The scan fetches only what the subquery reads of the containers.
  EXPECT_NE(e.find("scan k8s.pods() AS p [metadata.name, spec.containers.#, spec.containers.image]"),
            std::string::npos)
      << e;
}

TEST(CorrelatedUnnest, DecorrelatedExistsKeepsItsHashPlan) {
  std::string e = explain_of("SELECT s.name FROM k8s.services s WHERE NOT EXISTS "
                             "(SELECT 1 FROM k8s.pods p WHERE p.namespace = s.namespace)");
  EXPECT_NE(e.find("subquery #0 EXISTS (hash semi-join on p.namespace = s.namespace)"), std::string::npos) << e;
}

TEST(CorrelatedUnnest, ACheckUsesItAndLints) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", odd_pods());
  auto found = run_check_text(R"(CHECK pod-with-latest-image
  TITLE    "Pod runs an image tagged latest"
  CATEGORY workloads
  SEVERITY warning
  FROM     k8s.pods p
  WHERE    EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:latest')
  OBJECT   "pod/{p.namespace}/{p.name}"
  MESSAGE  "{(SELECT string_agg(c.name, ', ') FROM UNNEST(p.spec.containers) c WHERE c.image LIKE '%:latest')} use :latest"
)",
                             "latest.kcql", &provider);
  ASSERT_TRUE(found.ok()) << found.error().format();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].object, "pod/prod/latest");
  EXPECT_EQ((*found)[0].message, "web use :latest");
}

TEST(CorrelatedUnnest, UnionAndOtherCorrelationsAreStillRefused) {
  std::string u = error_of("SELECT p.name FROM k8s.pods p WHERE EXISTS (SELECT 1 FROM UNNEST(p.spec.containers) c "
                           "UNION SELECT 1 FROM UNNEST(p.spec.initContainers) i)");
  EXPECT_NE(u.find("cannot use UNION"), std::string::npos) << u;
  // A scalar subquery over another table is still computed once.
  std::string s = error_of("SELECT (SELECT count(*) FROM k8s.nodes n WHERE n.name = p.spec.nodeName) FROM k8s.pods p");
  EXPECT_NE(s.find("a scalar subquery cannot refer to the outer query"), std::string::npos) << s;
}

}  // namespace
}  // namespace kinspect::kcql::test
