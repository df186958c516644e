// Reading a JSON report back: every problem is collected (not just the first)
// with the dotted path of its field.
#include <boost/json.hpp>

#include <charconv>

#include "core/report/render.h"

namespace kinspect::report {
namespace json = boost::json;

namespace {

// The major version of "kinspect.report/vN[.M]", or -1 if it is not one.
int schema_major(std::string_view s) {
  constexpr std::string_view prefix = "kinspect.report/v";
  if (s.substr(0, prefix.size()) != prefix) return -1;
  s.remove_prefix(prefix.size());
  int major = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), major);
  if (ec != std::errc() || p == s.data()) return -1;
  std::string_view rest(p, s.data() + s.size() - p);
  if (!rest.empty() && rest[0] != '.') return -1;
  return major;
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  void fail(const std::string& field, std::string message) {
    Diagnostic d;
    d.file = file_;
    d.field = field;
    d.message = std::move(message);
    diags_.push_back(std::move(d));
  }

  const json::value* member(const json::object& o, const std::string& path, std::string_view key, bool required) {
    auto* v = o.if_contains(key);
    if (!v && required) fail(join(path, key), "is missing");
    return v;
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  void str(const json::object& o, const std::string& path, std::string_view key, std::string& out,
           bool required = false) {
    auto* v = member(o, path, key, required);
    if (!v) return;
    if (!v->is_string()) return fail(join(path, key), "expected a string, got " + std::string(kind_name(*v)));
    out = std::string(v->get_string());
  }

  void num(const json::object& o, const std::string& path, std::string_view key, double& out) {
    auto* v = member(o, path, key, false);
    if (!v) return;
    if (!v->is_number()) return fail(join(path, key), "expected a number, got " + std::string(kind_name(*v)));
    out = v->to_number<double>();
  }

  void count(const json::object& o, const std::string& path, std::string_view key, uint64_t& out) {
    auto* v = member(o, path, key, false);
    if (!v) return;
    if (v->is_uint64()) out = v->get_uint64();
    else if (v->is_int64() && v->get_int64() >= 0) out = static_cast<uint64_t>(v->get_int64());
    else fail(join(path, key), "expected a non-negative integer, got " + std::string(kind_name(*v)));
  }

  void strings(const json::object& o, const std::string& path, std::string_view key, std::vector<std::string>& out) {
    auto* v = member(o, path, key, false);
    if (!v) return;
    std::string p = join(path, key);
    if (!v->is_array()) return fail(p, "expected an array of strings, got " + std::string(kind_name(*v)));
    const auto& a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_string()) out.emplace_back(a[i].get_string());
      else fail(p + "[" + std::to_string(i) + "]", "expected a string, got " + std::string(kind_name(a[i])));
    }
  }

  template <class E>
  void enumeration(const json::object& o, const std::string& path, std::string_view key, E& out, bool required,
                   bool (*parse)(std::string_view, E&), std::string_view allowed) {
    std::string s;
    auto before = diags_.size();
    str(o, path, key, s, required);
    if (diags_.size() != before || !o.contains(key)) return;
    if (!parse(s, out)) fail(join(path, key), "expected one of " + std::string(allowed) + ", got \"" + s + "\"");
  }

  const json::object* object(const json::value& v, const std::string& path) {
    if (!v.is_object()) {
      fail(path, "expected an object, got " + std::string(kind_name(v)));
      return nullptr;
    }
    return &v.get_object();
  }

  const json::array* array(const json::object& o, const std::string& path, std::string_view key, bool required) {
    auto* v = member(o, path, key, required);
    if (!v) return nullptr;
    if (!v->is_array()) {
      fail(join(path, key), "expected an array, got " + std::string(kind_name(*v)));
      return nullptr;
    }
    return &v->get_array();
  }

  Finding finding(const json::value& v, const std::string& path) {
    Finding f;
    auto* o = object(v, path);
    if (!o) return f;
    str(*o, path, "object", f.object, true);
    str(*o, path, "message", f.message, true);
    enumeration(*o, path, "severity", f.severity, false, parse_severity, "critical, warning, info");
    enumeration(*o, path, "change", f.change, false, parse_change, "none, new, unchanged, resolved");
    str(*o, path, "target", f.target);    // v1.2
    str(*o, path, "tool_id", f.tool_id);  // v1.2
    if (auto* a = array(*o, path, "also_reported_by", false))
      for (size_t i = 0; i < a->size(); ++i) f.also.push_back(also((*a)[i], join(path, "also_reported_by") + "[" + std::to_string(i) + "]"));
    if (auto* d = o->if_contains("details")) f.details = *d;
    return f;
  }

  AlsoReported also(const json::value& v, const std::string& path) {
    AlsoReported a;
    auto* o = object(v, path);
    if (!o) return a;
    str(*o, path, "check", a.check_id, true);
    str(*o, path, "tool_id", a.tool_id);
    str(*o, path, "object", a.object);
    str(*o, path, "message", a.message, true);
    enumeration(*o, path, "severity", a.severity, false, parse_severity, "critical, warning, info");
    return a;
  }

  WaiverRef waiver_ref(const json::object& o, const std::string& path) {
    WaiverRef w;
    str(o, path, "reason", w.reason);
    str(o, path, "owner", w.owner);
    str(o, path, "expires", w.expires);
    str(o, path, "origin", w.origin);
    return w;
  }

  // v1.3: findings a waiver accepts, each with its `waiver`.
  void waived(const json::array& a, const std::string& path, std::vector<WaivedFinding>& out) {
    for (size_t i = 0; i < a.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      WaivedFinding w{finding(a[i], p), {}};
      if (a[i].is_object())
        if (auto* wv = member(a[i].get_object(), p, "waiver", true))
          if (auto* wo = object(*wv, join(p, "waiver"))) w.waiver = waiver_ref(*wo, join(p, "waiver"));
      out.push_back(std::move(w));
    }
  }

  void notes(const json::object& o, const std::string& path, std::string_view key, std::vector<WaiverNote>& out) {
    auto* a = array(o, path, key, false);
    if (!a) return;
    for (size_t i = 0; i < a->size(); ++i) {
      std::string p = join(path, key) + "[" + std::to_string(i) + "]";
      auto* n = object((*a)[i], p);
      if (!n) continue;
      WaiverNote note;
      str(*n, p, "check", note.check, true);
      str(*n, p, "object", note.object);
      note.waiver = waiver_ref(*n, p);
      out.push_back(std::move(note));
    }
  }

  // v1.3: the scope and the waivers; absent in older reports.
  void scope_and_waivers(const json::object& o, Report& r) {
    if (auto* sv = member(o, "", "scope", false))
      if (auto* s = object(*sv, "scope")) {
        strings(*s, "scope", "namespaces", r.scope.namespaces);
        strings(*s, "scope", "exclude_namespaces", r.scope.exclude_namespaces);
        str(*s, "scope", "label_selector", r.scope.label_selector);
      }
    if (auto* wv = member(o, "", "waivers", false))
      if (auto* w = object(*wv, "waivers")) {
        strings(*w, "waivers", "files", r.waiver_files);
        notes(*w, "waivers", "expired", r.expired_waivers);
        notes(*w, "waivers", "unmatched", r.unmatched_waivers);
      }
  }

  void findings(const json::array& a, const std::string& path, std::vector<Finding>& out) {
    for (size_t i = 0; i < a.size(); ++i) out.push_back(finding(a[i], path + "[" + std::to_string(i) + "]"));
  }

  CheckResult check(const json::value& v, const std::string& path) {
    CheckResult c;
    auto* o = object(v, path);
    if (!o) return c;
    str(*o, path, "id", c.id, true);
    str(*o, path, "title", c.title);
    str(*o, path, "category", c.category);
    str(*o, path, "component", c.component);
    enumeration(*o, path, "severity", c.severity, false, parse_severity, "critical, warning, info");
    enumeration(*o, path, "status", c.status, true, parse_status, "pass, fail, error, skipped");
    str(*o, path, "reason", c.reason);
    str(*o, path, "cause", c.cause);  // v1.1
    if (auto* opt = o->if_contains("optional"); opt && opt->is_bool()) c.optional = opt->as_bool();
    str(*o, path, "remedy", c.remedy);
    str(*o, path, "doc", c.doc);
    str(*o, path, "source", c.source);
    strings(*o, path, "tables", c.tables);
    num(*o, path, "duration_ms", c.duration_ms);
    strings(*o, path, "same_as", c.same_as);  // v1.2
    count(*o, path, "merged", c.merged);       // v1.2
    if (auto* a = array(*o, path, "findings", false)) findings(*a, join(path, "findings"), c.findings);
    if (auto* a = array(*o, path, "waived", false)) waived(*a, join(path, "waived"), c.waived);  // v1.3
    return c;
  }

  Report report(const json::value& root) {
    Report r;
    auto* o = object(root, "");
    if (!o) return r;
    auto* schema = o->if_contains("schema");
    if (!schema || !schema->is_string()) {
      fail("schema", schema ? "expected a string such as \"" + std::string(kSchemaVersion) + "\""
                            : "is missing: this is not a kinspect report (expected \"schema\": \"" +
                                  std::string(kSchemaVersion) + "\")");
      return r;
    }
    std::string_view sv = schema->get_string();
    int major = schema_major(sv);
    if (major < 0) {
      fail("schema", "\"" + std::string(sv) + "\" is not a kinspect report schema (expected \"" +
                         std::string(kSchemaVersion) + "\")");
      return r;
    }
    if (major != 1) {
      fail("schema", "report schema \"" + std::string(sv) + "\" is not supported: this kinspect reads \"" +
                         std::string(kSchemaVersion) + "\" (major version " + std::to_string(major) +
                         (major > 1 ? " is newer; upgrade kinspect to read it)" : " is not supported)"));
      return r;
    }
    r.schema = std::string(sv);
    str(*o, "", "kinspect_version", r.kinspect_version);
    str(*o, "", "generated_at", r.generated_at);
    num(*o, "", "duration_ms", r.duration_ms);
    if (auto* cv = member(*o, "", "cluster", false)) {
      if (auto* c = object(*cv, "cluster")) {
        str(*c, "cluster", "name", r.cluster.name);
        str(*c, "cluster", "version", r.cluster.version);
        str(*c, "cluster", "type", r.cluster.type);
        strings(*c, "cluster", "detected", r.cluster.detected);
        count(*c, "cluster", "nodes", r.cluster.nodes);
        count(*c, "cluster", "pods", r.cluster.pods);
      }
    }
    str(*o, "", "profile", r.profile);
    str(*o, "", "scenario", r.scenario);
    str(*o, "", "target_version", r.target_version);
    str(*o, "", "baseline", r.baseline);
    scope_and_waivers(*o, r);
    // "summary" and "score" (v1.3) are not read: both follow from the checks
    // and are recomputed, so a report edited by hand cannot disagree with itself.
    if (auto* a = array(*o, "", "checks", true))
      for (size_t i = 0; i < a->size(); ++i) r.checks.push_back(check((*a)[i], "checks[" + std::to_string(i) + "]"));
    if (auto* a = array(*o, "", "tables", false)) {
      for (size_t i = 0; i < a->size(); ++i) {
        std::string p = "tables[" + std::to_string(i) + "]";
        auto* t = object((*a)[i], p);
        if (!t) continue;
        TableFetch tf;
        str(*t, p, "name", tf.name, true);
        str(*t, p, "plugin", tf.plugin);
        count(*t, p, "rows", tf.rows);
        num(*t, p, "duration_ms", tf.duration_ms);
        str(*t, p, "error", tf.error);
        str(*t, p, "cause", tf.cause);  // v1.1
        r.tables.push_back(std::move(tf));
      }
    }
    if (auto* rv = member(*o, "", "resolved", false)) {
      if (auto* ro = object(*rv, "resolved")) {
        for (const auto& kv : *ro) {
          std::string p = "resolved." + std::string(kv.key());
          if (!kv.value().is_array()) {
            fail(p, "expected an array of findings, got " + std::string(kind_name(kv.value())));
            continue;
          }
          findings(kv.value().get_array(), p, r.resolved[std::string(kv.key())]);
        }
      }
    }
    return r;
  }

  std::vector<Diagnostic>& diagnostics() { return diags_; }

 private:
  std::string file_;
  std::vector<Diagnostic> diags_;
};

// 1-based line and column of a byte offset.
SourcePos position(std::string_view text, size_t offset) {
  SourcePos p{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

}  // namespace

Expected<Report> parse_report_json(std::string_view text, std::string_view file) {
  json::stream_parser parser;
  json::error_code ec;
  size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    Diagnostic d;
    d.file = std::string(file);
    d.pos = position(text, used);
    d.message = "not valid JSON: " + ec.message();
    d.source_line = std::string(line_of(text, d.pos.line));
    return Error::from(std::move(d));
  }
  json::value root = parser.release();
  Reader reader(file);
  Report r = reader.report(root);
  auto& diags = reader.diagnostics();
  if (!diags.empty()) {
    // One problem: its diagnostic is the message ("r.json: field 'checks[0].status':
    // error: ..."); several: a count, and format() lists each.
    std::string msg = diags.size() == 1 ? diags[0].format()
                                        : std::string(file) + ": " + std::to_string(diags.size()) +
                                              " problems in the report";
    return Error(std::move(msg), std::move(diags));
  }
  return r;
}

}  // namespace kinspect::report
