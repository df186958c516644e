#include "parse.h"

#include <cctype>
#include <stdexcept>

#include "adapter.h"

namespace kinspect::adapters::kubebench {

void Counts::add(std::string_view status) {
  if (status == "PASS") ++pass;
  else if (status == "FAIL") ++fail;
  else if (status == "WARN") ++warn;
  else if (status == "INFO") ++info;
}

std::optional<bool> scored_from_title(std::string_view title) {
  auto ends = [&](std::string_view s) { return title.size() >= s.size() && title.substr(title.size() - s.size()) == s; };
  if (ends("(Not Scored)") || ends("(Manual)")) return false;
  if (ends("(Scored)") || ends("(Automated)")) return true;
  return std::nullopt;
}

std::string argument_named(std::string_view title) {
  auto name_at = [&](size_t at) {
    size_t end = at;
    while (end < title.size() && (std::islower(static_cast<unsigned char>(title[end])) ||
                                  std::isdigit(static_cast<unsigned char>(title[end])) || title[end] == '-'))
      ++end;
    return std::string(title.substr(at, end - at));
  };
  if (size_t dashes = title.find("--"); dashes != std::string_view::npos) return name_at(dashes + 2);
  // "the anonymous-auth argument": the word before " argument".
  size_t arg = title.find(" argument");
  if (arg == std::string_view::npos) return "";
  size_t start = title.rfind(' ', arg - 1);
  start = start == std::string_view::npos ? 0 : start + 1;
  std::string word = name_at(start);
  return start + word.size() == arg && word.find('-') != std::string::npos ? word : "";
}

namespace {

bool valid_status(std::string_view s) { return s == "PASS" || s == "FAIL" || s == "WARN" || s == "INFO"; }

std::optional<Counts> stated_counts(const Fields& f, const char* prefix) {
  std::string p = prefix;
  if (!f.has(p + "pass") && !f.has(p + "fail") && !f.has(p + "warn") && !f.has(p + "info")) return std::nullopt;
  Counts c;
  c.pass = f.integer(p + "pass").value_or(0);
  c.fail = f.integer(p + "fail").value_or(0);
  c.warn = f.integer(p + "warn").value_or(0);
  c.info = f.integer(p + "info").value_or(0);
  return c;
}

void read_result(Output& out, const Fields& f, size_t control, const Section& section) {
  Result r;
  r.control = control;
  r.section = section.id;
  r.section_desc = section.desc;
  r.id = f.text("test_number");
  r.text = f.text("test_desc");
  r.status = f.text("status");
  if (!valid_status(r.status))
    throw std::runtime_error(f.at("status") + ": expected PASS, FAIL, WARN or INFO, got '" + r.status + "'");
  r.scored = f.boolean("scored");
  if (!r.scored) r.scored = scored_from_title(r.text);
  r.remediation = f.text("remediation");
  r.audit = f.text("audit");
  r.audit_config = f.text("AuditConfig");
  r.expected = f.text("expected_result");
  r.actual = f.text("actual_value");
  r.reason = f.text("reason");
  r.type = f.text("type");
  out.results.push_back(std::move(r));
}

void read_control(Output& out, const Fields& f, const std::string& node) {
  Control c;
  c.node = node;
  c.id = f.text("id");
  c.version = f.text("version");
  c.text = f.text("text");
  c.node_type = f.text("node_type");
  c.stated = stated_counts(f, "total_");
  const size_t ci = out.controls.size();
  out.controls.push_back(std::move(c));
  const json::array* tests = f.array("tests");
  for (size_t i = 0; tests && i < tests->size(); ++i) {
    Fields g(object_at(*tests, i, f.at("tests")), f.at("tests", i));
    Section s;
    s.control = ci;
    s.id = g.text("section");
    s.desc = g.text("desc");
    s.stated = stated_counts(g, "");
    const json::array* results = g.array("results");
    for (size_t j = 0; results && j < results->size(); ++j) {
      read_result(out, Fields(object_at(*results, j, g.at("results")), g.at("results", j)), ci, s);
      s.counted.add(out.results.back().status);
      out.controls[ci].counted.add(out.results.back().status);
    }
    out.sections.push_back(std::move(s));
  }
}

bool is_starboard_report(const json::value& v) {
  const json::value* kind = v.is_object() ? v.as_object().if_contains("kind") : nullptr;
  return kind && kind->is_string() && kind->as_string() == "CISKubeBenchReport";
}

// One CISKubeBenchReport (aquasecurity/starboard, pkg/apis/aquasecurity/
// v1alpha1): report.sections are kube-bench's controls as kube-bench wrote
// them; the report is named after its node. `where` names it in errors.
void read_starboard_report(Output& out, const json::object& report, const std::string& where) {
  Fields f(report, where);
  const json::object* meta = f.object("metadata");
  const std::string node = meta ? Fields(*meta, f.at("metadata")).text("name") : std::string();
  const json::object* data = f.object("report");
  if (!data) throw std::runtime_error(f.at("report") + ": missing: a CISKubeBenchReport keeps its results there");
  Fields r(*data, f.at("report"));
  const json::array* sections = r.array("sections");
  for (size_t i = 0; sections && i < sections->size(); ++i)
    read_control(out, Fields(object_at(*sections, i, r.at("sections")), r.at("sections", i)), node.empty() ? out.node : node);
}

// A CISKubeBenchReport, or a List of them (kubectl get -o json), read into
// `out`; false when `doc` is neither.
bool read_starboard(Output& out, const json::value& doc, const std::string& file) {
  if (is_starboard_report(doc)) {
    read_starboard_report(out, doc.as_object(), file + ":");
    return true;
  }
  const json::value* items = doc.is_object() ? doc.as_object().if_contains("items") : nullptr;
  if (!items || !items->is_array() || items->as_array().empty() || !is_starboard_report(items->as_array()[0])) return false;
  const json::array& list = items->as_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = file + ": items[" + std::to_string(i) + "]";
    if (!is_starboard_report(list[i])) throw std::runtime_error(where + ": expected a CISKubeBenchReport like items[0]");
    read_starboard_report(out, list[i].as_object(), where);
  }
  return true;
}

}  // namespace

Output read_json(std::string_view text, const std::string& file, const std::string& node) {
  Output out;
  out.file = file;
  out.node = node;
  json::value doc = adapters::parse_json(text, file);
  const json::array* controls = nullptr;
  std::string where = file + ":";
  if (read_starboard(out, doc, file)) {
    out.format = "starboard";
    return out;
  }
  if (doc.is_array()) {
    out.format = "json-array";
    controls = &doc.as_array();
  } else if (doc.is_object() && doc.as_object().contains("Controls")) {
    out.format = "json-wrapped";
    controls = Fields(doc.as_object(), file + ":").array("Controls");
    where = file + ": Controls";
  } else {
    throw std::runtime_error(file + ": not kube-bench JSON: expected an array of controls, an object with \"Controls\" or a CISKubeBenchReport, got " +
                             (doc.is_object() ? std::string("an object without \"Controls\"") : std::string(json_kind(doc))));
  }
  for (size_t i = 0; controls && i < controls->size(); ++i)
    read_control(out, Fields(object_at(*controls, i, where), where + (doc.is_array() ? " " : "") + "[" + std::to_string(i) + "]"),
                 node);
  return out;
}

Output parse(std::string_view text, const std::string& file, const std::string& node) {
  size_t first = text.find_first_not_of(" \t\r\n\xef\xbb\xbf");
  if (first == std::string_view::npos) throw std::runtime_error(file + ": the file is empty");
  if (text[first] == '{' || text[first] == '[') {
    // Console output also starts with '[' ("[INFO] 1 ..."): JSON never has a letter after '['.
    size_t next = text.find_first_not_of(" \t\r\n", first + 1);
    bool console = text[first] == '[' && next != std::string_view::npos && text[next] >= 'A' && text[next] <= 'Z';
    if (!console) return read_json(text, file, node);
  }
  // `kubectl get ciskubebenchreports -o yaml`: say how to get what is read.
  if (text.find("kind: CISKubeBenchReport") != std::string_view::npos)
    throw std::runtime_error(file + ":1:1: a CISKubeBenchReport in YAML; save it as JSON: kubectl get ciskubebenchreports -o json");
  return read_text(text, file, node);
}

}  // namespace kinspect::adapters::kubebench
