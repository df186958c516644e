// Every function: typical input, NULL, wrong types, edge cases.
#include <gtest/gtest.h>

#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

std::string eval(const std::string& expr) { return scalar("SELECT " + expr); }

TEST(Functions, Condition) {
  auto rs = run("SELECT condition(n, 'Ready').status, condition(n.status.conditions, 'Ready').reason, "
                "condition(n.status, 'DiskPressure').status, condition(n, 'Nope') FROM k8s.nodes n WHERE n.name = 'worker-b'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"(["False","KubeletNotReady","False",null])");
  EXPECT_EQ(eval("condition(NULL, 'Ready')"), "null");
  EXPECT_EQ(eval("condition(json_decode('{}'), 'Ready')"), "null");
}

TEST(Functions, Semver) {
  EXPECT_EQ(eval("semver_major('v1.28.3-eks-abc')"), "1");
  EXPECT_EQ(eval("semver_minor('v1.28.3-eks-abc')"), "28");
  EXPECT_EQ(eval("semver_patch('v1.29.0+k3s1')"), "0");
  EXPECT_EQ(eval("semver_minor('1.30')"), "30");
  EXPECT_EQ(eval("semver_patch('1.30')"), "0");
  EXPECT_EQ(eval("semver_compare('v1.28.3', '1.28.10')"), "-1");
  EXPECT_EQ(eval("semver_compare('v1.29.0+k3s1', 'v1.29.0')"), "0");
  EXPECT_EQ(eval("semver_compare('v1.29.0-rc.1', 'v1.29.0')"), "-1");
  EXPECT_EQ(eval("minor_skew('v1.29.3', 'v1.27.9-eks-5e0fdde')"), "2");
  EXPECT_EQ(eval("minor_skew('v1.27.0', 'v1.29.0')"), "-2");
  EXPECT_EQ(eval("semver_major(NULL)"), "null");
  auto huge = run("SELECT minor_skew(n.name || '9223372036854775807.1', 'v1.2') FROM k8s.nodes n LIMIT 1");
  EXPECT_EQ(column(huge), (std::vector<std::string>{"null"}));
}

TEST(Functions, SemverRejectsGarbage) {
  // Constant arguments are checked when the query is bound...
  EXPECT_NE(error_of("SELECT semver_major('banana')").find("invalid version 'banana'"), std::string::npos);
  // ...data that is not a version gives NULL.
  auto rs = run("SELECT semver_major(n.name) FROM k8s.nodes n LIMIT 1");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"null"}));
}

TEST(Functions, Quantity) {
  EXPECT_EQ(eval("quantity('500m')"), "5E-1");
  EXPECT_EQ(eval("quantity('1Gi')"), "1073741824");
  EXPECT_EQ(eval("quantity('2k')"), "2000");
  EXPECT_EQ(eval("quantity('16393624Ki')"), "16787070976");
  EXPECT_EQ(eval("quantity('1.5')"), "1.5E0");
  EXPECT_EQ(eval("quantity('1e3')"), "1000");
  EXPECT_EQ(eval("quantity(4)"), "4");
  EXPECT_EQ(eval("quantity('100u')"), "1E-4");
  EXPECT_EQ(eval("quantity('3800m')"), "3.8E0");
  EXPECT_NE(error_of("SELECT quantity('12XB')").find("invalid quantity '12XB'"), std::string::npos);
  auto rs = run("SELECT sum(quantity(n.status.allocatable.memory)) / quantity('1Gi') FROM k8s.nodes n");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"60"}));
}

TEST(Functions, Duration) {
  EXPECT_EQ(eval("duration('24h')"), "86400");
  EXPECT_EQ(eval("duration('1h30m')"), "5400");
  EXPECT_EQ(eval("duration('500ms')"), "5E-1");
  EXPECT_EQ(eval("duration('7d')"), "604800");
  EXPECT_EQ(eval("duration('-5m')"), "-300");
  EXPECT_EQ(eval("duration('0')"), "0");
  EXPECT_NE(error_of("SELECT duration('5 minutes')").find("invalid duration '5 minutes'"), std::string::npos);
}

TEST(Functions, TimestampsAndNow) {
  EXPECT_EQ(eval("ts('2024-01-02T03:04:05Z')"), "1704164645");
  EXPECT_EQ(eval("ts('2024-01-02T03:04:05.5Z')"), "1.7041646455E9");
  EXPECT_EQ(eval("ts('2024-01-02T05:04:05+02:00')"), "1704164645");
  EXPECT_EQ(eval("ts('2024-01-02')"), "1704153600");
  EXPECT_EQ(eval("now()"), "1796083200");
  EXPECT_EQ(eval("format_ts(ts('2024-01-02T03:04:05Z'))"), "\"2024-01-02T03:04:05Z\"");
  EXPECT_NE(error_of("SELECT ts('yesterday')").find("invalid timestamp 'yesterday'"), std::string::npos);
  auto rs = run("SELECT n.name FROM k8s.nodes n WHERE condition(n, 'Ready').status != 'True' "
                "AND now() - ts(condition(n, 'Ready').lastTransitionTime) > duration('1h')");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"\"worker-b\""}));
}

TEST(Functions, Cidr) {
  EXPECT_EQ(eval("cidr_contains('10.0.0.0/8', '10.1.2.3')"), "true");
  EXPECT_EQ(eval("cidr_contains('10.0.0.0/8', '11.1.2.3')"), "false");
  EXPECT_EQ(eval("cidr_contains('10.0.0.0/8', '10.2.0.0/16')"), "true");
  EXPECT_EQ(eval("cidr_contains('10.2.0.0/16', '10.0.0.0/8')"), "false");
  EXPECT_EQ(eval("cidr_contains('fd00::/8', 'fd12:3456::1')"), "true");
  EXPECT_EQ(eval("cidr_contains('fd00::/8', '10.0.0.1')"), "false");
  EXPECT_EQ(eval("cidr_overlaps('10.244.0.0/16', '10.244.1.0/24')"), "true");
  EXPECT_EQ(eval("cidr_overlaps('10.96.0.0/12', '10.244.0.0/16')"), "false");
  EXPECT_EQ(eval("cidr_overlaps('2001:db8::/32', '2001:db8:1::/48')"), "true");
  EXPECT_NE(error_of("SELECT cidr_contains('10.0.0.0/33', '10.0.0.1')").find("invalid CIDR '10.0.0.0/33'"), std::string::npos);
}

TEST(Functions, RegexIsRe2AndCompiledOnce) {
  EXPECT_EQ(eval("regex_match('v1.28.3', '^v\\d+\\.\\d+')"), "true");
  EXPECT_EQ(eval("regex_match('abc', 'B')"), "false");
  EXPECT_EQ(eval("regex_match('abc', '(?i)B')"), "true");
  EXPECT_EQ(eval("regex_extract('registry.k8s.io/kube-proxy:v1.27.9', ':(v[0-9.]+)$')"), "\"v1.27.9\"");
  EXPECT_EQ(eval("regex_extract('abc', 'x')"), "null");
  // Backreferences would need backtracking; RE2 refuses them at bind time.
  std::string err = error_of("SELECT regex_match('aa', '(a)\\1')");
  EXPECT_NE(err.find("invalid regular expression"), std::string::npos) << err;
  EXPECT_NE(err.find("<query>:1:26: error: invalid regular expression '(a)\\1'"), std::string::npos) << err;
  // A pattern from data is compiled per distinct pattern, and a bad one is NULL.
  auto rs = run("SELECT regex_match(p.name, p.metadata.labels.app) FROM k8s.pods p WHERE p.metadata.namespace = 'shop'");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"true", "true", "true", "true"}));
  // The classic catastrophic pattern for backtracking engines runs in linear time.
  EXPECT_EQ(eval("regex_match(replace('" + std::string(64, 'a') + "', 'a', 'a') || 'b', '^(a+)+$')"), "false");
}

TEST(Functions, SelectorMatches) {
  EXPECT_EQ(eval("selector_matches(json_decode('{\"app\":\"web\"}'), json_decode('{\"app\":\"web\",\"tier\":\"x\"}'))"), "true");
  EXPECT_EQ(eval("selector_matches(json_decode('{\"app\":\"web\"}'), json_decode('{\"app\":\"db\"}'))"), "false");
  // A LabelSelector with no requirements selects everything, as the API
  // server reads `podSelector: {}` (it said nothing before, silently).
  EXPECT_EQ(eval("selector_matches(json_decode('{}'), json_decode('{\"app\":\"web\"}'))"), "true");
  EXPECT_EQ(eval("selector_matches(json_decode('{}'), NULL)"), "true");
  // A Service's map selector keeps its own rule: an empty map selects nothing.
  EXPECT_EQ(eval("map_selector_matches(json_decode('{}'), json_decode('{\"app\":\"web\"}'))"), "false");
  EXPECT_EQ(eval("map_selector_matches(NULL, json_decode('{\"app\":\"web\"}'))"), "false");
  EXPECT_EQ(eval("map_selector_matches(json_decode('{\"app\":\"web\"}'), json_decode('{\"app\":\"web\",\"t\":\"x\"}'))"), "true");
  EXPECT_EQ(eval("map_selector_matches(json_decode('{\"app\":\"web\",\"t\":\"y\"}'), json_decode('{\"app\":\"web\",\"t\":\"x\"}'))"), "false");
  // A LabelSelector: matchLabels and matchExpressions.
  const char* sel = R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["frontend","edge"]},{"key":"canary","operator":"DoesNotExist"}]})";
  EXPECT_EQ(eval(std::string("selector_matches(json_decode('") + sel + "'), json_decode('{\"app\":\"web\",\"tier\":\"frontend\"}'))"), "true");
  EXPECT_EQ(eval(std::string("selector_matches(json_decode('") + sel + "'), json_decode('{\"app\":\"web\",\"tier\":\"frontend\",\"canary\":\"1\"}'))"), "false");
  EXPECT_EQ(eval(std::string("selector_matches(json_decode('") + sel + "'), json_decode('{\"app\":\"web\",\"tier\":\"back\"}'))"), "false");
  EXPECT_EQ(eval(R"(selector_matches(json_decode('{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["x"]},{"key":"app","operator":"Exists"}]}'), json_decode('{"app":"a"}')))"), "true");
  EXPECT_EQ(eval(R"(selector_matches(json_decode('{"matchLabels":{}}'), NULL))"), "true");  // empty LabelSelector: everything
  EXPECT_EQ(eval("selector_matches(NULL, json_decode('{\"app\":\"web\"}'))"), "false");
  auto rs = run("SELECT ds.name, count(p.name) FROM k8s.daemonsets ds LEFT JOIN k8s.pods p ON "
                "selector_matches(ds.spec.selector, p.metadata.labels) GROUP BY ds.name ORDER BY ds.name");
  EXPECT_EQ(column(rs, 1), (std::vector<std::string>{"1", "0"}));
}

TEST(Functions, Decoders) {
  EXPECT_EQ(eval("json_decode('{\"a\":[1,2]}').a[1]"), "2");
  EXPECT_EQ(eval("yaml_decode('a: [1, two]\nb: true\nc: \"true\"').c"), "\"true\"");
  EXPECT_EQ(eval("yaml_decode('a: [1, two]\nb: true').b"), "true");
  EXPECT_EQ(eval("base64_decode('aGVsbG8=')"), "\"hello\"");
  EXPECT_EQ(eval("base64_decode('aGVsbG8')"), "\"hello\"");
  EXPECT_NE(error_of("SELECT json_decode('{')").find("invalid JSON"), std::string::npos);
  auto rs = run("SELECT json_decode(p.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).kind "
                "FROM k8s.pods p WHERE p.metadata.annotations IS NOT NULL");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"\"Pod\""}));
  auto config = run("SELECT yaml_decode(base64_decode(s.data['config.yaml'])).features[1] FROM k8s.secrets s "
                    "WHERE s.name = 'app-config'");
  EXPECT_EQ(column(config), (std::vector<std::string>{"\"true\""}));
}

TEST(Functions, X509) {
  auto rs = run("SELECT x509_not_after(s.data['tls.crt']), x509_not_after(base64_decode(s.data['tls.crt'])) - "
                "x509_not_before(s.data['tls.crt']) FROM k8s.secrets s WHERE s.type = 'kubernetes.io/tls'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), "[1798171490,2592000]");
  auto soon = run("SELECT s.name FROM k8s.secrets s WHERE s.type = 'kubernetes.io/tls' AND "
                  "x509_not_after(s.data['tls.crt']) - now() < duration('30d')");
  EXPECT_EQ(column(soon), (std::vector<std::string>{"\"policy-webhook-tls\""}));
  EXPECT_NE(error_of("SELECT x509_not_after('not a cert')").find("not a PEM certificate"), std::string::npos);
}

TEST(Functions, Strings) {
  EXPECT_EQ(eval("lower('AbC')"), "\"abc\"");
  EXPECT_EQ(eval("upper('AbC')"), "\"ABC\"");
  EXPECT_EQ(eval("contains('kube-proxy', 'proxy')"), "true");
  EXPECT_EQ(eval("starts_with('kube-proxy', 'kube')"), "true");
  EXPECT_EQ(eval("ends_with('kube-proxy', 'kube')"), "false");
  EXPECT_EQ(eval("split('a,b,,c', ',')"), R"(["a","b","","c"])");
  EXPECT_EQ(eval("split('né', '')"), R"(["n","é"])");
  EXPECT_EQ(eval("replace('a.b.c', '.', '/')"), "\"a/b/c\"");
  EXPECT_EQ(eval("length('café')"), "4");
  EXPECT_EQ(eval("substr('café-ü', 4, 3)"), "\"é-ü\"");
  EXPECT_EQ(eval("substr('abc', 2)"), "\"bc\"");
  EXPECT_EQ(eval("substr('abc', 0, 2)"), "\"a\"");
  EXPECT_EQ(eval("substr('abc', 46666666666666666666666666666666666666666666666666666666666666666666666666, 3)"), "\"\"");
  EXPECT_EQ(eval("substr('abc', -5, 1e300)"), "\"abc\"");
  EXPECT_EQ(eval("trim('  x y \t')"), "\"x y\"");
  EXPECT_EQ(eval("concat('a', NULL, 1, TRUE)"), "\"a1true\"");
  EXPECT_EQ(eval("array_join(split('a b c', ' '), '+')"), "\"a+b+c\"");
  EXPECT_EQ(eval("lower(NULL)"), "null");
  EXPECT_NE(error_of("SELECT lower(json_decode('[1]'))").find("lower() expects text, got array"), std::string::npos);
}

// lower, upper, replace and || write their text straight into the arena, or
// hand back their input when nothing changes: every edge of that.
TEST(Functions, StringsWrittenInPlaceOrLeftAsTheyWere) {
  const std::pair<const char*, const char*> cases[] = {
      {"lower('already-lower')", "\"already-lower\""},
      {"lower('abC')", "\"abc\""},
      {"lower('')", "\"\""},
      {"lower(42)", "\"42\""},
      {"lower(TRUE)", "\"true\""},
      {"lower('ÀÉ-Z')", "\"ÀÉ-z\""},  // ASCII letters only, whatever the locale
      {"upper('àz@[`{')", "\"àZ@[`{\""},
      {"replace('a-b-c', '-', '')", "\"abc\""},
      {"replace('aaa', 'a', 'bb')", "\"bbbbbb\""},
      {"replace('aaaa', 'aa', 'b')", "\"bb\""},
      {"replace('xyz', 'q', 'r')", "\"xyz\""},
      {"replace('xyz', '', 'r')", "\"xyz\""},
      {"replace('web-7d4f-abcde', '-' || '7d4f', '')", "\"web-abcde\""},
      {"replace(1200, '0', '')", "\"12\""},
      {"replace(12, '3', '')", "\"12\""},
      {"replace('a', 'a', '')", "\"\""},
      {"'' || 'b'", "\"b\""},
      {"'a' || ''", "\"a\""},
      {"'a' || -17", "\"a-17\""},
      {"9223372036854775807 || 'x'", "\"9223372036854775807x\""},
      {"'a' || NULL", "null"},
  };
  for (const auto& [expr, want] : cases) EXPECT_EQ(eval(expr), want) << expr;
  // Values from rows, where an unchanged result is the row's own text.
  auto rs = run("SELECT lower(p.metadata.namespace) || '/' || replace(p.metadata.name, 'zzz', '') FROM k8s.pods p "
                "ORDER BY 1 LIMIT 1");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_NE(json::serialize(rs.rows.at(0)).find('/'), std::string::npos);
}

TEST(Functions, NullHandling) {
  EXPECT_EQ(eval("coalesce(NULL, NULL, 3, 4)"), "3");
  EXPECT_EQ(eval("coalesce(NULL)"), "null");
  EXPECT_EQ(eval("ifnull(NULL, 'x')"), "\"x\"");
  EXPECT_EQ(eval("ifnull('y', 'x')"), "\"y\"");
}

TEST(Functions, ArraysAndObjects) {
  EXPECT_EQ(eval("array_length(json_decode('[1,2,3]'))"), "3");
  EXPECT_EQ(eval("array_contains(json_decode('[1,\"a\"]'), 'a')"), "true");
  EXPECT_EQ(eval("array_contains(json_decode('[1]'), 2)"), "false");
  EXPECT_EQ(eval("contains(json_decode('[1,2]'), 2)"), "true");
  EXPECT_EQ(eval("keys(json_decode('{\"b\":1,\"a\":2}'))"), R"(["b","a"])");
  EXPECT_EQ(eval("has(json_decode('{\"a\":null}'), 'a')"), "true");
  EXPECT_EQ(eval("has(json_decode('{\"a\":null}'), 'b')"), "false");
  EXPECT_EQ(eval("has(NULL, 'b')"), "false");
  EXPECT_EQ(eval("length(json_decode('{\"a\":1}'))"), "1");
  auto rs = run("SELECT p.name FROM k8s.pods p WHERE has(p.metadata.labels, 'app.kubernetes.io/name') AND "
                "array_length(p.spec.containers) > 1 LIMIT 1");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"\"web-7d4b9c-abcde\""}));
}

TEST(Functions, Images) {
  EXPECT_EQ(eval("image_tag('nginx')"), "\"latest\"");
  EXPECT_EQ(eval("image_tag('nginx:1.25.3')"), "\"1.25.3\"");
  EXPECT_EQ(eval("image_tag('registry.example.com:5000/shop/cart')"), "\"latest\"");
  EXPECT_EQ(eval("image_tag('registry.example.com:5000/shop/cart@sha256:0f3e')"), "\"\"");
  EXPECT_EQ(eval("image_tag('repo/app:v2@sha256:0f3e')"), "\"v2\"");
  EXPECT_EQ(eval("image_repo('registry.example.com:5000/shop/cart:1.0')"), "\"registry.example.com:5000/shop/cart\"");
  EXPECT_EQ(eval("image_digest('a@sha256:0f3e')"), "\"sha256:0f3e\"");
  EXPECT_EQ(eval("image_digest('a:1')"), "null");
  auto rs = run("SELECT DISTINCT c.image FROM k8s.pods p, UNNEST(p.spec.containers) c WHERE image_tag(c.image) = 'latest'");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"\"fluent/fluent-bit\"", "\"alpine\""}));
}

TEST(Functions, Casts) {
  EXPECT_EQ(eval("int('42')"), "42");
  EXPECT_EQ(eval("int(3.9)"), "3");
  EXPECT_EQ(eval("int(TRUE)"), "1");
  EXPECT_EQ(eval("float('2.5')"), "2.5E0");
  EXPECT_EQ(eval("string(12)"), "\"12\"");
  EXPECT_EQ(eval("string(json_decode('{\"a\":1}'))"), R"("{\"a\":1}")");
  EXPECT_EQ(eval("bool('yes')"), "true");
  EXPECT_EQ(eval("typeof(json_decode('[1]'))"), "\"array\"");
  EXPECT_EQ(eval("typeof(NULL)"), "\"null\"");
  EXPECT_EQ(eval("abs(-3)"), "3");
  EXPECT_EQ(eval("round(2.5)"), "3");
  EXPECT_EQ(eval("floor(-2.5)"), "-3");
  EXPECT_EQ(eval("ceil(2.1)"), "3");
  EXPECT_NE(error_of("SELECT int('forty')").find("cannot convert forty to an integer"), std::string::npos);
}

TEST(Functions, GreatestAndLeast) {
  EXPECT_EQ(eval("greatest(1, 3.5, 2)"), "3.5E0");
  EXPECT_EQ(eval("least(3, 1, 2)"), "1");
  EXPECT_EQ(eval("greatest('b', 'c', 'a')"), "\"c\"");
  EXPECT_EQ(eval("greatest(NULL, 2, NULL, 1)"), "2");  // NULLs ignored, as in PostgreSQL
  EXPECT_EQ(eval("least(NULL, NULL)"), "null");
  EXPECT_EQ(eval("greatest(1, 1.0)"), "1");  // equal values keep the first
  EXPECT_NE(error_of("SELECT greatest(1, 'a')").find("greatest() cannot compare integer 1 with string 'a'"),
            std::string::npos);
  EXPECT_NE(error_of("SELECT least(json_decode('[1]'), 2)").find("least() compares numbers, text or booleans, got array"),
            std::string::npos);
  // From rows (not constants), a mismatch is NULL like other malformed data.
  auto rs = run("SELECT greatest(n.name, 1) FROM k8s.nodes n LIMIT 1");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"null"}));
  auto per_row = run("SELECT greatest(p.status.containerStatuses[0].restartCount, 1) FROM k8s.pods p "
                     "WHERE p.name LIKE 'web-%' ORDER BY 1");
  EXPECT_EQ(column(per_row), (std::vector<std::string>{"1", "7"}));
}

TEST(Functions, MaxByAndMinBy) {
  auto rs = run("SELECT max_by(p.name, p.status.containerStatuses[0].restartCount), "
                "min_by(p.name, p.status.containerStatuses[0].restartCount), "
                "max_by(p.name, NULL), min_by(NULL, p.name) FROM k8s.pods p");
  EXPECT_EQ(json::serialize(rs.rows.at(0)), R"(["web-7d4b9c-fghij","web-7d4b9c-abcde",null,null])");
  // The x of the best y even when x is NULL; rows with a NULL y are skipped.
  EXPECT_EQ(scalar("SELECT max_by(e.value.x, e.value.y) FROM "
                   "UNNEST(json_decode('[{\"x\":1,\"y\":1},{\"y\":5},{\"x\":3}]')) e"),
            "null");
  EXPECT_EQ(scalar("SELECT min_by(e.x, e.y) FROM UNNEST(json_decode('[{\"x\":1,\"y\":2},{\"x\":2},{\"x\":3,\"y\":1}]')) e"),
            "3");
  auto grouped = run("SELECT p.metadata.namespace AS ns, max_by(p.name, p.name) FROM k8s.pods p GROUP BY ns ORDER BY ns");
  EXPECT_EQ(column(grouped, 1).front(), "\"batch-job-3-z9x8c\"");
  EXPECT_NE(error_of("SELECT max_by(1) FROM k8s.pods p").find("max_by() takes 2 arguments"), std::string::npos);
  EXPECT_NE(error_of("SELECT max_by(DISTINCT 1, 2) FROM k8s.pods p").find("does not take DISTINCT"), std::string::npos);
}

TEST(Functions, Entries) {
  EXPECT_EQ(eval(R"(entries(json_decode('{"b":1,"a":{"c":[2]}}')))"),
            R"([{"key":"b","value":1},{"key":"a","value":{"c":[2]}}])");
  EXPECT_EQ(eval("entries(json_decode('{}'))"), "[]");
  EXPECT_EQ(eval("entries(NULL)"), "null");
  EXPECT_NE(error_of("SELECT entries(split('a', ','))").find("entries() expects an object, got array"), std::string::npos);
  auto rs = run("SELECT e.key, e.value FROM k8s.nodes n, UNNEST(entries(n.metadata.labels)) e WHERE n.name = 'worker-a'");
  EXPECT_EQ(json::serialize(rs.rows.at(0)).front(), '[');
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(json::serialize(rs.rows.at(1)), R"(["kubernetes.io/os","linux"])");
}

TEST(Functions, ArrayConcat) {
  EXPECT_EQ(eval("array_concat(split('a,b', ','), split('c', ','), json_decode('[]'))"), R"(["a","b","c"])");
  EXPECT_EQ(eval(R"(array_concat(json_decode('[1,[2]]'), NULL, json_decode('[{"x":null}]')))"), R"([1,[2],{"x":null}])");
  EXPECT_EQ(eval("array_concat(json_decode('[]'), json_decode('[]'))"), "[]");
  EXPECT_EQ(eval("array_concat(NULL, NULL)"), "null");
  EXPECT_NE(error_of("SELECT array_concat(split('a', ','), 'b')").find("array_concat() expects arrays, argument 2 is string"),
            std::string::npos);
  auto rs = run("SELECT array_length(array_concat(p.spec.initContainers, p.spec.containers)) FROM k8s.pods p "
                "WHERE p.name = 'web-7d4b9c-abcde'");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"2"}));
}

TEST(Functions, NamesAreCaseInsensitive) {
  EXPECT_EQ(eval("LOWER('A')"), "\"a\"");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM k8s.nodes"), "4");
}

TEST(Functions, EveryFunctionIsDocumented) {
  std::string doc = read_file(KCQL_DOCS);
  for (const auto& f : all_functions())
    EXPECT_NE(doc.find("`" + std::string(f.name) + "("), std::string::npos) << f.name << " is not in docs/kcql.md";
  for (const auto& a : all_aggregates())
    EXPECT_NE(doc.find("`" + std::string(a.name) + "("), std::string::npos) << a.name << " is not in docs/kcql.md";
}

}  // namespace
}  // namespace kinspect::kcql::test
