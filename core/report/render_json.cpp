#include <boost/json.hpp>

#include "core/report/detail.h"
#include "core/report/json_writer.h"
#include "core/report/render.h"
#include "core/report/score.h"

namespace kinspect::report {
namespace json = boost::json;

namespace detail {

void newline(std::string& out, int indent) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * 2, ' ');
}

// The members of `o` without its braces, each on a line of its own.
void write_members(std::string& out, const json::object& o, int indent, bool& first) {
  for (const auto& kv : o) {
    if (!first) out += ',';
    first = false;
    newline(out, indent + 1);
    append_json_string(out, kv.key());
    out += ": ";
    write_json(out, kv.value(), indent + 1);
  }
}

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
      write_members(out, o, indent, first);
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
      append_json_string(out, v.get_string());
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

// Findings are most of a large report (75,000 of them at 150k pods): they
// are written straight out rather than copied into a document first.
json::object waiver_json(const WaiverRef& w) {
  return {{"reason", w.reason}, {"owner", w.owner}, {"expires", w.expires}, {"origin", w.origin}};
}

// With `waiver`, a waived finding: the finding's members and the waiver's.
void write_finding(std::string& out, const Finding& f, std::string_view check_id, int indent,
                   const WaiverRef* waiver = nullptr) {
  auto member = [&](std::string_view key, std::string_view text, bool last = false) {
    detail::newline(out, indent + 1);
    detail::append_json_string(out, key);
    out += ": ";
    detail::append_json_string(out, text);
    if (!last) out += ',';
  };
  out += '{';
  member("object", f.object);
  member("message", f.message);
  member("severity", to_string(f.severity));
  member("change", to_string(f.change));
  member("fingerprint", f.fingerprint(check_id));
  member("target", f.target);    // v1.2
  member("tool_id", f.tool_id);  // v1.2
  detail::newline(out, indent + 1);
  out += "\"also_reported_by\": ";
  json::array also;
  for (const auto& a : f.also)
    also.push_back(json::object{{"check", a.check_id}, {"tool_id", a.tool_id}, {"object", a.object},
                                {"message", a.message}, {"severity", to_string(a.severity)}});
  detail::write_json(out, also, indent + 1);
  out += ',';
  if (waiver) {  // v1.3
    detail::newline(out, indent + 1);
    out += "\"waiver\": ";
    detail::write_json(out, waiver_json(*waiver), indent + 1);
    out += ',';
  }
  detail::newline(out, indent + 1);
  out += "\"details\": ";
  detail::write_json(out, f.details, indent + 1);
  detail::newline(out, indent);
  out += '}';
}

// Called after each finding: hands `out` to the sink once it holds a spill's worth.
using Spill = std::function<void(std::string& out)>;

void write_findings(std::string& out, const std::vector<Finding>& findings, std::string_view check_id, int indent,
                    const Spill& spill) {
  if (findings.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < findings.size(); ++i) {
    if (i) out += ',';
    detail::newline(out, indent + 1);
    write_finding(out, findings[i], check_id, indent + 1);
    spill(out);
  }
  detail::newline(out, indent);
  out += ']';
}

void write_waived(std::string& out, const std::vector<WaivedFinding>& waived, std::string_view check_id, int indent,
                  const Spill& spill) {
  if (waived.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < waived.size(); ++i) {
    if (i) out += ',';
    detail::newline(out, indent + 1);
    write_finding(out, waived[i].finding, check_id, indent + 1, &waived[i].waiver);
    spill(out);
  }
  detail::newline(out, indent);
  out += ']';
}

json::array notes_json(const std::vector<WaiverNote>& notes) {
  json::array a;
  for (const auto& n : notes) {
    json::object o = waiver_json(n.waiver);
    o["check"] = n.check;
    o["object"] = n.object;
    a.emplace_back(std::move(o));
  }
  return a;
}

// `"key": ` after the members written so far, on a new line.
void next_member(std::string& out, std::string_view key, int indent, bool& first) {
  if (!first) out += ',';
  first = false;
  detail::newline(out, indent + 1);
  detail::append_json_string(out, key);
  out += ": ";
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::string render_json(const Report& r) {
  std::string text;
  write_json(r, [&](std::string_view piece) { text += piece; });
  return text;
}

void write_json(const Report& r, const std::function<void(std::string_view)>& sink) {
  constexpr size_t kSpillBytes = size_t(1) << 20;
  const Spill spill = [&](std::string& out) {
    if (out.size() < kSpillBytes) return;
    sink(out);
    out.clear();  // keeps its capacity: the same pages for the whole report
  };
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
  // v1.3: what the run looked at, and the waivers that did not apply.
  root["scope"] = json::object{{"namespaces", strings(r.scope.namespaces)},
                               {"exclude_namespaces", strings(r.scope.exclude_namespaces)},
                               {"label_selector", r.scope.label_selector}};
  root["waivers"] = json::object{{"files", strings(r.waiver_files)},
                                 {"expired", notes_json(r.expired_waivers)},
                                 {"unmatched", notes_json(r.unmatched_waivers)}};

  Summary s = r.summary();
  json::object sum;
  sum["checks"] = s.checks;
  sum["passed"] = s.passed;
  sum["failed"] = s.failed;
  sum["errors"] = s.errors;
  sum["skipped"] = s.skipped;
  sum["not_checked"] = s.not_checked;
  json::array causes;
  for (const auto& k : s.causes) causes.push_back(json::object{{"cause", k.cause}, {"checks", k.checks}, {"example", k.example}});
  sum["causes"] = std::move(causes);
  sum["findings"] = s.findings;
  sum["critical"] = s.critical;
  sum["warning"] = s.warning;
  sum["info"] = s.info;
  sum["new_findings"] = s.new_findings;
  sum["resolved_findings"] = s.resolved_findings;
  sum["waived"] = s.waived;                        // v1.3
  sum["expired_waivers"] = s.expired_waivers;      // v1.3
  sum["unmatched_waivers"] = s.unmatched_waivers;  // v1.3
  root["summary"] = std::move(sum);
  root["score"] = score_json(compute_scores(r));  // v1.3

  // Everything up to the checks is a small document; the checks and their
  // findings are written out one by one.
  std::string out;
  out.reserve(kSpillBytes + kSpillBytes / 4);
  out += '{';
  bool first = true;
  detail::write_members(out, root, 0, first);
  next_member(out, "checks", 0, first);
  if (r.checks.empty()) {
    out += "[]";
  } else {
    out += '[';
    for (size_t i = 0; i < r.checks.size(); ++i) {
      const auto& c = r.checks[i];
      json::object o;
      o["id"] = c.id;
      o["title"] = c.title;
      o["category"] = c.category;
      o["component"] = c.component;
      o["severity"] = to_string(c.severity);
      o["status"] = to_string(c.status);
      o["reason"] = c.reason;
      o["cause"] = c.cause;
      o["optional"] = c.optional;
      o["remedy"] = c.remedy;
      o["doc"] = c.doc;
      o["source"] = c.source;
      o["tables"] = strings(c.tables);
      o["duration_ms"] = number(c.duration_ms);
      o["same_as"] = strings(c.same_as);  // v1.2
      o["merged"] = c.merged;             // v1.2
      if (i) out += ',';
      detail::newline(out, 2);
      out += '{';
      bool check_first = true;
      detail::write_members(out, o, 2, check_first);
      next_member(out, "findings", 2, check_first);
      write_findings(out, c.findings, c.id, 3, spill);
      next_member(out, "waived", 2, check_first);  // v1.3
      write_waived(out, c.waived, c.id, 3, spill);
      detail::newline(out, 2);
      out += '}';
    }
    detail::newline(out, 1);
    out += ']';
  }

  json::array tables;
  for (const auto& t : r.tables) {
    json::object o;
    o["name"] = t.name;
    o["plugin"] = t.plugin;
    o["rows"] = t.rows;
    o["duration_ms"] = number(t.duration_ms);
    o["error"] = t.error;
    o["cause"] = t.cause;
    tables.emplace_back(std::move(o));
  }
  next_member(out, "tables", 0, first);
  detail::write_json(out, tables, 1);

  next_member(out, "resolved", 0, first);
  if (r.resolved.empty()) {
    out += "{}";
  } else {
    out += '{';
    bool resolved_first = true;
    for (const auto& [id, fs] : r.resolved) {
      next_member(out, id, 1, resolved_first);
      write_findings(out, fs, id, 2, spill);
    }
    detail::newline(out, 1);
    out += '}';
  }
  detail::newline(out, 0);
  out += "}\n";
  sink(out);
}

}  // namespace kinspect::report
