#include <boost/json.hpp>

#include "core/report/detail.h"
#include "core/report/json_writer.h"
#include "core/report/render.h"

namespace kinspect::report {
namespace json = boost::json;

namespace detail {

namespace {
void newline(std::string& out, int indent) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * 2, ' ');
}
}  // namespace

void write_json(std::string& out, const json::value& v, int indent) {
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& kv : o) {
        if (!first) out += ',';
        first = false;
        newline(out, indent + 1);
        out += json::serialize(json::value(valid_utf8(kv.key())));
        out += ": ";
        write_json(out, kv.value(), indent + 1);
      }
      newline(out, indent);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      // Arrays of scalars stay on one line when short.
      bool scalars = true;
      for (const auto& e : a)
        if (e.is_structured()) scalars = false;
      std::string line;
      if (scalars) {
        for (const auto& e : a) {
          if (!line.empty()) line += ", ";
          write_json(line, e, 0);
        }
        if (line.size() <= 80) {
          out += '[' + line + ']';
          return;
        }
      }
      out += '[';
      bool first = true;
      for (const auto& e : a) {
        if (!first) out += ',';
        first = false;
        newline(out, indent + 1);
        write_json(out, e, indent + 1);
      }
      newline(out, indent);
      out += ']';
      return;
    }
    case json::kind::double_:
      out += format_number(v.get_double());
      return;
    case json::kind::string:
      out += json::serialize(json::value(valid_utf8(v.get_string())));
      return;
    default:
      out += json::serialize(v);
      return;
  }
}

}  // namespace detail

namespace {

json::value number(double v) {
  // Whole numbers are written as integers; read back through to_number<double>.
  return v;
}

json::object finding_json(const Finding& f, std::string_view check_id) {
  json::object o;
  o["object"] = f.object;
  o["message"] = f.message;
  o["severity"] = to_string(f.severity);
  o["change"] = to_string(f.change);
  o["fingerprint"] = f.fingerprint(check_id);
  o["details"] = f.details;
  return o;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::string render_json(const Report& r) {
  json::object root;
  // This writer produces exactly v1, whatever version the report was read from.
  root["schema"] = kSchemaVersion;
  root["kinspect_version"] = r.kinspect_version;
  root["generated_at"] = r.generated_at;
  root["duration_ms"] = number(r.duration_ms);

  json::object cluster;
  cluster["name"] = r.cluster.name;
  cluster["version"] = r.cluster.version;
  cluster["type"] = r.cluster.type;
  cluster["detected"] = strings(r.cluster.detected);
  cluster["nodes"] = r.cluster.nodes;
  cluster["pods"] = r.cluster.pods;
  root["cluster"] = std::move(cluster);

  root["profile"] = r.profile;
  root["scenario"] = r.scenario;
  root["target_version"] = r.target_version;
  root["baseline"] = r.baseline;

  Summary s = r.summary();
  json::object sum;
  sum["checks"] = s.checks;
  sum["passed"] = s.passed;
  sum["failed"] = s.failed;
  sum["errors"] = s.errors;
  sum["skipped"] = s.skipped;
  sum["findings"] = s.findings;
  sum["critical"] = s.critical;
  sum["warning"] = s.warning;
  sum["info"] = s.info;
  sum["new_findings"] = s.new_findings;
  sum["resolved_findings"] = s.resolved_findings;
  root["summary"] = std::move(sum);

  json::array checks;
  for (const auto& c : r.checks) {
    json::object o;
    o["id"] = c.id;
    o["title"] = c.title;
    o["category"] = c.category;
    o["component"] = c.component;
    o["severity"] = to_string(c.severity);
    o["status"] = to_string(c.status);
    o["reason"] = c.reason;
    o["remedy"] = c.remedy;
    o["doc"] = c.doc;
    o["source"] = c.source;
    o["tables"] = strings(c.tables);
    o["duration_ms"] = number(c.duration_ms);
    json::array fs;
    for (const auto& f : c.findings) fs.emplace_back(finding_json(f, c.id));
    o["findings"] = std::move(fs);
    checks.emplace_back(std::move(o));
  }
  root["checks"] = std::move(checks);

  json::array tables;
  for (const auto& t : r.tables) {
    json::object o;
    o["name"] = t.name;
    o["plugin"] = t.plugin;
    o["rows"] = t.rows;
    o["duration_ms"] = number(t.duration_ms);
    o["error"] = t.error;
    tables.emplace_back(std::move(o));
  }
  root["tables"] = std::move(tables);

  json::object resolved;
  for (const auto& [id, fs] : r.resolved) {
    json::array a;
    for (const auto& f : fs) a.emplace_back(finding_json(f, id));
    resolved[id] = std::move(a);
  }
  root["resolved"] = std::move(resolved);

  std::string out;
  detail::write_json(out, root, 0);
  out += '\n';
  return out;
}

}  // namespace kinspect::report
