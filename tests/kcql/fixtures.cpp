#include "fixtures.h"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <sstream>

namespace kinspect::kcql::test {

namespace json = boost::json;

static ColumnSchema col(std::string name, ColumnType type = ColumnType::Json, bool hidden = false) {
  ColumnSchema c;
  c.name = std::move(name);
  c.type = type;
  c.hidden = hidden;
  return c;
}

static TableSchema table(std::string name, std::vector<ColumnSchema> cols, std::vector<ArgumentSchema> args = {}) {
  TableSchema t;
  t.name = std::move(name);
  t.columns = std::move(cols);
  t.arguments = std::move(args);
  t.plugin = "fixtures";
  return t;
}

FixtureCatalog::FixtureCatalog() {
  const auto text = ColumnType::Text;
  auto object_table = [&](std::string name, bool namespaced, std::vector<std::string> extra) {
    std::vector<ColumnSchema> cols{col("name", text)};
    if (namespaced) cols.push_back(col("namespace", text));
    cols.push_back(col("metadata"));
    for (auto& e : extra) cols.push_back(col(e));
    add(table(std::move(name), std::move(cols)));
  };
  object_table("k8s.nodes", false, {"spec", "status"});
  object_table("k8s.pods", true, {"spec", "status"});
  object_table("k8s.services", true, {"spec"});
  object_table("k8s.endpoints", true, {"subsets"});
  object_table("k8s.daemonsets", true, {"spec", "status"});
  object_table("k8s.validatingwebhookconfigurations", false, {"webhooks"});
  object_table("k8s.namespaces", false, {"status"});
  add(table("k8s.secrets", {col("name", text), col("namespace", text), col("type", text), col("metadata"),
                            col("data", ColumnType::Json, true)}));
  // As the kube-apiserver plugin names them (its k8s.version is the /version object).
  add(table("k8s.version", {col("gitVersion", text), col("platform", text), col("buildDate", text)}));
  ArgumentSchema path{"path", text, "absolute path on the node", true};
  add(table("node.file", {col("node", text), col("path", text), col("content", text), col("size", ColumnType::Integer)},
            {path}));
  ArgumentSchema host{"host", text, "address", true}, port{"port", ColumnType::Integer, "TCP port", true},
      timeout{"timeout_ms", ColumnType::Integer, "connect timeout", false};
  add(table("net.tcp_probe", {col("host", text), col("port", ColumnType::Integer), col("reachable", ColumnType::Boolean),
                              col("latency_ms", ColumnType::Real)},
            {host, port, timeout}));
}

const TableSchema* FixtureCatalog::find(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

std::vector<std::string> FixtureCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : tables_) out.push_back(name);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json::array load_rows(const std::string& file) {
  json::value v = json::parse(read_file(std::string(KCQL_TEST_DATA) + "/" + file));
  if (v.is_array()) return v.get_array();
  json::array rows;
  for (const auto& item : v.at("items").get_array()) {
    json::object row;
    const auto& o = item.get_object();
    row["name"] = o.at("metadata").at("name");
    if (const auto* ns = o.at("metadata").get_object().if_contains("namespace")) row["namespace"] = *ns;
    for (const char* k : {"metadata", "spec", "status"})
      if (const auto* x = o.if_contains(k)) row[k] = *x;
    rows.push_back(std::move(row));
  }
  return rows;
}

FixtureProvider::FixtureProvider() {
  rows_["k8s.nodes"] = load_rows("nodes.json");
  rows_["k8s.pods"] = load_rows("pods.json");
  rows_["k8s.services"] = load_rows("services.json");
  rows_["k8s.endpoints"] = load_rows("endpoints.json");
  rows_["k8s.daemonsets"] = load_rows("daemonsets.json");
  rows_["k8s.validatingwebhookconfigurations"] = load_rows("validatingwebhooks.json");
  rows_["k8s.namespaces"] = load_rows("namespaces.json");
  rows_["k8s.secrets"] = load_rows("secrets.json");
  rows_["k8s.version"] = load_rows("version.json");
}

static void copy_path(const json::value& src, json::value& dst, const std::vector<std::string>& parts, size_t i) {
  if (i == parts.size()) {
    dst = src;
    return;
  }
  if (src.is_array()) {
    // Arrays are traversed: keep the path in every element.
    if (!dst.is_array()) dst = json::array(src.get_array().size());
    auto& out = dst.get_array();
    for (size_t k = 0; k < src.get_array().size(); ++k) copy_path(src.get_array()[k], out[k], parts, i);
    return;
  }
  if (!src.is_object()) {
    dst = src;  // a scalar where the path expected more: keep it as it is
    return;
  }
  // As RowParser's projection does: an object on the path is kept, if only
  // as {} (so "a.#" keeps a's shell and `a IS NULL` sees it).
  if (!dst.is_object()) dst = json::object();
  const json::value* next = src.get_object().if_contains(parts[i]);
  if (!next) return;
  copy_path(*next, dst.get_object()[parts[i]], parts, i + 1);
}

json::value prune_row(const json::value& row, const std::vector<std::string>& paths) {
  if (paths.empty()) return row;
  json::value out = json::object();
  for (const auto& p : paths) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = p.find('.', start)) != std::string::npos; start = dot + 1) parts.push_back(p.substr(start, dot - start));
    parts.push_back(p.substr(start));
    copy_path(row, out, parts, 0);
  }
  return out;
}

Expected<std::shared_ptr<const TableData>> FixtureProvider::fetch(const ScanSpec& spec) {
  requests.push_back(spec);
  auto data = std::make_shared<TableData>();
  if (spec.table == "node.file") {
    // One row per node: the path's content, made up.
    std::string path(spec.args.at(0).as_string());
    for (const char* node : {"cp-1", "worker-a"}) {
      json::object r;
      r["node"] = node;
      r["path"] = path;
      std::string content = path.ends_with(".yaml")
                                ? "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --anonymous-auth=false\n"
                                : std::string("contents of ") + path;
      r["content"] = content;
      r["size"] = int64_t(content.size());
      data->add(r);
    }
  } else if (spec.table == "net.tcp_probe") {
    json::object r;
    r["host"] = spec.args.at(0);
    r["port"] = spec.args.at(1);
    r["reachable"] = spec.args.at(1).as_int64() == 6443;
    r["latency_ms"] = 1.5;
    data->add(r);
  } else {
    auto it = rows_.find(spec.table);
    if (it == rows_.end()) return Error("no fixture rows for " + spec.table);
    for (const auto& row : it->second) data->add(prune ? prune_row(row, spec.paths) : row);
  }
  return std::shared_ptr<const TableData>(std::move(data));
}

static const FixtureCatalog& catalog() {
  static FixtureCatalog c;
  return c;
}

ResultSet run(const std::string& query, const Params& params, FixtureProvider* provider, ExecOptions options) {
  if (options.now == 0) options.now = kNow;
  auto q = parse_query(query);
  EXPECT_TRUE(q.ok()) << q.error().format();
  if (!q) return {};
  auto plan = bind_query(*q, catalog(), params);
  EXPECT_TRUE(plan.ok()) << plan.error().format();
  if (!plan) return {};
  FixtureProvider local;
  auto rs = execute(*plan, provider ? *provider : local, options);
  EXPECT_TRUE(rs.ok()) << rs.error().format();
  if (!rs) return {};
  return std::move(rs).value();
}

std::string error_of(const std::string& query, const Params& params, ExecOptions options) {
  if (options.now == 0) options.now = kNow;
  auto q = parse_query(query);
  if (!q) return q.error().format();
  auto plan = bind_query(*q, catalog(), params);
  if (!plan) return plan.error().format();
  FixtureProvider provider;
  auto rs = execute(*plan, provider, options);
  if (!rs) return rs.error().format();
  ADD_FAILURE() << "expected an error from: " << query;
  return {};
}

std::string error_of_with(FixtureProvider& provider, const std::string& query, ExecOptions options) {
  auto q = parse_query(query);
  if (!q) return q.error().format();
  auto plan = bind_query(*q, catalog());
  if (!plan) return plan.error().format();
  auto rs = execute(*plan, provider, options);
  if (!rs) return rs.error().format();
  ADD_FAILURE() << "expected an error from: " << query;
  return {};
}

std::vector<std::string> column(const ResultSet& rs, size_t col) {
  std::vector<std::string> out;
  for (const auto& row : rs.rows) out.push_back(col < row.size() ? json::serialize(row[col]) : "<missing>");
  return out;
}

Expected<std::vector<Finding>> run_check_text(const std::string& text, const std::string& file,
                                              FixtureProvider* provider) {
  auto checks = parse_checks(text, file);
  if (!checks) return std::move(checks).error();
  auto lint = lint_checks(*checks, catalog());
  EXPECT_TRUE(lint.empty()) << lint.front().format();
  auto bound = bind_check((*checks)[0], catalog());
  if (!bound) return std::move(bound).error();
  FixtureProvider local;
  ExecOptions options;
  options.now = kNow;
  return run_check(*bound, provider ? *provider : local, options);
}

std::string rows_of(const ResultSet& rs) {
  json::array all;
  for (const auto& r : rs.rows) all.push_back(r);
  return json::serialize(all);
}

std::string explain_of(const std::string& query) {
  auto q = parse_query(query);
  EXPECT_TRUE(q.ok()) << q.error().format();
  if (!q) return {};
  auto plan = bind_query(*q, catalog());
  EXPECT_TRUE(plan.ok()) << plan.error().format();
  return plan ? plan->explain() : std::string();
}

std::string scalar(const std::string& q) {
  ResultSet rs = run(q);
  if (rs.rows.size() != 1 || rs.rows[0].size() != 1) {
    ADD_FAILURE() << "expected one value from: " << q << " (got " << rs.rows.size() << " rows)";
    return {};
  }
  return json::serialize(rs.rows[0][0]);
}

}  // namespace kinspect::kcql::test
