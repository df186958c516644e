// Parsing a plugin's describe() document into table and check schemas.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/plugin/plugin.h"

namespace kinspect {

namespace json = boost::json;

namespace {

// Reads fields of one JSON object, remembering the path for error messages
// ("tables[2].columns[0].type").
class Reader {
 public:
  Reader(const json::value& v, std::string path) : v_(v), path_(std::move(path)) {}

  Status require_object() const {
    if (!v_.is_object()) return fail("", "expected an object");
    return {};
  }
  Status string(std::string_view key, std::string& out, bool required) const {
    const json::value* f = v_.as_object().if_contains(key);
    if (!f || f->is_null()) return required ? fail(key, "is required") : Status();
    if (!f->is_string()) return fail(key, "must be a string");
    out = f->get_string();
    return {};
  }
  Status boolean(std::string_view key, bool& out) const {
    const json::value* f = v_.as_object().if_contains(key);
    if (!f || f->is_null()) return {};
    if (!f->is_bool()) return fail(key, "must be true or false");
    out = f->get_bool();
    return {};
  }
  const json::array* array(std::string_view key, Status& st) const {
    const json::value* f = v_.as_object().if_contains(key);
    if (!f || f->is_null()) return nullptr;
    if (!f->is_array()) {
      st = fail(key, "must be an array");
      return nullptr;
    }
    return &f->get_array();
  }
  Status fail(std::string_view key, std::string_view what) const {
    Diagnostic d;
    d.field = key.empty() ? path_ : (path_.empty() ? std::string(key) : path_ + "." + std::string(key));
    d.message = std::string(what);
    d.file = "describe()";
    return Error::from(std::move(d));
  }
  std::string sub(std::string_view key, size_t i) const {
    return (path_.empty() ? "" : path_ + ".") + std::string(key) + "[" + std::to_string(i) + "]";
  }
  const json::value& value() const { return v_; }

 private:
  const json::value& v_;
  std::string path_;
};

#define KI_TRY(expr)              \
  do {                            \
    Status _st = (expr);          \
    if (!_st.ok()) return _st.error(); \
  } while (0)

Expected<ColumnType> read_type(const Reader& r) {
  std::string t;
  KI_TRY(r.string("type", t, true));
  ColumnType ct;
  if (!parse_column_type(t, ct))
    return r.fail("type", "unknown type '" + t + "' (want text, integer, real, boolean, json or timestamp)").error();
  return ct;
}

bool valid_table_name(std::string_view n) {
  if (n.empty() || n.front() == '.' || n.back() == '.') return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

// ABI 1.1: the "settings" array, if the plugin declares one.
Expected<PluginDescription> parse_settings(const Reader& root, PluginDescription out) {
  Status st;
  const json::array* settings = root.array("settings", st);
  if (!st.ok()) return st.error();
  if (!settings) return out;
  out.declares_settings = true;
  for (size_t i = 0; i < settings->size(); ++i) {
    Reader r((*settings)[i], root.sub("settings", i));
    KI_TRY(r.require_object());
    SettingSchema ss;
    KI_TRY(r.string("name", ss.name, true));
    auto type = read_type(r);
    if (!type) return type.error();
    ss.type = *type;
    KI_TRY(r.string("doc", ss.doc, false));
    if (const json::value* d = r.value().as_object().if_contains("default")) ss.default_json = json::serialize(*d);
    out.settings.push_back(std::move(ss));
  }
  return out;
}

}  // namespace

Expected<PluginDescription> parse_description(std::string_view text, std::string_view plugin) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Error("plugin '" + std::string(plugin) + "' describe() returned invalid JSON: " + ec.message());
  Reader root(doc, "");
  KI_TRY(root.require_object());
  PluginDescription out;
  Status st;

  if (const json::array* tables = root.array("tables", st)) {
    for (size_t i = 0; i < tables->size(); ++i) {
      Reader t((*tables)[i], root.sub("tables", i));
      KI_TRY(t.require_object());
      TableSchema ts;
      KI_TRY(t.string("name", ts.name, true));
      if (!valid_table_name(ts.name))
        return t.fail("name", "table name '" + ts.name + "' must be lower-case words joined by dots").error();
      KI_TRY(t.string("doc", ts.doc, false));
      KI_TRY(t.string("row_kind", ts.row_kind, false));
      if (const json::array* cols = t.array("columns", st)) {
        for (size_t j = 0; j < cols->size(); ++j) {
          Reader c((*cols)[j], t.sub("columns", j));
          KI_TRY(c.require_object());
          ColumnSchema cs;
          KI_TRY(c.string("name", cs.name, true));
          auto type = read_type(c);
          if (!type) return type.error();
          cs.type = *type;
          KI_TRY(c.string("doc", cs.doc, false));
          KI_TRY(c.boolean("hidden", cs.hidden));
          if (ts.column(cs.name)) return c.fail("name", "duplicate column '" + cs.name + "'").error();
          ts.columns.push_back(std::move(cs));
        }
      }
      if (!st.ok()) return st.error();
      if (ts.columns.empty()) return t.fail("columns", "a table needs at least one column").error();
      if (const json::array* args = t.array("arguments", st)) {
        for (size_t j = 0; j < args->size(); ++j) {
          Reader a((*args)[j], t.sub("arguments", j));
          KI_TRY(a.require_object());
          ArgumentSchema as;
          KI_TRY(a.string("name", as.name, true));
          auto type = read_type(a);
          if (!type) return type.error();
          as.type = *type;
          KI_TRY(a.string("doc", as.doc, false));
          KI_TRY(a.boolean("required", as.required));
          ts.arguments.push_back(std::move(as));
        }
      }
      if (!st.ok()) return st.error();
      if (const json::array* ex = t.array("examples", st)) {
        for (const auto& e : *ex)
          if (e.is_string()) ts.examples.emplace_back(e.get_string());
      }
      if (!st.ok()) return st.error();
      KI_TRY(t.boolean("open_columns", ts.open_columns));
      if (const json::array* parts = t.array("made_of", st)) {
        for (size_t j = 0; j < parts->size(); ++j) {
          const json::value& m = (*parts)[j];
          if (!m.is_string() || (m.get_string() != "*" && !valid_table_name(std::string(m.get_string()))))
            return t.fail("made_of", "entry " + std::to_string(j) + " must be a table name or \"*\"").error();
          ts.made_of.emplace_back(m.get_string());
        }
      }
      if (!st.ok()) return st.error();
      for (const auto& prev : out.tables)
        if (prev.name == ts.name) return t.fail("name", "table '" + ts.name + "' is declared twice").error();
      out.tables.push_back(std::move(ts));
    }
  }
  if (!st.ok()) return st.error();

  if (const json::array* checks = root.array("checks", st)) {
    for (size_t i = 0; i < checks->size(); ++i) {
      Reader c((*checks)[i], root.sub("checks", i));
      KI_TRY(c.require_object());
      NativeCheckSchema cs;
      KI_TRY(c.string("id", cs.id, true));
      KI_TRY(c.string("title", cs.title, true));
      KI_TRY(c.string("category", cs.category, true));
      KI_TRY(c.string("severity", cs.severity, true));
      if (cs.severity != "critical" && cs.severity != "warning" && cs.severity != "info")
        return c.fail("severity", "must be critical, warning or info, not '" + cs.severity + "'").error();
      KI_TRY(c.string("component", cs.component, false));
      KI_TRY(c.string("remedy", cs.remedy, false));
      KI_TRY(c.string("doc", cs.doc, false));
      if (const json::array* reads = c.array("reads", st))
        for (const auto& r : *reads)
          if (r.is_string()) cs.reads.emplace_back(r.get_string());
      if (!st.ok()) return st.error();
      if (const json::value* p = c.value().as_object().if_contains("params")) {
        if (!p->is_object()) return c.fail("params", "must be an object").error();
        cs.params_json = json::serialize(*p);
      }
      out.checks.push_back(std::move(cs));
    }
  }
  if (!st.ok()) return st.error();
  return parse_settings(root, std::move(out));
}

}  // namespace kinspect
