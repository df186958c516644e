// Popeye adapter: `popeye -o json` output as tables, in both of the shapes
// Popeye has written: {"popeye": {"sanitizers": [{"sanitizer": ...}]}} (up to
// v0.11) and {"popeye": {"sections": [{"linter": ...}]}} (v0.20 on). Each
// issue's message starts with its code, "[POP-106] No resources ...".
// See docs/adapters.md.
#include "adapter.h"
#include "errors.h"

#include <stdexcept>

namespace kinspect::adapters::popeye {

namespace {

using T = ks::Type;

const char* const kInputDoc = "the output of popeye -o json, or a folder of such files";

ks::TableSpec issues_table() {
  return {"popeye.issues",
          "One row per issue Popeye reported on a resource.",
          {{"file", T::Text, "The Popeye output"},
           {"linter", T::Text, "Popeye's linter (\"sanitizer\" before v0.20): pods, deployments, cluster, ..."},
           {"gvr", T::Text, "The linter's resource (\"v1/pods\")"},
           {"resource", T::Text, "The resource, \"namespace/name\" or \"name\""},
           {"namespace", T::Text, "Its namespace, when the resource has one"},
           {"name", T::Text, "Its name"},
           {"group", T::Text, "The issue's group (a container name, or __root__)"},
           {"issue_gvr", T::Text, "The issue's own gvr (\"containers\")"},
           {"level", T::Integer, "0 ok, 1 info, 2 warning, 3 error"},
           {"level_name", T::Text, "ok, info, warning or error"},
           {"code", T::Text, "Popeye's code (\"POP-106\"); NULL when the message has none"},
           {"message", T::Text, "The message without the code"}},
          {},
          {"SELECT code, resource, message FROM popeye.issues WHERE level >= 2"}};
}

ks::TableSpec linters_table() {
  return {"popeye.linters",
          "One row per Popeye linter (sanitizer), with its tally and the report's score.",
          {{"file", T::Text, "The Popeye output"},
           {"format", T::Text, "sanitizers (up to v0.11) or sections (v0.20 on)"},
           {"report_score", T::Integer, "The report's score"},
           {"report_grade", T::Text, "The report's grade"},
           {"linter", T::Text, "pods, deployments, ..."},
           {"gvr", T::Text, "Its resource"},
           {"ok", T::Integer, "tally.ok"},
           {"info", T::Integer, "tally.info"},
           {"warning", T::Integer, "tally.warning"},
           {"error", T::Integer, "tally.error"},
           {"score", T::Integer, "tally.score"}},
          {},
          {"SELECT linter, error, warning FROM popeye.linters"}};
}

ks::TableSpec errors_table() {
  return {"popeye.errors",
          "One row per error Popeye recorded in its report: a scan it could not finish, so its issues are incomplete.",
          {{"file", T::Text, "The Popeye output"},
           {"message", T::Text, "Popeye's message; NULL where Popeye wrote none (before v0.20 each error was written as {})"}},
          {},
          {"SELECT file, message FROM popeye.errors"}};
}

const char* level_name(int64_t level) {
  switch (level) {
    case 0: return "ok";
    case 1: return "info";
    case 2: return "warning";
    case 3: return "error";
  }
  return "unknown";
}

// The linters of a report and the names of their keys in this shape.
struct Shape {
  const json::array* linters = nullptr;
  const char* format = "";
  const char* name_key = "";
};

Shape shape_of(const Fields& report) {
  if (const json::array* a = report.array("sections")) return {a, "sections", "linter"};
  if (const json::array* a = report.array("sanitizers")) return {a, "sanitizers", "sanitizer"};
  throw std::runtime_error(report.at("sections") + ": missing; Popeye's JSON has popeye.sections (v0.20 on) or popeye.sanitizers");
}

void add_issue(const Fields& linter, const char* name_key, const std::string& resource, const Fields& issue,
               const std::string& file, Rows& out) {
  auto level = issue.integer("level");
  if (!level) throw std::runtime_error(issue.at("level") + ": missing");
  std::string message = issue.text("message"), code;
  if (message.size() > 2 && message[0] == '[') {
    size_t close = message.find(']');
    if (close != std::string::npos) {
      code = message.substr(1, close - 1);
      message = message.substr(message.find_first_not_of(' ', close + 1) == std::string::npos ? message.size()
                                                                                              : message.find_first_not_of(' ', close + 1));
    }
  }
  size_t slash = resource.find('/');
  out.push_back(row([&](ks::JsonWriter& w) {
    w.field("file", file).field("linter", linter.text(name_key));
    text_or_null(w, "gvr", linter.text("gvr"));
    w.field("resource", resource);
    text_or_null(w, "namespace", slash == std::string::npos ? std::string() : resource.substr(0, slash));
    w.field("name", slash == std::string::npos ? resource : resource.substr(slash + 1));
    text_or_null(w, "group", issue.text("group"));
    text_or_null(w, "issue_gvr", issue.text("gvr"));
    w.field("level", *level).field("level_name", level_name(*level));
    text_or_null(w, "code", code);
    w.field("message", message);
  }));
}

void add_issues(const Fields& linter, const char* name_key, const std::string& file, Rows& out) {
  const json::object* issues = linter.object("issues");
  if (!issues) return;
  for (const auto& [resource, list] : *issues) {
    std::string where = linter.at("issues") + "." + std::string(resource);
    if (list.is_null()) continue;
    if (!list.is_array()) throw std::runtime_error(where + ": expected an array of issues, got " + json_kind(list));
    for (size_t i = 0; i < list.as_array().size(); ++i)
      add_issue(linter, name_key, std::string(resource),
                Fields(object_at(list.as_array(), i, where), where + "[" + std::to_string(i) + "]"), file, out);
  }
}

void add_linter_row(const Fields& report, const Shape& shape, const Fields& linter, const std::string& file, Rows& out) {
  const json::object* tally = linter.object("tally");
  json::object empty;
  Fields t(tally ? *tally : empty, linter.at("tally"));
  out.push_back(row([&](ks::JsonWriter& w) {
    w.field("file", file).field("format", shape.format);
    int_or_null(w, "report_score", report.integer("score"));
    text_or_null(w, "report_grade", report.text("grade"));
    w.field("linter", linter.text(shape.name_key));
    text_or_null(w, "gvr", linter.text("gvr"));
    for (const char* k : {"ok", "info", "warning", "error", "score"}) int_or_null(w, k, t.integer(k));
  }));
}

class Popeye final : public AdapterPlugin {
 public:
  Popeye(const ks::Host&, std::string_view config) : AdapterPlugin("popeye", config, kInputDoc) {}
  std::vector<ks::TableSpec> tables() const override { return {issues_table(), linters_table(), errors_table()}; }

 protected:
  Rows rows(std::string_view table) override {
    Rows out;
    for (const auto& file : input_files(config().input)) {
      const std::string text = read_file(file, config().max_input_bytes);
      json::value doc = parse_json(text, file);
      const json::value* report = doc.is_object() ? doc.as_object().if_contains("popeye") : nullptr;
      if (!report || !report->is_object())
        throw std::runtime_error(file + ": not Popeye JSON: expected an object with a \"popeye\" object");
      Fields r(report->as_object(), file + ": popeye");
      Shape shape = shape_of(r);
      if (table == "popeye.errors") {
        for (const auto& message : report_errors(text))
          out.push_back(row([&](ks::JsonWriter& w) { text_or_null(w.field("file", file), "message", message); }));
        continue;
      }
      for (size_t i = 0; i < shape.linters->size(); ++i) {
        Fields linter(object_at(*shape.linters, i, r.at(shape.format)), r.at(shape.format, i));
        if (table == "popeye.linters") add_linter_row(r, shape, linter, file, out);
        else add_issues(linter, shape.name_key, file, out);
      }
    }
    return out;
  }
};

}  // namespace

}  // namespace kinspect::adapters::popeye

KINSPECT_PLUGIN(kinspect::adapters::popeye::Popeye, "popeye", "1.0.0",
                "Popeye's lint report (--with popeye=PATH) as popeye.* tables", KI_KIND_DRIVER)
