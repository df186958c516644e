// SARIF 2.1.0 (OASIS), for code-scanning dashboards: one run whose rules are
// the checks and whose results are the findings. Checks that could not run
// are tool execution notifications, and make the invocation unsuccessful, so
// a "not checked" never reads as a clean result.
#include <boost/json.hpp>

#include "core/report/detail.h"
#include "core/report/json_writer.h"
#include "core/report/render.h"
#include "core/report/score.h"

namespace kinspect::report {
namespace json = boost::json;

namespace {

constexpr const char* kSarifSchema =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

// SARIF's levels: critical is an error, warning a warning, info a note.
std::string_view level(Severity s) {
  switch (s) {
    case Severity::Critical: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "note";
  }
  return "warning";
}

json::object text(std::string_view s) { return json::object{{"text", detail::valid_utf8(s)}}; }

json::object rule(const CheckResult& c) {
  const std::string title = c.title.empty() ? c.id : c.title;
  json::object r;
  r["id"] = detail::valid_utf8(c.id);
  r["name"] = detail::valid_utf8(title);
  r["shortDescription"] = text(title);
  std::string full = title + " (category " + (c.category.empty() ? "other" : c.category);
  if (!c.component.empty()) full += ", component " + c.component;
  full += ", severity " + std::string(to_string(c.severity)) + ")";
  r["fullDescription"] = text(full);
  std::string help = c.remedy.empty() ? "No remedy is given for this check." : "Remedy: " + c.remedy;
  if (!c.doc.empty()) help += "\nDocumentation: " + c.doc;
  r["help"] = text(help);
  if (!c.doc.empty()) r["helpUri"] = detail::valid_utf8(c.doc);
  r["defaultConfiguration"] = json::object{{"level", level(c.severity)}};
  json::object props;
  props["category"] = detail::valid_utf8(c.category);
  props["component"] = detail::valid_utf8(c.component);
  props["severity"] = to_string(c.severity);
  props["source"] = detail::valid_utf8(c.source);
  json::array tags;
  if (!c.category.empty()) tags.emplace_back(detail::valid_utf8(c.category));
  props["tags"] = std::move(tags);
  r["properties"] = std::move(props);
  return r;
}

// "pod/kube-system/coredns-5d7f" -> kind "pod", name "coredns-5d7f".
json::object logical_location(std::string_view object) {
  json::object l;
  l["fullyQualifiedName"] = detail::valid_utf8(object);
  size_t slash = object.find('/');
  size_t last = object.rfind('/');
  l["name"] = detail::valid_utf8(last == std::string_view::npos ? object : object.substr(last + 1));
  if (slash != std::string_view::npos) l["kind"] = detail::valid_utf8(object.substr(0, slash));
  return l;
}

json::object result(const CheckResult& c, size_t rule_index, const Finding& f) {
  json::object r;
  r["ruleId"] = detail::valid_utf8(c.id);
  r["ruleIndex"] = rule_index;
  r["level"] = level(f.severity);
  r["message"] = text(f.message);
  json::array logical{logical_location(f.object)};
  r["locations"] = json::array{json::object{{"logicalLocations", std::move(logical)}}};
  r["partialFingerprints"] = json::object{{"kinspect/v1", f.fingerprint(c.id)}};
  if (f.change == Change::New) r["baselineState"] = "new";
  else if (f.change == Change::Unchanged) r["baselineState"] = "unchanged";
  json::object props;
  if (!f.target.empty()) props["target"] = detail::valid_utf8(f.target);
  if (!f.tool_id.empty()) props["toolId"] = detail::valid_utf8(f.tool_id);
  if (!f.also.empty()) {
    json::array also;
    for (const auto& a : f.also)
      also.push_back(json::object{{"check", detail::valid_utf8(a.check_id)}, {"toolId", detail::valid_utf8(a.tool_id)},
                                  {"message", detail::valid_utf8(a.message)}});
    props["alsoReportedBy"] = std::move(also);
  }
  if (!f.details.is_null()) props["details"] = f.details;
  if (!props.empty()) r["properties"] = std::move(props);
  return r;
}

// A check without a verdict: an error and a "not checked" skip are what an
// incomplete run is made of; a not-applicable or optional skip is a note.
json::object notification(const CheckResult& c, size_t rule_index) {
  const bool not_checked = counts_as_not_checked(c);
  const std::string cause = c.status == Status::Error ? "error" : c.cause.empty() ? "skipped" : c.cause;
  std::string msg = c.id + (not_checked ? " was not checked (" : " did not run (") + cause + ")";
  if (!c.reason.empty()) msg += ": " + c.reason;
  json::object n;
  n["message"] = text(msg);
  n["level"] = c.status == Status::Error ? "error" : not_checked ? "warning" : "note";
  n["associatedRule"] = json::object{{"id", detail::valid_utf8(c.id)}, {"index", rule_index}};
  n["properties"] = json::object{{"status", to_string(c.status)}, {"cause", detail::valid_utf8(cause)},
                                 {"notChecked", not_checked}, {"optional", c.optional}};
  return n;
}

json::object run_properties(const Report& r, const Summary& s) {
  json::object p;
  p["cluster"] = json::object{{"name", detail::valid_utf8(r.cluster.name)},
                              {"version", detail::valid_utf8(r.cluster.version)},
                              {"type", detail::valid_utf8(r.cluster.type)}};
  p["profile"] = detail::valid_utf8(r.profile);
  p["scenario"] = detail::valid_utf8(r.scenario);
  if (!r.target_version.empty()) p["targetVersion"] = detail::valid_utf8(r.target_version);
  if (!r.baseline.empty()) p["baseline"] = detail::valid_utf8(r.baseline);
  p["summary"] = json::object{{"checks", s.checks},     {"passed", s.passed},   {"failed", s.failed},
                              {"errors", s.errors},     {"skipped", s.skipped}, {"notChecked", s.not_checked},
                              {"findings", s.findings}, {"newFindings", s.new_findings},
                              {"resolvedFindings", s.resolved_findings}};
  p["score"] = score_json(compute_scores(r));
  return p;
}

}  // namespace

std::string render_sarif(const Report& r) {
  const Summary s = r.summary();
  json::array rules, results, notifications;
  for (size_t i = 0; i < r.checks.size(); ++i) {
    const auto& c = r.checks[i];
    rules.emplace_back(rule(c));
    for (const auto& f : c.findings) results.emplace_back(result(c, i, f));
    if (c.status == Status::Error || c.status == Status::Skipped) notifications.emplace_back(notification(c, i));
  }

  json::object driver;
  driver["name"] = "kinspect";
  if (!r.kinspect_version.empty()) {
    driver["version"] = detail::valid_utf8(r.kinspect_version);
    driver["semanticVersion"] = detail::valid_utf8(r.kinspect_version);
  }
  driver["informationUri"] = kProjectUri;
  driver["rules"] = std::move(rules);

  // Successful only when every selected check ran and at least one did.
  json::object invocation;
  invocation["executionSuccessful"] = s.not_checked == 0 && s.passed + s.failed > 0;
  if (!r.generated_at.empty()) invocation["endTimeUtc"] = detail::valid_utf8(r.generated_at);
  invocation["toolExecutionNotifications"] = std::move(notifications);

  json::object run;
  run["tool"] = json::object{{"driver", std::move(driver)}};
  run["invocations"] = json::array{std::move(invocation)};
  run["results"] = std::move(results);
  run["properties"] = run_properties(r, s);

  json::object root;
  root["$schema"] = kSarifSchema;
  root["version"] = "2.1.0";
  root["runs"] = json::array{std::move(run)};
  std::string out;
  detail::write_json(out, root);
  out += '\n';
  return out;
}

}  // namespace kinspect::report
