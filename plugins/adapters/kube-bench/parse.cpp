#include "parse.h"

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

void read_control(Output& out, const Fields& f) {
  Control c;
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

}  // namespace

Output read_json(std::string_view text, const std::string& file, const std::string& node) {
  Output out;
  out.file = file;
  out.node = node;
  json::value doc = adapters::parse_json(text, file);
  const json::array* controls = nullptr;
  std::string where = file + ":";
  if (doc.is_array()) {
    out.format = "json-array";
    controls = &doc.as_array();
  } else if (doc.is_object() && doc.as_object().contains("Controls")) {
    out.format = "json-wrapped";
    controls = Fields(doc.as_object(), file + ":").array("Controls");
    where = file + ": Controls";
  } else {
    throw std::runtime_error(file + ": not kube-bench JSON: expected an array of controls or an object with \"Controls\", got " +
                             (doc.is_object() ? std::string("an object without \"Controls\"") : std::string(json_kind(doc))));
  }
  for (size_t i = 0; controls && i < controls->size(); ++i)
    read_control(out, Fields(object_at(*controls, i, where), where + (doc.is_array() ? " " : "") + "[" + std::to_string(i) + "]"));
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
  return read_text(text, file, node);
}

}  // namespace kinspect::adapters::kubebench
