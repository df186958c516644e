// Joins on UNNESTed keys: a table followed by UNNESTs of its own rows, joined
// to earlier sources by an equality on the elements, is a hash join over the
// expanded rows (the catalog's service-nodeport-collision), with the same
// answers as trying every pair; and the lint warning for joins that still
// try every pair of two tables.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "core/kcql/check.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

using Strings = std::vector<std::string>;

json::value port(std::optional<int64_t> node_port, const char* protocol = nullptr) {
  json::object p{{"port", 80}};
  if (node_port) p["nodePort"] = *node_port;
  if (protocol) p["protocol"] = protocol;
  return p;
}

json::value service(const std::string& ns, const std::string& name, json::array ports) {
  json::object spec{{"type", "NodePort"}};
  if (!ports.empty()) spec["ports"] = std::move(ports);
  return json::object{{"name", name}, {"namespace", ns}, {"metadata", {{"name", name}, {"namespace", ns}}},
                      {"spec", std::move(spec)}};
}

const CheckDef& nodeport_check() {
  static const std::vector<CheckDef> checks = [] {
    auto loaded = load_checks(std::string(KCQL_CHECKS_DIR) + "/network.kcql");
    if (!loaded) throw std::runtime_error(loaded.error().format());
    return std::move(loaded).value();
  }();
  auto it = std::find_if(checks.begin(), checks.end(), [](const CheckDef& c) { return c.id == "service-nodeport-collision"; });
  if (it == checks.end()) throw std::runtime_error("no check service-nodeport-collision in checks/network.kcql");
  return *it;
}

// The text of the check's QUERY clause, as checks/network.kcql has it.
std::string nodeport_query() {
  std::string file = read_file(std::string(KCQL_CHECKS_DIR) + "/network.kcql");
  size_t check = file.find("CHECK service-nodeport-collision\n");
  size_t begin = file.find("QUERY", check);
  size_t end = file.find("\n  OBJECT", begin);
  if (check == std::string::npos || begin == std::string::npos || end == std::string::npos)
    throw std::runtime_error("no QUERY of service-nodeport-collision in checks/network.kcql");
  return file.substr(begin + 5, end - begin - 5);
}

// The catalog check's query with its equalities wrapped in `= true`: the
// planner cannot hash on them, so every pair is tried (the old plan).
std::string pairwise(std::string query) {
  auto wrap = [&](const std::string& from, const std::string& to) {
    size_t at = query.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' not in " << query;
    if (at != std::string::npos) query.replace(at, from.size(), to);
  };
  wrap("pa.nodePort = pb.nodePort", "(pa.nodePort = pb.nodePort) = true");
  wrap("coalesce(pa.protocol, 'TCP') = coalesce(pb.protocol, 'TCP')",
       "(coalesce(pa.protocol, 'TCP') = coalesce(pb.protocol, 'TCP')) = true");
  return query;
}

Plan bind_text(const std::string& text) {
  auto q = parse_query(text);
  EXPECT_TRUE(q.ok()) << q.error().format();
  FixtureCatalog catalog;
  auto plan = bind_query(*q, catalog);
  EXPECT_TRUE(plan.ok()) << plan.error().format();
  return plan ? *plan : Plan();
}

Strings rows_of(const ResultSet& rs) {
  Strings out;
  for (const auto& r : rs.rows) out.push_back(json::serialize(r));
  return out;
}

Strings sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Two services share 30080/TCP (one names TCP, one leaves it to the
// default), two share 30443, 30080/UDP is alone, two share 31000/UDP, and
// ports without a nodePort or services without ports match nothing.
json::array small_cluster() {
  return {service("shop", "a", {port(30080), port(30443)}),
          service("shop", "b", {port(30080, "TCP")}),
          service("shop", "c", {port(30080, "UDP")}),
          service("dev", "d", {port(30443), port(std::nullopt)}),
          service("dev", "e", {port(std::nullopt)}),
          service("dev", "f", {}),
          service("dev", "g", {port(31000, "UDP")}),
          service("dev", "h", {port(31000, "UDP"), port(31001)})};
}

TEST(QueryJoin, NodePortCheckIsAHashJoinWithThePairwiseRows) {
  const std::string query = nodeport_query();
  Plan hashed = bind_text(query);
  std::string e = hashed.explain();
  EXPECT_NE(e.find("hash join scan k8s.services() AS b"), std::string::npos) << e;
  EXPECT_NE(e.find("keys: pb.nodePort, coalesce(pb.protocol, 'TCP') = pa.nodePort, coalesce(pa.protocol, 'TCP')"),
            std::string::npos) << e;
  EXPECT_NE(e.find("build side: unnest b.spec.ports AS pb"), std::string::npos) << e;
  EXPECT_EQ(e.find("nested-loop"), std::string::npos) << e;
  EXPECT_TRUE(hashed.warnings().empty());

  Plan nested = bind_text(pairwise(query));
  EXPECT_NE(nested.explain().find("nested-loop join scan k8s.services() AS b"), std::string::npos) << nested.explain();
  ASSERT_EQ(nested.warnings().size(), 1u);

  FixtureProvider provider;
  provider.set_rows("k8s.services", small_cluster());
  auto got = execute(hashed, provider);
  ASSERT_TRUE(got.ok()) << got.error().format();
  auto want = execute(nested, provider);
  ASSERT_TRUE(want.ok()) << want.error().format();
  EXPECT_EQ(rows_of(*got), rows_of(*want));  // same rows, same order
  EXPECT_EQ(sorted(rows_of(*got)), (Strings{R"(["dev","d","shop","a",30443,"TCP"])",
                                            R"(["dev","g","dev","h",31000,"UDP"])",
                                            R"(["shop","a","shop","b",30080,"TCP"])"}));
  EXPECT_LT(got->rows_examined, want->rows_examined);
}

TEST(QueryJoin, TwentyThousandServicesFindExactlyThePlantedCollisions) {
  // 20,000 Services with one or two ports each, every nodePort unique but
  // for the planted ones: three pairs, a triple (three findings), a port
  // shared across protocols (none) and ports without a nodePort.
  constexpr int kServices = 20000;
  json::array services;
  std::map<std::pair<int64_t, std::string>, std::vector<std::string>> users;  // (port, protocol) -> "ns/name"
  auto add = [&](const std::string& ns, const std::string& name, std::vector<std::pair<std::optional<int64_t>, const char*>> ports) {
    json::array list;
    for (auto& [p, proto] : ports) {
      list.push_back(port(p, proto));
      if (p) users[{*p, proto ? proto : "TCP"}].push_back(ns + "/" + name);
    }
    services.push_back(service(ns, name, std::move(list)));
  };
  int64_t next_port = 100000;
  for (int i = 0; i < kServices; ++i) {
    std::string ns = "ns-" + std::to_string(i % 37), name = "svc-" + std::to_string(i);
    std::optional<int64_t> second;
    if (i % 3 == 0) second = next_port++;
    if (i % 11 == 0) second = std::nullopt;
    switch (i) {
      case 17: add(ns, name, {{30001, nullptr}}); break;
      case 19000: add(ns, name, {{30001, "TCP"}, {next_port++, nullptr}}); break;
      case 42: add(ns, name, {{30002, "UDP"}}); break;
      case 4242: add(ns, name, {{30002, "UDP"}}); break;
      case 500: add(ns, name, {{30003, nullptr}}); break;
      case 9000: add(ns, name, {{30003, "UDP"}}); break;  // another protocol: no collision
      case 600: case 6000: case 16000: add(ns, name, {{30004, nullptr}}); break;
      case 700: add(ns, name, {{30005, nullptr}, {std::nullopt, nullptr}}); break;
      case 7000: add(ns, name, {{30005, "TCP"}}); break;
      default:
        if (i % 11 == 0) add(ns, name, {{next_port++, nullptr}, {std::nullopt, nullptr}});
        else if (second) add(ns, name, {{next_port++, nullptr}, {second, "UDP"}});
        else add(ns, name, {{next_port++, nullptr}});
    }
  }
  ASSERT_EQ(services.size(), size_t(kServices));
  // What the check must find: each pair of users of one port and protocol,
  // named in order.
  std::set<std::string> expected;
  for (const auto& [key, names] : users)
    for (const auto& x : names)
      for (const auto& y : names)
        if (x < y) expected.insert(x + " " + y + " " + std::to_string(key.first) + "/" + key.second);
  ASSERT_EQ(expected.size(), 6u);  // 3 pairs + 3 from the triple

  FixtureProvider provider;
  provider.set_rows("k8s.services", std::move(services));
  FixtureCatalog catalog;
  auto bound = bind_check(nodeport_check(), catalog);
  ASSERT_TRUE(bound.ok()) << bound.error().format();
  ExecOptions options;  // the default budgets: 10,000,000 rows
  options.now = kNow;
  auto findings = run_check(*bound, provider, options);
  ASSERT_TRUE(findings.ok()) << findings.error().format();
  std::set<std::string> found;
  for (const auto& f : *findings)
    found.insert(std::string(f.row.at("ns_a").as_string()) + "/" + std::string(f.row.at("svc_a").as_string()) + " " +
                 std::string(f.row.at("ns_b").as_string()) + "/" + std::string(f.row.at("svc_b").as_string()) + " " +
                 json::serialize(f.row.at("port")) + "/" + std::string(f.row.at("protocol").as_string()));
  EXPECT_EQ(findings->size(), expected.size());
  EXPECT_EQ(found, expected);

  // The pairwise plan of the same query stops at the row budget.
  auto q = parse_query(pairwise(nodeport_query()));
  ASSERT_TRUE(q.ok());
  auto nested = bind_query(*q, catalog);
  ASSERT_TRUE(nested.ok());
  auto stopped = execute(*nested, provider, options);
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.error().message().find("budget"), std::string::npos) << stopped.error().message();
}

TEST(QueryJoin, NullKeysNeverMatch) {
  // No `IS NOT NULL`: ports without a nodePort (or with a NULL protocol
  // expression) still pair with nothing, on either side.
  const std::string query =
      "SELECT a.name, b.name, pa.nodePort FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b, "
      "UNNEST(b.spec.ports) pb WHERE pa.nodePort = pb.nodePort AND pa.protocol = pb.protocol AND a.name < b.name "
      "ORDER BY 1, 2";
  FixtureProvider provider;
  provider.set_rows("k8s.services",
                    {service("x", "a", {port(std::nullopt, "TCP"), port(1, "TCP"), port(2)}),
                     service("x", "b", {port(std::nullopt, "TCP"), port(1, "TCP"), port(2)}),
                     service("x", "c", {port(std::nullopt)})});
  Plan plan = bind_text(query);
  EXPECT_NE(plan.explain().find("hash join"), std::string::npos) << plan.explain();
  auto rs = execute(plan, provider);
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), (Strings{R"(["a","b",1])"}));
}

TEST(QueryJoin, KeysOnExpressionsOfEachSide) {
  // `ns || '/' || name` on one side, a field on the other: any expression
  // that reads one side only is a key.
  const std::string query =
      "SELECT a.name, pb.name FROM k8s.services a, k8s.services b, UNNEST(b.spec.ports) pb "
      "WHERE a.namespace || '/' || a.name = pb.name ORDER BY 1";
  json::array svcs = small_cluster();
  svcs.push_back(json::object{{"name", "ref"}, {"namespace", "x"}, {"metadata", {{"name", "ref"}}},
                              {"spec", {{"ports", {{{"name", "shop/a"}}, {{"name", "dev/h"}}, {{"name", "nope"}}}}}}});
  FixtureProvider provider;
  provider.set_rows("k8s.services", std::move(svcs));
  Plan plan = bind_text(query);
  std::string e = plan.explain();
  EXPECT_NE(e.find("keys: pb.name = a.namespace || '/' || a.name"), std::string::npos) << e;
  auto rs = execute(plan, provider);
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), (Strings{R"(["a","shop/a"])", R"(["h","dev/h"])"}));
}

TEST(QueryJoin, LeftJoinsKeepTheirUnmatchedRows) {
  FixtureProvider provider;
  provider.set_rows("k8s.services", small_cluster());
  // A LEFT JOIN'd table probed by an UNNEST's elements: unmatched ports get NULLs.
  auto left_table = run("SELECT a.name, pa.nodePort, b.name FROM k8s.services a, UNNEST(a.spec.ports) pa "
                        "LEFT JOIN k8s.services b ON b.spec.ports[0].nodePort = pa.nodePort AND b.name != a.name "
                        "WHERE a.namespace = 'shop' ORDER BY 1, 2, 3",
                        {}, &provider);
  EXPECT_EQ(rows_of(left_table), (Strings{R"(["a",30080,"b"])", R"(["a",30080,"c"])", R"(["a",30443,"d"])",
                                          R"(["b",30080,"a"])", R"(["b",30080,"c"])", R"(["c",30080,"a"])",
                                          R"(["c",30080,"b"])"}));
  auto only_a = run("SELECT a.name, pa.nodePort, b.name FROM k8s.services a, UNNEST(a.spec.ports) pa "
                    "LEFT JOIN k8s.services b ON b.spec.ports[0].nodePort = pa.nodePort AND b.name = 'zzz' "
                    "WHERE a.name = 'a' ORDER BY 2",
                    {}, &provider);
  EXPECT_EQ(rows_of(only_a), (Strings{R"(["a",30080,null])", R"(["a",30443,null])"}));

  // A LEFT JOIN UNNEST keeps every row of its table, so it cannot be hashed
  // on its elements: it is tried for every pair, with NULL where no element matches.
  const std::string left_unnest =
      "SELECT a.name, b.name, pb.nodePort FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b "
      "LEFT JOIN UNNEST(b.spec.ports) pb ON pb.nodePort = pa.nodePort "
      "WHERE a.name = 'g' AND b.namespace = 'dev' ORDER BY 2";
  Plan plan = bind_text(left_unnest);
  EXPECT_NE(plan.explain().find("nested-loop join"), std::string::npos) << plan.explain();
  auto rs = execute(plan, provider);
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), (Strings{R"(["g","d",null])", R"(["g","e",null])", R"(["g","f",null])",
                                   R"(["g","g",31000])", R"(["g","h",31000])"}));

  // A hashed group, then a LEFT JOIN after it: the services whose port
  // collides, with their endpoints when there are any.
  auto after = run("SELECT a.name, b.name, e.name FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b, "
                   "UNNEST(b.spec.ports) pb LEFT JOIN k8s.endpoints e ON e.name = b.name "
                   "WHERE pa.nodePort = pb.nodePort AND a.name < b.name ORDER BY 1, 2",
                   {}, &provider);
  EXPECT_EQ(rows_of(after), (Strings{R"(["a","b",null])", R"(["a","c",null])", R"(["a","d",null])",
                                     R"(["b","c",null])", R"(["g","h",null])"}));
}

TEST(QueryJoin, ConditionsOnTheBuildSideAreCheckedWhileBuilding) {
  // `pb.protocol = 'UDP'` reads the build side only: it filters the hashed
  // rows; `a.name < b.name` needs both and is checked on each match.
  FixtureProvider provider;
  provider.set_rows("k8s.services", small_cluster());
  const std::string query =
      "SELECT a.name, b.name FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b, UNNEST(b.spec.ports) pb "
      "WHERE pa.nodePort = pb.nodePort AND pb.protocol = 'UDP' AND a.name != b.name ORDER BY 1, 2";
  Plan plan = bind_text(query);
  std::string e = plan.explain();
  EXPECT_NE(e.find("build side: unnest b.spec.ports AS pb\n    filter: pb.protocol = 'UDP'"), std::string::npos) << e;
  auto rs = execute(plan, provider);
  ASSERT_TRUE(rs.ok()) << rs.error().format();
  EXPECT_EQ(rows_of(*rs), (Strings{R"(["a","c"])", R"(["b","c"])", R"(["g","h"])", R"(["h","g"])"}));
}

TEST(QueryJoin, LintWarnsOnANestedLoopJoinOfTwoTablesOnly) {
  const std::string text =
      "CHECK quadratic\n"
      "  TITLE \"pairs\"\n  CATEGORY network\n  SEVERITY info\n"
      "  FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b, UNNEST(b.spec.ports) pb\n"
      "  WHERE pa.nodePort < pb.nodePort\n"
      "  MESSAGE \"{a.name}\"\n"
      "\n"
      "CHECK hashed\n"
      "  TITLE \"pairs\"\n  CATEGORY network\n  SEVERITY info\n"
      "  FROM k8s.services a, UNNEST(a.spec.ports) pa, k8s.services b, UNNEST(b.spec.ports) pb\n"
      "  WHERE pa.nodePort = pb.nodePort\n"
      "  MESSAGE \"{a.name}\"\n"
      "\n"
      "CHECK looked-up\n"
      "  TITLE \"one service\"\n  CATEGORY network\n  SEVERITY info\n"
      "  FROM k8s.services a, k8s.services b\n"
      "  WHERE b.name = 'kube-dns' AND a.name != b.name\n"
      "  MESSAGE \"{a.name}\"\n"
      "\n"
      "CHECK one-value\n"
      "  TITLE \"one value of a field\"\n  CATEGORY network\n  SEVERITY info\n"
      "  FROM k8s.services a, k8s.nodes n\n"
      "  WHERE n.metadata.name = upper(param.node) AND a.name != n.name\n"
      "  PARAM node = 'x' \"a node\"\n"
      "  MESSAGE \"{a.name}\"\n"
      "\n"
      "CHECK meant\n"
      "  TITLE \"one-row table\"\n  CATEGORY nodes\n  SEVERITY info\n"
      "  FROM k8s.nodes n CROSS JOIN k8s.version v\n"
      "  WHERE n.name != v.gitVersion\n"
      "  MESSAGE \"{n.name}\"\n"
      "\n"
      "CHECK comma\n"
      "  TITLE \"one-row table, not said\"\n  CATEGORY nodes\n  SEVERITY info\n"
      "  FROM k8s.nodes n, k8s.version v\n"
      "  WHERE n.name != v.gitVersion\n"
      "  MESSAGE \"{n.name}\"\n";
  auto checks = parse_checks(text, "joins.kcql");
  ASSERT_TRUE(checks.ok()) << checks.error().format();
  FixtureCatalog catalog;
  std::vector<Diagnostic> warnings;
  EXPECT_TRUE(lint_checks(*checks, catalog, &warnings).empty());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[1].message.find("check comma: nested-loop join of k8s.version AS v with k8s.nodes AS n"),
            std::string::npos) << warnings[1].message;
  EXPECT_NE(warnings[1].hint.find("CROSS JOIN"), std::string::npos) << warnings[1].hint;
  const Diagnostic& w = warnings[0];
  EXPECT_EQ(w.file, "joins.kcql");
  EXPECT_EQ(w.pos.line, 5u);
  EXPECT_EQ(w.pos.column, 49u);  // k8s.services b
  EXPECT_NE(w.message.find("check quadratic: nested-loop join of k8s.services AS b with k8s.services AS a"),
            std::string::npos) << w.message;
  std::string shown = format_warning(w);
  EXPECT_EQ(shown.rfind("joins.kcql:5:49: warning: check quadratic: ", 0), 0u) << shown;
  // Without the out-parameter, lint reports errors only, as before.
  EXPECT_TRUE(lint_checks(*checks, catalog).empty());
}

}  // namespace
}  // namespace kinspect::kcql::test
