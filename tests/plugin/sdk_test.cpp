// The header-only SDK: its JSON output must be valid JSON that the core
// parses back to the same values, and describe() documents must validate.
#include <gtest/gtest.h>

#include <kinspect/sdk.hpp>

#include <boost/json.hpp>
#include <cmath>

#include "core/plugin/plugin.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

TEST(SdkJson, EscapesEverythingJsonRequires) {
  std::string buf;
  {
    ks::BatchWriter out(buf);
    out.row().field("s", std::string_view("q\"b\\n\n\t\x01 é ✓", 16)).field("i", -5).field("b", false).null("z");
  }
  json::value v = json::parse(buf);
  EXPECT_EQ(v.at("s").as_string(), std::string_view("q\"b\\n\n\t\x01 é ✓", 16));
  EXPECT_EQ(v.at("i").as_int64(), -5);
  EXPECT_FALSE(v.at("b").as_bool());
  EXPECT_TRUE(v.at("z").is_null());
}

TEST(SdkJson, NonFiniteNumbersBecomeNull) {
  std::string buf;
  {
    ks::BatchWriter out(buf);
    out.row().field("nan", std::nan("")).field("inf", HUGE_VAL).field("pi", 3.25);
  }
  json::value v = json::parse(buf);
  EXPECT_TRUE(v.at("nan").is_null());
  EXPECT_TRUE(v.at("inf").is_null());
  EXPECT_DOUBLE_EQ(v.at("pi").as_double(), 3.25);
}

TEST(SdkJson, NestedContainersAndSeveralRows) {
  std::string buf;
  {
    ks::BatchWriter out(buf);
    for (int i = 0; i < 2; ++i) {
      auto r = out.row();
      auto o = r.object("o");
      o.array("a").value(1).value("x").object().field("k", true);
    }
  }
  std::vector<json::value> rows;
  json::parser p;
  size_t pos = 0;
  while (pos < buf.size()) {
    if (buf[pos] == '\n') {
      ++pos;
      continue;
    }
    p.reset();
    pos += p.write_some(buf.data() + pos, buf.size() - pos);
    rows.push_back(p.release());
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[1].at("o").at("a").as_array()[2].at("k").as_bool());
}

TEST(Describe, MalformedDocumentsNameTheField) {
  struct Case {
    const char* doc;
    const char* expect;
  } cases[] = {
      {"not json", "describe() returned invalid JSON"},
      {"[]", "expected an object"},
      {R"({"tables":[{"columns":[]}]})", "field 'tables[0].name': error: is required"},
      {R"({"tables":[{"name":"Bad Name","columns":[{"name":"a","type":"text"}]}]})", "must be lower-case words"},
      {R"({"tables":[{"name":"t.a","columns":[{"name":"a","type":"blob"}]}]})",
       "field 'tables[0].columns[0].type': error: unknown type 'blob'"},
      {R"({"tables":[{"name":"t.a","columns":[]}]})", "a table needs at least one column"},
      {R"({"tables":[{"name":"t.a","columns":[{"name":"a","type":"text"},{"name":"a","type":"text"}]}]})",
       "duplicate column 'a'"},
      {R"({"checks":[{"id":"x","title":"t","category":"nodes","severity":"fatal"}]})",
       "field 'checks[0].severity': error: must be critical, warning or info, not 'fatal'"},
  };
  for (const auto& c : cases) {
    auto d = kinspect::parse_description(c.doc, "p");
    ASSERT_FALSE(d.ok()) << c.doc;
    EXPECT_NE(d.error().message().find(c.expect), std::string::npos) << c.doc << " -> " << d.error().message();
  }
}

// ABI 1.4: a table names the Kubernetes kind of its rows; describe() carries
// it to the host's TableSchema, and a table without one has none.
TEST(Describe, RowKindReachesTheHost) {
  struct Kinds : ks::Plugin {
    std::vector<ks::TableSpec> tables() const override {
      ks::TableSpec pods{"k8s.pods", "Pods", {{"metadata", ks::Type::Json, "ObjectMeta"}}, {}, {}};
      pods.row_kind = "v1/Pod";
      ks::TableSpec other{"x.facts", "Facts", {{"a", ks::Type::Text, ""}}, {}, {}};
      return {pods, other};
    }
  } plugin;
  const std::string doc = ks::detail::describe_json(plugin);
  EXPECT_NE(doc.find(R"("row_kind":"v1/Pod")"), std::string::npos) << doc;
  auto d = kinspect::parse_description(doc, "p");
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->tables.size(), 2u);
  EXPECT_EQ(d->tables[0].row_kind, "v1/Pod");
  EXPECT_EQ(d->tables[1].row_kind, "");
  auto bad = kinspect::parse_description(R"({"tables":[{"name":"t.a","row_kind":7,"columns":[{"name":"a","type":"text"}]}]})", "p");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("field 'tables[0].row_kind': error: must be a string"), std::string::npos)
      << bad.error().message();
}

TEST(SdkJson, ChildMayOutliveATemporaryParent) {
  // `auto t = w.array("taints").object();` keeps writing after the array's
  // temporary writer is gone; the brackets must still nest.
  std::string buf;
  {
    ks::BatchWriter out(buf);
    auto row = out.row();
    {
      auto taint = row.array("taints").object();
      taint.field("key", "node-role.kubernetes.io/control-plane");
      auto deeper = taint.object("a").array("b");
      deeper.value(1);
    }
    row.field("after", true);
  }
  json::value v = json::parse(buf);
  EXPECT_EQ(v.at("taints").as_array()[0].at("key").as_string(), "node-role.kubernetes.io/control-plane");
  EXPECT_EQ(v.at("taints").as_array()[0].at("a").at("b").as_array()[0].as_int64(), 1);
  EXPECT_TRUE(v.at("after").as_bool());
}

TEST(SdkJson, WritingAroundAnOpenChildIsRefused) {
  std::string buf;
  ks::BatchWriter out(buf);
  auto row = out.row();
  auto port = row.array("ports").object();
  // `row` now has an open grandchild: a member written to it would land
  // inside `port`. The writer refuses instead of producing wrong JSON.
  EXPECT_THROW(row.field("selector", "x"), std::logic_error);
  port.field("port", 80);
}
