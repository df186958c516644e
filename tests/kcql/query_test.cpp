// Queries over the fixture cluster: every construct of the language.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

TEST(Query, SelectPathsFromOneTable) {
  auto rs = run("SELECT n.metadata.name, n.status.nodeInfo.kubeletVersion AS kubelet FROM k8s.nodes n");
  EXPECT_EQ(rs.columns, (Strings{"name", "kubelet"}));
  EXPECT_EQ(column(rs), (Strings{"\"cp-1\"", "\"worker-a\"", "\"worker-b\"", "\"worker-c\""}));
  EXPECT_EQ(column(rs, 1)[2], "\"v1.27.9-eks-5e0fdde\"");
}

TEST(Query, UnqualifiedColumnsWhenUnambiguous) {
  auto rs = run("SELECT metadata.name FROM k8s.nodes WHERE spec.unschedulable");
  EXPECT_EQ(column(rs), (Strings{"\"worker-c\""}));
}

TEST(Query, SelectStarAndAliasStar) {
  auto rs = run("SELECT * FROM k8s.version");
  EXPECT_EQ(rs.columns, (Strings{"gitVersion", "platform", "buildDate"}));
  auto hidden = run("SELECT * FROM k8s.secrets s WHERE s.name = 'app-config'");
  EXPECT_EQ(hidden.columns, (Strings{"name", "namespace", "type", "metadata"}));  // data is hidden
  auto qualified = run("SELECT v.*, 1 AS one FROM k8s.version v");
  EXPECT_EQ(qualified.columns, (Strings{"gitVersion", "platform", "buildDate", "one"}));
}

TEST(Query, SelectWithoutFrom) {
  EXPECT_EQ(scalar("SELECT 1 + 2"), "3");
  EXPECT_EQ(scalar("SELECT 'a' || 'b'"), "\"ab\"");
}

TEST(Query, MissingFieldsAreNull) {
  auto rs = run("SELECT n.metadata.nope.deeper, n.status.addresses[7].address, n.metadata.name.x FROM k8s.nodes n LIMIT 1");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), "[null,null,null]");
}

TEST(Query, BracketKeysAndIndexes) {
  auto rs = run("SELECT p.metadata.labels['app.kubernetes.io/name'], p.spec.containers[0].ports[0].containerPort, "
                "p.spec.containers[-1].name FROM k8s.pods p WHERE p.name = 'web-7d4b9c-abcde'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"(["web",80,"log-shipper"])");
}

TEST(Query, WildcardFlattens) {
  auto rs = run("SELECT p.spec.containers[*].image, p.spec.containers[*].ports[*].containerPort "
                "FROM k8s.pods p WHERE p.name LIKE 'coredns%'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"([["registry.k8s.io/coredns/coredns:v1.11.1"],[53,9153]])");
  EXPECT_EQ(scalar("SELECT n.metadata.labels[*] FROM k8s.nodes n WHERE n.name = 'worker-a'"),
            R"(["worker-a","linux"])");
}

TEST(Query, ArrayFilterYieldsFirstMatch) {
  auto rs = run("SELECT p.status.containerStatuses[name = 'web'].restartCount AS restarts, "
                "p.status.containerStatuses[restartCount > 0].name AS first_restarted "
                "FROM k8s.pods p WHERE p.name = 'web-7d4b9c-fghij'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"([7,"web"])");
  // `@` is the element itself; names of FROM aliases still mean the row.
  auto args = run("SELECT p.spec.containers[0].args[@ LIKE '-%'] FROM k8s.pods p WHERE p.name LIKE 'coredns%'");
  EXPECT_EQ(column(args), (Strings{"\"-conf\""}));
  auto correlated = run("SELECT p.name FROM k8s.pods p WHERE p.spec.containers[image = p.status.containerStatuses[0].image] IS NOT NULL");
  EXPECT_EQ(column(correlated), (Strings{"\"web-7d4b9c-abcde\"", "\"web-7d4b9c-fghij\"", "\"cart-5f6d7-xyz12\"",
                                         "\"coredns-76f75df574-4bz2k\"", "\"kube-proxy-h7j8k\""}));
}

// Inside [...] a bare name is the element's field even when a FROM alias has
// that name; before, the outer alias won and the filter silently matched nothing.
TEST(Query, ElementFieldsWinOverOuterAliasesInsideBrackets) {
  auto rs = run("SELECT p.status.containerStatuses[name = 'web'].restartCount FROM k8s.pods p, "
                "UNNEST(p.spec.containers) name WHERE p.name = 'web-7d4b9c-fghij' AND name.name = 'web'");
  EXPECT_EQ(column(rs), (Strings{"7"}));
  auto c = run(R"(SELECT json_decode('[{"c":1,"v":"a"},{"c":2,"v":"b"}]')[c = 2].v FROM UNNEST(json_decode('[5]')) c)");
  EXPECT_EQ(column(c), (Strings{"\"b\""}));
  // alias.field still reaches the outer row.
  auto outer = run("SELECT p.status.containerStatuses[name = c.name].restartCount FROM k8s.pods p, "
                   "UNNEST(p.spec.containers) c WHERE p.name = 'web-7d4b9c-fghij' ORDER BY 1");
  EXPECT_EQ(column(outer).front(), "0");
}

// Parentheses end a [*]: a step after them applies to the array the path
// gave, so "does any element match" is written (xs[*].y)[pred]. Before, the
// step applied to each element and gave [] (never NULL), so `IS NOT NULL`
// held for every row.
TEST(Query, ParenthesesEndAWildcard) {
  EXPECT_EQ(scalar(R"(SELECT (json_decode('[{"a":1},{"a":2}]')[*].a)[0])"), "1");
  EXPECT_EQ(scalar(R"(SELECT (json_decode('[{"a":1},{"a":2}]')[*].a)[-1])"), "2");
  EXPECT_EQ(scalar(R"(SELECT json_decode('[{"a":1},{"a":2}]')[*].a[0])"), "[]");  // unchanged without them
  auto any = run("SELECT p.name FROM k8s.pods p WHERE (p.spec.containers[*].ports[*])[containerPort = 53] IS NOT NULL");
  EXPECT_EQ(column(any), (Strings{"\"coredns-76f75df574-4bz2k\""}));
  auto none = run("SELECT p.name FROM k8s.pods p WHERE (p.spec.containers[*].ports[*])[containerPort = 5353] IS NOT NULL");
  EXPECT_TRUE(none.rows.empty());
}

// A bracket whose expression does not read the element is a key or an index
// computed from the row, not a filter that silently gave NULL.
TEST(Query, ComputedKeysAndIndexes) {
  EXPECT_EQ(scalar(R"(SELECT json_decode('{"name":1}')[lower('NAME')])"), "1");
  EXPECT_EQ(scalar(R"(SELECT json_decode('{"a.b/c":2}')['a.b' || '/c'])"), "2");
  EXPECT_EQ(scalar("SELECT json_decode('[5,6,7]')[1 + 1]"), "7");
  EXPECT_EQ(scalar("SELECT json_decode('[5,6,7]')[0 - 1]"), "7");
  EXPECT_EQ(scalar("SELECT json_decode('[5,6,7]')[@ > 5]"), "6");  // still a filter: it reads the element
  EXPECT_EQ(scalar(R"(SELECT json_decode('{"a":1}')[1])"), "null");  // an index into an object is NULL
  auto label = run("SELECT n.name, n.metadata.labels['kubernetes.io/' || 'os'] AS os FROM k8s.nodes n WHERE n.name = 'worker-a'");
  EXPECT_EQ(json::serialize(label.rows.at(0)), R"(["worker-a","linux"])");
}

TEST(Query, WhereThreeValuedLogic) {
  // spec.podCIDR is null on no node; unschedulable is false or true.
  EXPECT_EQ(run("SELECT 1 FROM k8s.nodes n WHERE n.metadata.missing = 'x'").rows.size(), 0u);
  EXPECT_EQ(run("SELECT 1 FROM k8s.nodes n WHERE NOT (n.metadata.missing = 'x')").rows.size(), 0u);
  EXPECT_EQ(run("SELECT 1 FROM k8s.nodes n WHERE n.metadata.missing = 'x' OR TRUE").rows.size(), 4u);
  EXPECT_EQ(scalar("SELECT NULL AND FALSE"), "false");
  EXPECT_EQ(scalar("SELECT NULL OR TRUE"), "true");
  EXPECT_EQ(scalar("SELECT NULL AND TRUE"), "null");
  EXPECT_EQ(scalar("SELECT NOT NULL"), "null");
  EXPECT_EQ(scalar("SELECT 1 IN (2, NULL)"), "null");
  EXPECT_EQ(scalar("SELECT 1 NOT IN (2, 3)"), "true");
  EXPECT_EQ(scalar("SELECT NULL IS NULL"), "true");
  EXPECT_EQ(scalar("SELECT 3 BETWEEN 1 AND 5"), "true");
  EXPECT_EQ(scalar("SELECT 3 NOT BETWEEN 1 AND NULL"), "null");
}

TEST(Query, TypeMismatchesAreNullOrFalse) {
  EXPECT_EQ(scalar("SELECT 1 = '1'"), "false");
  EXPECT_EQ(scalar("SELECT 1 != '1'"), "true");
  EXPECT_EQ(scalar("SELECT 1 < 'a'"), "null");
  EXPECT_EQ(scalar("SELECT 1 + 'a'"), "null");
  EXPECT_EQ(scalar("SELECT 'x' LIKE 1"), "null");
  EXPECT_EQ(scalar("SELECT 1 = 1.0"), "true");
  EXPECT_EQ(scalar("SELECT NOT 'yes'"), "null");
}

TEST(Query, Arithmetic) {
  EXPECT_EQ(scalar("SELECT 7 / 2"), "3.5E0");
  EXPECT_EQ(scalar("SELECT 8 / 2"), "4");
  EXPECT_EQ(scalar("SELECT 7 % 3"), "1");
  EXPECT_EQ(scalar("SELECT 1 / 0"), "null");
  EXPECT_EQ(scalar("SELECT -(2 * 3) + 1"), "-5");
  EXPECT_EQ(scalar("SELECT 9223372036854775807 + 1"), "9.223372036854776E18");
  EXPECT_EQ(scalar("SELECT 'n=' || 3 || ' ok=' || TRUE"), "\"n=3 ok=true\"");
  EXPECT_EQ(scalar("SELECT 'x' || NULL"), "null");
}

TEST(Query, CaseWhen) {
  auto rs = run("SELECT CASE condition(n, 'Ready').status WHEN 'True' THEN 'ok' WHEN 'False' THEN 'down' ELSE 'unknown' END, "
                "CASE WHEN n.spec.unschedulable THEN 'cordoned' END FROM k8s.nodes n");
  EXPECT_EQ(column(rs), (Strings{"\"ok\"", "\"ok\"", "\"down\"", "\"unknown\""}));
  EXPECT_EQ(column(rs, 1), (Strings{"null", "null", "null", "\"cordoned\""}));
}

TEST(Query, LikeIsUnicodeAware) {
  auto rs = run("SELECT p.name FROM k8s.pods p WHERE p.name LIKE 'caf_-%'");
  EXPECT_EQ(column(rs), (Strings{"\"café-ünïcode-0\""}));
  EXPECT_EQ(scalar("SELECT 'abc' LIKE 'a%c'"), "true");
  EXPECT_EQ(scalar("SELECT 'abc' NOT LIKE '%b'"), "true");
  EXPECT_EQ(scalar("SELECT '100%' LIKE '100%'"), "true");
}

TEST(Query, InnerHashJoinOnExpressions) {
  FixtureProvider provider;
  auto rs = run("SELECT p.name, n.status.nodeInfo.kubeletVersion FROM k8s.pods p JOIN k8s.nodes n "
                "ON n.metadata.name = p.spec.nodeName WHERE p.metadata.namespace = 'kube-system'",
                {}, &provider);
  EXPECT_EQ(column(rs), (Strings{"\"coredns-76f75df574-4bz2k\"", "\"kube-proxy-h7j8k\""}));
  EXPECT_EQ(column(rs, 1), (Strings{"\"v1.29.3\"", "\"v1.27.9-eks-5e0fdde\""}));
  // Projection: each table is asked for just the paths the query reads.
  ASSERT_EQ(provider.requests.size(), 2u);
  EXPECT_EQ(provider.requests[0].paths, (Strings{"metadata.namespace", "name", "spec.nodeName"}));
  EXPECT_EQ(provider.requests[1].paths, (Strings{"metadata.name", "status.nodeInfo.kubeletVersion"}));
}

// IS [NOT] NULL on a plain path asks only for the value's shell ("#"): a
// container's probes are not fetched whole to learn that they are there.
TEST(Query, IsNullReadsOnlyWhetherAValueIsThere) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", json::parse(R"([
    {"metadata":{"name":"probed"},"spec":{"containers":[{"name":"a","livenessProbe":{"exec":{"command":["true"]}}}]}},
    {"metadata":{"name":"null-probe"},"spec":{"containers":[{"name":"b","livenessProbe":null}]}},
    {"metadata":{"name":"no-probe"},"spec":{"containers":[{"name":"c"}]}},
    {"metadata":{"name":"odd-probe"},"spec":{"containers":[{"name":"d","livenessProbe":"yes"}]}}])").as_array());
  auto rs = run("SELECT c.name FROM k8s.pods p, UNNEST(p.spec.containers) c WHERE c.livenessProbe IS NULL", {},
                &provider);
  EXPECT_EQ(column(rs), (Strings{"\"b\"", "\"c\""}));
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].paths,
            (Strings{"spec.containers.#", "spec.containers.livenessProbe.#", "spec.containers.name"}));
  rs = run("SELECT p.metadata.name FROM k8s.pods p WHERE p.spec.containers[0].livenessProbe IS NOT NULL", {}, &provider);
  EXPECT_EQ(column(rs), (Strings{"\"probed\"", "\"odd-probe\""}));
  // Read for anything else too, the value is fetched whole (the shell is then
  // not asked for).
  rs = run("SELECT c.livenessProbe FROM k8s.pods p, UNNEST(p.spec.containers) c WHERE c.livenessProbe IS NOT NULL", {},
           &provider);
  EXPECT_EQ(column(rs), (Strings{R"({"exec":{"command":["true"]}})", "\"yes\""}));
  EXPECT_EQ(provider.requests.back().paths,
            (Strings{"spec.containers.#", "spec.containers.livenessProbe"}));
}

TEST(Query, CommaJoinWithWhereEqualityIsHashed) {
  auto q = parse_query("SELECT p.name FROM k8s.nodes n, k8s.pods p WHERE n.metadata.name = p.spec.nodeName AND "
                       "condition(n, 'Ready').status != 'True'");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  EXPECT_NE(plan->explain().find("hash join"), std::string::npos) << plan->explain();
  FixtureProvider provider;
  auto rs = execute(*plan, provider);
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(column(*rs), (Strings{"\"web-7d4b9c-fghij\"", "\"kube-proxy-h7j8k\""}));
}

TEST(Query, LeftJoinKeepsUnmatchedRows) {
  auto rs = run("SELECT s.name, e.name AS endpoints FROM k8s.services s LEFT JOIN k8s.endpoints e "
                "ON e.namespace = s.namespace AND e.name = s.name WHERE s.namespace = 'shop' ORDER BY s.name");
  EXPECT_EQ(column(rs), (Strings{"\"cart\"", "\"checkout\"", "\"external-db\"", "\"web\""}));
  EXPECT_EQ(column(rs, 1), (Strings{"\"cart\"", "\"checkout\"", "null", "\"web\""}));
  // A WHERE condition on the right side sees the NULL-extended rows.
  auto missing = run("SELECT s.name FROM k8s.services s LEFT JOIN k8s.endpoints e ON e.name = s.name "
                     "WHERE e.name IS NULL");
  EXPECT_EQ(column(missing), (Strings{"\"external-db\""}));
}

TEST(Query, JoinWithNonEquiConditionUsesNestedLoop) {
  auto rs = run("SELECT a.name, b.name FROM k8s.nodes a JOIN k8s.nodes b ON a.name < b.name "
                "WHERE a.name LIKE 'worker%' ORDER BY 1, 2");
  EXPECT_EQ(rs.rows.size(), 3u);
}

TEST(Query, CidrContainsJoinUsesANetworkIndexWithTheSameAnswer) {
  // Nodes whose addresses fall into other nodes' pod CIDRs, with prefixes of
  // several lengths, both families, a CIDR that does not parse and one node
  // without a CIDR. The indexed join must give exactly the rows that testing
  // every pair gives (`= true` hides the call from the index).
  FixtureProvider provider;
  boost::json::array nodes;
  auto node = [&](const char* name, const char* cidr, boost::json::array addresses) {
    boost::json::object n{{"name", name}, {"metadata", {{"name", name}}}};
    n["spec"] = cidr ? boost::json::object{{"podCIDR", cidr}} : boost::json::object{};
    boost::json::array addrs;
    for (auto& a : addresses) addrs.push_back({{"type", "InternalIP"}, {"address", a}});
    n["status"] = {{"addresses", addrs}};
    nodes.push_back(n);
  };
  node("a", "10.244.0.0/24", {"10.0.0.1"});
  node("b", "10.0.0.0/16", {"10.244.0.7"});            // inside a's /24
  node("c", "10.0.0.0/8", {"10.1.2.3", "fd00::1"});    // 10.1.2.3 inside c's own /8
  node("d", "fd00::/64", {"192.168.1.1"});
  node("e", "not-a-cidr", {"10.0.5.5"});               // inside b's /16 and c's /8
  node("f", nullptr, {"fd00::2:1"});                   // inside d's /64
  provider.set_rows("k8s.nodes", nodes);
  const std::string from = "FROM k8s.nodes n, UNNEST(n.status.addresses) a, k8s.nodes m WHERE a.type = 'InternalIP' AND ";
  auto q = parse_query("SELECT n.name, a.address, m.name " + from + "cidr_contains(m.spec.podCIDR, a.address) ORDER BY 1, 2, 3");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok()) << plan.error().format();
  EXPECT_NE(plan->explain().find("network-index join"), std::string::npos) << plan->explain();
  auto indexed = execute(*plan, provider);
  ASSERT_TRUE(indexed.ok()) << indexed.error().format();
  auto pairwise = run("SELECT n.name, a.address, m.name " + from + "cidr_contains(m.spec.podCIDR, a.address) = true ORDER BY 1, 2, 3",
                      {}, &provider);
  ASSERT_EQ(indexed->rows.size(), pairwise.rows.size());
  for (size_t i = 0; i < pairwise.rows.size(); ++i)
    EXPECT_EQ(boost::json::serialize(indexed->rows[i]), boost::json::serialize(pairwise.rows[i]));
  std::vector<std::string> got;
  for (const auto& r : indexed->rows) got.push_back(boost::json::serialize(r));
  EXPECT_EQ(got, (Strings{R"(["a","10.0.0.1","b"])", R"(["a","10.0.0.1","c"])", R"(["b","10.244.0.7","a"])",
                          R"(["b","10.244.0.7","c"])", R"(["c","10.1.2.3","c"])", R"(["c","fd00::1","d"])",
                          R"(["e","10.0.5.5","b"])", R"(["e","10.0.5.5","c"])", R"(["f","fd00::2:1","d"])"}));
}

TEST(Query, EqualityOnAFieldReadsOnlyTheIndexedRows) {
  // The same question with and without an indexable equality: same rows,
  // and EXPLAIN names the index. Values of other kinds (a number 1 versus
  // the text '1') and missing fields never match.
  FixtureProvider provider;
  boost::json::array rows;
  auto pod = [&](const char* name, boost::json::value ns, boost::json::value app) {
    boost::json::object labels;
    if (!app.is_null()) labels["app"] = app;
    rows.push_back({{"name", name}, {"namespace", ns}, {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}}});
  };
  pod("a", "kube-system", "dns");
  pod("b", "shop", "web");
  pod("c", "kube-system", "proxy");
  pod("d", 1, "dns");
  pod("e", "shop", nullptr);
  pod("f", "kube-system", "dns");
  provider.set_rows("k8s.pods", rows);
  auto names = [&](const std::string& where) {
    std::vector<std::string> out;
    for (const auto& r : run("SELECT p.metadata.name FROM k8s.pods p WHERE " + where, {}, &provider).rows)
      out.push_back(std::string(r[0].as_string()));
    return out;
  };
  EXPECT_EQ(names("p.metadata.namespace = 'kube-system' AND p.metadata.labels.app = 'dns'"), (Strings{"a", "f"}));
  EXPECT_EQ(names("coalesce(p.metadata.namespace, '') = 'kube-system' AND coalesce(p.metadata.labels.app, '') = 'dns'"),
            (Strings{"a", "f"}));
  EXPECT_EQ(names("p.metadata.labels.app IN ('web', 'proxy')"), (Strings{"b", "c"}));
  EXPECT_EQ(names("p.metadata.namespace = '1'"), Strings{});
  EXPECT_EQ(names("'shop' = p.metadata.namespace"), (Strings{"b", "e"}));
  auto q = parse_query("SELECT 1 FROM k8s.pods p WHERE p.metadata.namespace = 'kube-system' AND p.metadata.labels.app = 'dns'");
  ASSERT_TRUE(q.ok());
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->explain().find("index lookup: p.metadata.labels.app = 'dns'"), std::string::npos) << plan->explain();
}

// What a plan asks its scans to narrow to (pushed to the plugin): the
// lookups every FROM item on the table agrees on, nothing else.
TEST(Query, ConstraintsPushedToScans) {
  auto pushed = [](const std::string& q) {
    auto parsed = parse_query(q);
    EXPECT_TRUE(parsed.ok()) << q;
    FixtureCatalog catalog;
    auto plan = bind_query(*parsed, catalog);
    EXPECT_TRUE(plan.ok()) << q;
    std::string out;
    for (const auto& s : plan->scans())
      for (const auto& c : s.constraints) out += (out.empty() ? "" : "; ") + s.table + ": " + c.text();
    return out;
  };
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.pods p WHERE p.metadata.namespace = 'shop' AND p.metadata.labels['app.kubernetes.io/name'] IN ('web', 'db')"),
            "k8s.pods: metadata.labels.app.kubernetes.io/name IN ('db', 'web'); k8s.pods: metadata.namespace = 'shop'");
  // The narrower of two on one path; functions and OR are not pushed.
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.pods p WHERE p.metadata.namespace IN ('a', 'b') AND p.metadata.namespace = 'a'"),
            "k8s.pods: metadata.namespace = 'a'");
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.pods p WHERE lower(p.metadata.namespace) = 'a' OR p.metadata.name = 'x'"), "");
  // A self-join reads the table for both: only what both constrain, widened.
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.pods a JOIN k8s.pods b ON a.spec.nodeName = b.spec.nodeName "
                   "WHERE a.metadata.namespace = 'x' AND b.metadata.namespace = 'y' AND a.metadata.name = 'n'"),
            "k8s.pods: metadata.namespace IN ('x', 'y')");
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.pods a WHERE a.metadata.namespace = 'x' AND EXISTS "
                   "(SELECT 1 FROM k8s.pods b WHERE b.spec.nodeName = a.spec.nodeName)"),
            "");
  // The nullable side of a LEFT JOIN is not narrowed by WHERE.
  EXPECT_EQ(pushed("SELECT 1 FROM k8s.nodes n LEFT JOIN k8s.pods p ON p.spec.nodeName = n.metadata.name "
                   "WHERE p.metadata.namespace = 'x'"),
            "");
  // EXPLAIN says it.
  auto q = parse_query("SELECT 1 FROM k8s.pods p WHERE p.metadata.namespace = 'shop'");
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->explain().find("pushed to the source: metadata.namespace = 'shop'"), std::string::npos) << plan->explain();
}

// Pushed or not, the answer is the same: the executor filters anyway.
TEST(Query, ProviderIgnoringConstraintsGivesTheSameAnswer) {
  EXPECT_EQ(column(run("SELECT p.name FROM k8s.pods p WHERE p.metadata.namespace = 'shop' ORDER BY p.name")),
            column(run("SELECT p.name FROM k8s.pods p WHERE lower(p.metadata.namespace) = 'shop' ORDER BY p.name")));
}

TEST(Query, UnnestOneRowPerElement) {
  auto rs = run("SELECT p.name, c.name, c.resources.limits.memory FROM k8s.pods p, UNNEST(p.spec.containers) AS c "
                "WHERE p.metadata.namespace = 'shop' AND c.resources.limits IS NULL");
  EXPECT_EQ(column(rs, 1), (Strings{"\"log-shipper\"", "\"log-shipper\""}));
  auto scalars = run("SELECT a FROM k8s.pods p, UNNEST(p.spec.containers[0].args) AS a WHERE p.name LIKE 'coredns%'");
  EXPECT_EQ(column(scalars), (Strings{"\"-conf\"", "\"/etc/coredns/Corefile\""}));
}

TEST(Query, LeftUnnestKeepsRowsWithEmptyArrays) {
  auto inner = run("SELECT p.name FROM k8s.pods p, UNNEST(p.status.containerStatuses) cs WHERE p.metadata.namespace = 'jobs'");
  EXPECT_TRUE(inner.rows.empty());
  auto outer = run("SELECT p.name, cs.name FROM k8s.pods p LEFT JOIN UNNEST(p.status.containerStatuses) AS cs "
                   "WHERE p.metadata.namespace = 'jobs'");
  EXPECT_EQ(outer.rows.size(), 3u);
  EXPECT_EQ(column(outer, 1), (Strings{"null", "null", "null"}));
}

TEST(Query, ExistsAndNotExistsAreDecorrelated) {
  const char* q =
      "SELECT s.name FROM k8s.services s WHERE s.spec.selector IS NOT NULL AND NOT EXISTS ("
      "  SELECT 1 FROM k8s.pods p WHERE p.metadata.namespace = s.namespace AND "
      "  selector_matches(s.spec.selector, p.metadata.labels))";
  auto rs = run(q);
  EXPECT_EQ(column(rs), (Strings{"\"checkout\"", "\"policy-webhook\""}));
  auto parsed = parse_query(q);
  FixtureCatalog catalog;
  auto plan = bind_query(*parsed, catalog);
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->explain().find("hash semi-join on p.metadata.namespace = s.namespace"), std::string::npos)
      << plan->explain();
  auto with = run("SELECT n.name FROM k8s.nodes n WHERE EXISTS (SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name "
                  "AND p.status.phase = 'Running') ORDER BY n.name");
  EXPECT_EQ(column(with), (Strings{"\"cp-1\"", "\"worker-a\"", "\"worker-b\""}));
}

// A decorrelated EXISTS with selector_matches probes the inner rows by label
// pair: a Service-style map's pairs, or a LabelSelector's matchLabels (its
// matchExpressions then tested on those rows). The answers equal those of the
// same test made row by row (wrapped in coalesce, which the index does not
// take), whatever the selector: empty, matchExpressions only, a pair no pod
// carries, a pair with a failing expression, a plain map.
TEST(Query, SelectorIndexAnswersAsTheFunctionDoes) {
  const std::string selectors = R"([
    {"n": "match-labels", "ns": "shop", "s": {"matchLabels": {"app": "web"}}},
    {"n": "match-labels-and-expression", "ns": "shop",
     "s": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]}]}},
    {"n": "expression-fails", "ns": "shop",
     "s": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}},
    {"n": "two-pairs-one-missing", "ns": "shop", "s": {"matchLabels": {"app": "web", "tier": "backend"}}},
    {"n": "no-pod-carries", "ns": "shop", "s": {"matchLabels": {"app": "gone"}}},
    {"n": "other-namespace", "ns": "jobs", "s": {"matchLabels": {"app": "web"}}},
    {"n": "empty-selects-all", "ns": "jobs", "s": {}},
    {"n": "empty-match-labels", "ns": "jobs", "s": {"matchLabels": {}}},
    {"n": "expressions-only", "ns": "shop", "s": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}},
    {"n": "does-not-exist", "ns": "kube-system",
     "s": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}},
    {"n": "plain-map", "ns": "shop", "s": {"app": "cart"}},
    {"n": "unicode", "ns": "shop", "s": {"matchLabels": {"app": "caf\u00e9"}}}
  ])";
  auto answer = [&](const std::string& test) {
    return column(run("SELECT x.n FROM UNNEST(json_decode('" + selectors + "')) AS x WHERE EXISTS (SELECT 1 FROM "
                      "k8s.pods p WHERE p.metadata.namespace = x.ns AND " + test + ") ORDER BY x.n"));
  };
  const Strings indexed = answer("selector_matches(x.s, p.metadata.labels)");
  EXPECT_EQ(indexed, answer("coalesce(selector_matches(x.s, p.metadata.labels), FALSE)"));
  // The pods' table's own label index answers the first; with a filter on
  // the pods the subquery indexes the rows it kept, and answers the same.
  EXPECT_EQ(indexed, answer("p.metadata.name IS NOT NULL AND selector_matches(x.s, p.metadata.labels)"));
  EXPECT_EQ(indexed, (Strings{"\"does-not-exist\"", "\"empty-match-labels\"", "\"empty-selects-all\"",
                              "\"expressions-only\"", "\"match-labels\"", "\"match-labels-and-expression\"",
                              "\"plain-map\"", "\"unicode\""}));
}

TEST(Query, NestedCorrelationThroughTwoSubqueries) {
  // Nodes hosting a pod of a namespace that has a Service: the innermost
  // subquery refers to the outer subquery's pod.
  auto rs = run("SELECT n.name FROM k8s.nodes n WHERE EXISTS (SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name "
                "AND EXISTS (SELECT 1 FROM k8s.services s WHERE s.namespace = p.metadata.namespace AND s.name = 'kube-dns')) "
                "ORDER BY n.name");
  EXPECT_EQ(column(rs), (Strings{"\"cp-1\"", "\"worker-b\""}));
  // ...and to the outermost query.
  auto deep = run("SELECT n.name FROM k8s.nodes n WHERE EXISTS (SELECT 1 FROM k8s.namespaces ns WHERE EXISTS ("
                  "SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name AND p.metadata.namespace = ns.name "
                  "AND ns.name = 'kube-system')) ORDER BY n.name");
  EXPECT_EQ(column(deep), (Strings{"\"cp-1\"", "\"worker-b\""}));
}

TEST(Query, ExistsInsideSelectAndCase) {
  auto rs = run("SELECT n.name, CASE WHEN EXISTS (SELECT 1 FROM k8s.pods p WHERE p.spec.nodeName = n.name) "
                "THEN 'busy' ELSE 'idle' END FROM k8s.nodes n");
  EXPECT_EQ(column(rs, 1), (Strings{"\"busy\"", "\"busy\"", "\"busy\"", "\"idle\""}));
}

TEST(Query, TooManyFromItems) {
  std::string q = "SELECT 1 FROM k8s.version v0";
  for (int i = 1; i < 40; ++i) q += ", k8s.version v" + std::to_string(i);
  EXPECT_NE(error_of(q).find("too many FROM items (limit 32)"), std::string::npos);
}

TEST(Query, UncorrelatedExists) {
  EXPECT_EQ(run("SELECT n.name FROM k8s.nodes n WHERE EXISTS (SELECT 1 FROM k8s.pods p WHERE p.status.phase = 'Failed')").rows.size(), 0u);
  EXPECT_EQ(run("SELECT n.name FROM k8s.nodes n WHERE EXISTS (SELECT count(*) FROM k8s.pods p)").rows.size(), 4u);
}

TEST(Query, InSubqueryAndScalarSubquery) {
  auto rs = run("SELECT n.name FROM k8s.nodes n WHERE n.name IN (SELECT p.spec.nodeName FROM k8s.pods p "
                "WHERE p.metadata.namespace = 'kube-system') ORDER BY n.name");
  EXPECT_EQ(column(rs), (Strings{"\"cp-1\"", "\"worker-b\""}));
  auto not_in = run("SELECT n.name FROM k8s.nodes n WHERE n.name NOT IN (SELECT p.spec.nodeName FROM k8s.pods p)");
  // The pending pods have no nodeName: NULL in the set makes NOT IN unknown.
  EXPECT_TRUE(not_in.rows.empty());
  auto scalar_sub = run("SELECT n.name FROM k8s.nodes n WHERE semver_compare(n.status.nodeInfo.kubeletVersion, "
                        "(SELECT max(v.gitVersion) FROM k8s.version v)) < 0");
  EXPECT_EQ(column(scalar_sub), (Strings{"\"worker-b\"", "\"worker-c\""}));
}

TEST(Query, GroupByHavingAndAggregates) {
  auto rs = run("SELECT p.metadata.namespace AS ns, count(*) AS pods, count(p.spec.nodeName) AS scheduled, "
                "count(DISTINCT p.spec.nodeName) AS nodes, sum(array_length(p.spec.containers)) AS containers, "
                "min(p.name) AS first, max(p.name) AS last "
                "FROM k8s.pods p GROUP BY p.metadata.namespace HAVING count(*) > 1 ORDER BY pods DESC, ns");
  EXPECT_EQ(rs.columns, (Strings{"ns", "pods", "scheduled", "nodes", "containers", "first", "last"}));
  ASSERT_EQ(rs.rows.size(), 3u);
  EXPECT_EQ(json::serialize(rs.rows[0]), R"(["shop",4,4,2,6,"café-ünïcode-0","web-7d4b9c-fghij"])");
  EXPECT_EQ(json::serialize(rs.rows[1]), R"(["jobs",3,0,0,3,"batch-job-1-q8w7e","batch-job-3-z9x8c"])");
  EXPECT_EQ(json::serialize(rs.rows[2]), R"(["kube-system",2,2,2,2,"coredns-76f75df574-4bz2k","kube-proxy-h7j8k"])");
}

// Most groups of a DISTINCT aggregate see one value, kept without a set; the
// set starts at the second value and must still know the first.
TEST(Query, DistinctAggregatesPerGroupFromTheFirstValueOn) {
  auto rs = run("SELECT r.g AS g, count(DISTINCT r.v) AS n, sum(DISTINCT r.v) AS total, "
                "array_agg(DISTINCT r.v) AS vs FROM UNNEST(json_decode('["
                "{\"g\":\"one\",\"v\":5},{\"g\":\"one\",\"v\":5},"
                "{\"g\":\"two\",\"v\":1},{\"g\":\"two\",\"v\":2},{\"g\":\"two\",\"v\":1},"
                "{\"g\":\"two\",\"v\":2},{\"g\":\"nul\",\"v\":null},{\"g\":\"mix\",\"v\":\"5\"},"
                "{\"g\":\"mix\",\"v\":5}]')) r GROUP BY g ORDER BY g");
  EXPECT_EQ(column(rs, 1), (Strings{"2", "0", "1", "2"}));  // mix, nul, one, two
  EXPECT_EQ(column(rs, 2), (Strings{"5", "null", "5", "3"}));
  EXPECT_EQ(column(rs, 3), (Strings{R"(["5",5])", "[]", "[5]", "[1,2]"}));
}

// What reads only the rows before the last source (an object's own fields
// beside UNNEST of its array) is computed once per object and shared by its
// elements' rows: right for each object, also after an object whose rows
// were all dropped as repeats (the memory of its values is reused).
TEST(Query, ValuesOfTheRowsBeforeTheLastAreSharedByTheirElements) {
  const std::string objects =
      "UNNEST(json_decode('["
      "{\"team\":\"a\",\"app\":\"x\",\"cs\":[\"web\",\"log\"]},"
      "{\"team\":\"a\",\"app\":\"x\",\"cs\":[\"web\",\"log\"]},"
      "{\"team\":\"b\",\"app\":\"y\",\"cs\":[\"web\"]},"
      "{\"team\":\"a\",\"app\":\"x\",\"cs\":[\"log\",\"db\"]}]')) o, UNNEST(o.cs) c";
  auto rs = run("SELECT DISTINCT upper(o.team) || '/' || o.app AS owner, c AS container FROM " + objects);
  EXPECT_EQ(column(rs, 0), (Strings{R"("A/x")", R"("A/x")", R"("B/y")", R"("A/x")"}));
  EXPECT_EQ(column(rs, 1), (Strings{R"("web")", R"("log")", R"("web")", R"("db")"}));
  auto all = run("SELECT upper(o.team) || '/' || o.app AS owner, c AS container FROM " + objects);
  EXPECT_EQ(column(all, 0), (Strings{R"("A/x")", R"("A/x")", R"("A/x")", R"("A/x")", R"("B/y")", R"("A/x")", R"("A/x")"}));
  auto grouped = run("SELECT upper(o.team) || '/' || o.app AS owner, count(*) AS n FROM " + objects +
                     " GROUP BY owner ORDER BY owner");
  EXPECT_EQ(column(grouped, 0), (Strings{R"("A/x")", R"("B/y")"}));
  EXPECT_EQ(column(grouped, 1), (Strings{"6", "1"}));
  // One key shared by an object's elements, one read from each element.
  auto mixed = run("SELECT upper(o.team) || '/' || o.app AS owner, c AS container, count(*) AS n FROM " + objects +
                   " GROUP BY owner, container ORDER BY owner, container");
  EXPECT_EQ(column(mixed, 1), (Strings{R"("db")", R"("log")", R"("web")", R"("web")"}));
  EXPECT_EQ(column(mixed, 2), (Strings{"1", "3", "2", "1"}));
}

// Thousands of groups, each found one at a time among interleaved rows:
// every group's aggregates stay its own while more groups are added.
TEST(Query, ManyGroupsKeepTheirOwnAggregates) {
  constexpr int kRows = 20000, kGroups = 3001;
  auto rs = run("SELECT g % " + std::to_string(kGroups) + " AS k, count(*) AS n, sum(g) AS s, min(g) AS lo, max(g) AS hi, "
                "array_agg(g) AS a FROM UNNEST(generate_series(1, " + std::to_string(kRows) + ")) AS g GROUP BY k ORDER BY k");
  ASSERT_EQ(rs.rows.size(), size_t(kGroups));
  for (int k = 0; k < kGroups; ++k) {
    const json::array& row = rs.rows[size_t(k)];
    int64_t n = 0, sum = 0, lo = INT64_MAX, hi = 0;
    json::array all;
    for (int g = k == 0 ? kGroups : k; g <= kRows; g += kGroups) ++n, sum += g, lo = std::min<int64_t>(lo, g), hi = g, all.push_back(g);
    ASSERT_EQ(row.at(0).as_int64(), k);
    EXPECT_EQ(row.at(1).as_int64(), n) << "group " << k;
    EXPECT_EQ(row.at(2).as_int64(), sum) << "group " << k;
    EXPECT_EQ(row.at(3).as_int64(), lo) << "group " << k;
    EXPECT_EQ(row.at(4).as_int64(), hi) << "group " << k;
    EXPECT_EQ(row.at(5).as_array(), all) << "group " << k;
  }
}

// DISTINCT without ORDER BY keeps the first of equal rows, in input order,
// over many rows with repeats far apart (the room it reserves up front is
// mostly left unused here).
TEST(Query, DistinctOverManyRowsKeepsFirstOfEachInOrder) {
  constexpr int kRows = 50000, kKeys = 1237;
  auto rs = run("SELECT DISTINCT g % " + std::to_string(kKeys) + " AS k, (g % " + std::to_string(kKeys) +
                ") * 2 AS twice FROM UNNEST(generate_series(1, " + std::to_string(kRows) + ")) AS g");
  ASSERT_EQ(rs.rows.size(), size_t(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    const int64_t k = (i + 1) % kKeys;  // g = 1, 2, ..., kKeys: keys 1 .. kKeys-1, then 0
    EXPECT_EQ(rs.rows[size_t(i)].at(0).as_int64(), k) << "row " << i;
    EXPECT_EQ(rs.rows[size_t(i)].at(1).as_int64(), 2 * k) << "row " << i;
  }
}

// Each output and ORDER BY key of a row keeps only its own bytes in the
// arena (Arena::keep_only): over many rows and arena chunks, every row's
// computed text must still be its own, and the order that of its keys.
TEST(Query, ComputedOutputsAndKeysStayIntactOverManyRows) {
  constexpr int kRows = 30000;
  auto rs = run("SELECT 'x-' || g AS a, replace(lower('ROW ' || g), ' ', '-' || (g % 3) || '-') AS b "
                "FROM UNNEST(generate_series(1, " + std::to_string(kRows) + ")) AS g ORDER BY 'k' || (g % 1000) || '.' || g");
  ASSERT_EQ(rs.rows.size(), size_t(kRows));
  std::string previous_key;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    const std::string a(rs.rows[i].at(0).as_string());
    ASSERT_EQ(a.rfind("x-", 0), 0u) << "row " << i << ": " << a;
    const int g = std::stoi(a.substr(2));
    EXPECT_EQ(std::string(rs.rows[i].at(1).as_string()), "row-" + std::to_string(g % 3) + "-" + std::to_string(g))
        << "row " << i;
    const std::string key = "k" + std::to_string(g % 1000) + "." + std::to_string(g);
    EXPECT_LT(previous_key, key) << "row " << i;
    previous_key = key;
  }
}

TEST(Query, AggregatesOverNoRows) {
  auto rs = run("SELECT count(*), sum(1), avg(1), max(1), array_agg(1), string_agg('x', ',') FROM k8s.pods p WHERE FALSE");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"([0,null,null,null,[],null])");
  auto grouped = run("SELECT count(*) FROM k8s.pods p WHERE FALSE GROUP BY p.name");
  EXPECT_TRUE(grouped.rows.empty());
}

TEST(Query, ArrayAggAndStringAgg) {
  auto rs = run("SELECT p.spec.nodeName AS node, array_agg(p.name) AS pods, string_agg(DISTINCT p.metadata.namespace, ', ') AS ns, "
                "avg(p.status.containerStatuses[0].restartCount) AS avg_restarts "
                "FROM k8s.pods p WHERE p.spec.nodeName = 'worker-b' GROUP BY node");
  EXPECT_EQ(json::serialize(rs.rows.at(0)),
            R"(["worker-b",["web-7d4b9c-fghij","kube-proxy-h7j8k"],"shop, kube-system",3.5E0])");
}

TEST(Query, GroupByAliasAndBareColumns) {
  // Bare columns in an aggregate query take the group's first row (as SQLite does).
  auto rs = run("SELECT image_repo(c.image) AS repo, count(*) AS n, p.name FROM k8s.pods p, UNNEST(p.spec.containers) c "
                "GROUP BY repo ORDER BY n DESC, repo LIMIT 2");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"(["busybox",3,"batch-job-1-q8w7e"])");
}

TEST(Query, DistinctOrderLimit) {
  auto rs = run("SELECT DISTINCT p.metadata.namespace FROM k8s.pods p ORDER BY 1 DESC LIMIT 2");
  EXPECT_EQ(column(rs), (Strings{"\"shop\"", "\"kube-system\""}));
  auto nulls = run("SELECT p.spec.nodeName FROM k8s.pods p ORDER BY p.spec.nodeName DESC");
  EXPECT_EQ(column(nulls).front(), "\"worker-b\"");
  EXPECT_EQ(column(nulls).back(), "null");  // NULLs last either way
}

// DISTINCT without ORDER BY drops a repeat as soon as it is projected, with
// the text it computed (the arena is rolled back): the rows kept, in input
// order, must keep their own computed text intact, across arena chunks.
TEST(Query, DistinctWithoutOrderByKeepsTheFirstRowsAndTheirComputedText) {
  FixtureProvider provider;
  boost::json::array rows;
  for (int i = 0; i < 3000; ++i)
    rows.push_back({{"name", "p" + std::to_string(i)}, {"metadata", {{"namespace", "ns" + std::to_string(i % 7)}}}});
  provider.set_rows("k8s.pods", rows);
  const std::string pad(200, 'x');
  auto rs = run("SELECT DISTINCT lower(p.metadata.namespace) || '/" + pad + "' AS k, 'in ' || p.metadata.namespace AS n "
                "FROM k8s.pods p",
                {}, &provider);
  ASSERT_EQ(rs.rows.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(rs.rows[i][0].as_string(), "ns" + std::to_string(i) + "/" + pad);
    EXPECT_EQ(rs.rows[i][1].as_string(), "in ns" + std::to_string(i));
  }
  // With the pod's name in the row, no two of the 3000 are equal.
  EXPECT_EQ(run("SELECT DISTINCT p.metadata.namespace || '/' || p.name FROM k8s.pods p", {}, &provider).rows.size(), 3000u);
}

TEST(Query, InputOrderWithoutOrderBy) {
  auto rs = run("SELECT n.name FROM k8s.nodes n");
  EXPECT_EQ(column(rs), (Strings{"\"cp-1\"", "\"worker-a\"", "\"worker-b\"", "\"worker-c\""}));
}

TEST(Query, EmptyTable) {
  FixtureProvider provider;
  provider.set_rows("k8s.nodes", {});
  EXPECT_TRUE(run("SELECT n.name FROM k8s.nodes n", {}, &provider).rows.empty());
  EXPECT_EQ(json::serialize(run("SELECT count(*) FROM k8s.nodes", {}, &provider).rows.at(0)), "[0]");
  EXPECT_EQ(run("SELECT p.name FROM k8s.pods p LEFT JOIN k8s.nodes n ON n.name = p.spec.nodeName", {}, &provider).rows.size(), 9u);
}

TEST(Query, TableFunctionsTakeConstantArguments) {
  FixtureProvider provider;
  auto rs = run("SELECT f.node, regex_match(f.content, '--anonymous-auth=false') FROM "
                "node.file('/etc/kubernetes/manifests/kube-apiserver.yaml') f", {}, &provider);
  EXPECT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(column(rs, 1), (Strings{"true", "true"}));
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].key(), "node.file(\"/etc/kubernetes/manifests/kube-apiserver.yaml\")");
  auto probe = run("SELECT reachable FROM net.tcp_probe('10.0.0.1', 6443)");
  EXPECT_EQ(column(probe), (Strings{"true"}));
  auto with_param = run("SELECT t.reachable FROM net.tcp_probe(param.host, param.port) t",
                        {{"host", "10.0.0.2"}, {"port", 10250}});
  EXPECT_EQ(column(with_param), (Strings{"false"}));
}

TEST(Query, ParametersInExpressions) {
  auto rs = run("SELECT p.name FROM k8s.pods p WHERE p.status.containerStatuses[0].restartCount > param.max_restarts",
                {{"max_restarts", 5}});
  EXPECT_EQ(column(rs), (Strings{"\"web-7d4b9c-fghij\""}));
  // Overrides at execution time.
  ExecOptions options;
  options.params["max_restarts"] = 100;
  auto none = run("SELECT p.name FROM k8s.pods p WHERE p.status.containerStatuses[0].restartCount > param.max_restarts",
                  {{"max_restarts", 5}}, nullptr, options);
  EXPECT_TRUE(none.rows.empty());
}

TEST(Query, ExplainShowsPushdownAndPaths) {
  auto q = parse_query("SELECT p.name FROM k8s.nodes n JOIN k8s.pods p ON p.spec.nodeName = n.name "
                       "WHERE n.spec.unschedulable AND p.status.phase = 'Running'");
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  ASSERT_TRUE(plan.ok());
  std::string e = plan->explain();
  EXPECT_NE(e.find("scan k8s.nodes() AS n [name, spec.unschedulable]\n  filter: n.spec.unschedulable"), std::string::npos) << e;
  EXPECT_NE(e.find("hash join scan k8s.pods() AS p [name, spec.nodeName, status.phase]\n  filter: p.status.phase = 'Running'"),
            std::string::npos) << e;
  EXPECT_NE(e.find("keys: p.spec.nodeName = n.name"), std::string::npos) << e;
}

TEST(Query, ConditionReadsOnlyConditions) {
  FixtureProvider provider;
  run("SELECT n.name FROM k8s.nodes n WHERE condition(n, 'Ready').status = 'True'", {}, &provider);
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].paths, (Strings{"name", "status.conditions"}));
}

TEST(Query, RealKindClusterNodes) {
  FixtureProvider provider;
  provider.set_rows("k8s.nodes", load_rows("kind_core_v1_nodes.json"));
  auto rs = run("SELECT n.name, condition(n, 'Ready').reason FROM k8s.nodes n "
                "WHERE condition(n, 'Ready').status != 'True'", {}, &provider);
  EXPECT_EQ(column(rs), (Strings{"\"kind-worker\""}));
}

TEST(Query, RealPendingPods) {
  FixtureProvider provider;
  provider.set_rows("k8s.pods", load_rows("troubleshoot_pods_pending.json"));
  auto rs = run("SELECT p.name, condition(p, 'PodScheduled').reason FROM k8s.pods p WHERE p.status.phase = 'Pending'",
                {}, &provider);
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(column(rs, 1), (Strings{"\"Unschedulable\""}));
}

TEST(Query, PlanIsReusableAcrossExecutions) {
  auto q = parse_query("SELECT count(*) FROM k8s.pods p WHERE p.status.phase = param.phase");
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog, {{"phase", "Pending"}});
  ASSERT_TRUE(plan.ok());
  FixtureProvider provider;
  for (int i = 0; i < 3; ++i) {
    auto rs = execute(*plan, provider);
    ASSERT_TRUE(rs.ok());
    EXPECT_EQ(json::serialize(rs->rows.at(0)), "[3]");
  }
}

}  // namespace
}  // namespace kinspect::kcql::test
