// Prometheus text exposition format 0.0.4, for node_exporter's textfile
// collector or a Pushgateway.
#include <map>

#include "core/report/detail.h"
#include "core/report/render.h"

namespace kinspect::report {
namespace {

// Label values escape backslash, double quote and newline.
std::string label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view help) {
  out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
  out += "# TYPE " + std::string(name) + " gauge\n";
}

using Labels = std::vector<std::pair<std::string_view, std::string>>;

void sample(std::string& out, std::string_view name, const Labels& labels, const std::string& value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      out += std::string(k) + "=\"" + label(v) + "\"";
    }
    out += '}';
  }
  out += " " + value + "\n";
}

}  // namespace

std::string render_prometheus(const Report& r) {
  std::string out;
  Summary s = r.summary();

  family(out, "kinspect_report_info", "The inspected cluster and the run; always 1.");
  sample(out, "kinspect_report_info",
         {{"cluster", r.cluster.name},
          {"version", r.cluster.version},
          {"type", r.cluster.type},
          {"profile", r.profile},
          {"scenario", r.scenario},
          {"kinspect_version", r.kinspect_version}},
         "1");

  family(out, "kinspect_check_status", "1 if the check passed, 0 if it failed, errored or was skipped.");
  for (const auto& c : r.checks)
    sample(out, "kinspect_check_status",
           {{"check", c.id},
            {"category", c.category},
            {"component", c.component},
            {"severity", std::string(to_string(c.severity))}},
           c.status == Status::Pass ? "1" : "0");

  family(out, "kinspect_findings", "Findings of a check by severity (0 for a check that ran without findings).");
  for (const auto& c : r.checks) {
    if (c.status != Status::Pass && c.status != Status::Fail) continue;
    std::map<int, uint64_t> by;  // rank -> count, critical first
    by[-rank(c.severity)] += 0;
    for (const auto& f : c.findings) ++by[-rank(f.severity)];
    for (const auto& [neg, n] : by) {
      Severity sev = neg == -2 ? Severity::Critical : neg == -1 ? Severity::Warning : Severity::Info;
      sample(out, "kinspect_findings", {{"check", c.id}, {"severity", std::string(to_string(sev))}}, std::to_string(n));
    }
  }

  family(out, "kinspect_waived_findings", "Findings of a check that waivers accept (not counted in kinspect_findings).");
  for (const auto& c : r.checks)
    if (!c.waived.empty()) sample(out, "kinspect_waived_findings", {{"check", c.id}}, std::to_string(c.waived.size()));
  family(out, "kinspect_waivers", "Waivers that did not apply, by state: expired, or matched no finding.");
  sample(out, "kinspect_waivers", {{"state", "expired"}}, std::to_string(s.expired_waivers));
  sample(out, "kinspect_waivers", {{"state", "unmatched"}}, std::to_string(s.unmatched_waivers));

  family(out, "kinspect_checks_total", "Checks by status.");
  sample(out, "kinspect_checks_total", {{"status", "pass"}}, std::to_string(s.passed));
  sample(out, "kinspect_checks_total", {{"status", "fail"}}, std::to_string(s.failed));
  sample(out, "kinspect_checks_total", {{"status", "error"}}, std::to_string(s.errors));
  sample(out, "kinspect_checks_total", {{"status", "skipped"}}, std::to_string(s.skipped));

  // A check that could not run must be told from a pass by an alert rule:
  // 1 with its cause for every check that was not checked.
  family(out, "kinspect_check_not_checked", "1 if the check could not run (labelled with the cause); the run is then incomplete.");
  for (const auto& c : r.checks)
    if (counts_as_not_checked(c))
      sample(out, "kinspect_check_not_checked", {{"check", c.id}, {"cause", c.status == Status::Error ? "error" : c.cause}}, "1");
  family(out, "kinspect_run_incomplete", "1 if some selected check could not run, 0 if every one ran.");
  sample(out, "kinspect_run_incomplete", {}, s.not_checked ? "1" : "0");

  if (!r.baseline.empty() || s.new_findings || s.resolved_findings) {
    family(out, "kinspect_baseline_findings", "Findings compared with the baseline report, by change.");
    sample(out, "kinspect_baseline_findings", {{"change", "new"}}, std::to_string(s.new_findings));
    sample(out, "kinspect_baseline_findings", {{"change", "resolved"}}, std::to_string(s.resolved_findings));
  }

  family(out, "kinspect_run_duration_seconds", "How long the inspection took.");
  sample(out, "kinspect_run_duration_seconds", {}, detail::format_number(r.duration_ms / 1000.0));
  return out;
}

}  // namespace kinspect::report
