// Prometheus text exposition format 0.0.4, for node_exporter's textfile
// collector or a Pushgateway. Every sample carries the cluster label, so the
// files of several clusters can sit side by side; every family is a gauge
// (one report says nothing monotonic), so none ends in _total.
#include <charconv>
#include <cmath>
#include <map>

#include "core/report/detail.h"
#include "core/report/render.h"
#include "core/report/score.h"
#include "core/util/time.h"

namespace kinspect::report {
namespace {

// Label values escape backslash, double quote and newline.
std::string label(std::string_view s) {
  std::string out;
  for (char c : detail::valid_utf8(s)) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Shortest round-trip text in fixed point: "3.25", "1795000000", never "1.795e+09".
std::string value(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

using Labels = std::vector<std::pair<std::string_view, std::string>>;

class MetricsPage {
 public:
  explicit MetricsPage(std::string cluster) : cluster_(std::move(cluster)) {}

  void family(std::string_view name, std::string_view help) {
    out_ += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out_ += "# TYPE " + std::string(name) + " gauge\n";
  }
  // The cluster label comes first on every sample.
  void sample(std::string_view name, const Labels& labels, double v) {
    out_ += std::string(name) + "{cluster=\"" + label(cluster_) + "\"";
    for (const auto& [k, val] : labels) out_ += "," + std::string(k) + "=\"" + label(val) + "\"";
    out_ += "} " + value(v) + "\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string cluster_;
  std::string out_;
};

void check_metrics(MetricsPage& p, const Report& r) {
  p.family("kinspect_check_status",
           "The check's status, one-hot: 1 for the status it had, 0 for the others (pass, fail, error, "
           "not_checked, skipped).");
  for (const auto& c : r.checks) {
    const std::string_view now = metric_status(c);
    for (std::string_view st : kMetricStatuses)
      p.sample("kinspect_check_status",
               {{"check", c.id},
                {"category", c.category},
                {"component", c.component},
                {"severity", std::string(to_string(c.severity))},
                {"status", std::string(st)}},
               st == now ? 1 : 0);
  }

  p.family("kinspect_findings", "Findings of a check that ran, by severity (0 for a check without findings).");
  for (const auto& c : r.checks) {
    if (c.status != Status::Pass && c.status != Status::Fail) continue;
    std::map<int, uint64_t> by;  // -rank -> count, critical first
    by[-rank(c.severity)] += 0;
    for (const auto& f : c.findings) ++by[-rank(f.severity)];
    for (const auto& [neg, n] : by) {
      Severity sev = neg == -2 ? Severity::Critical : neg == -1 ? Severity::Warning : Severity::Info;
      p.sample("kinspect_findings", {{"check", c.id}, {"severity", std::string(to_string(sev))}}, double(n));
    }
  }

  p.family("kinspect_waived_findings", "Findings of a check that waivers accept (not counted in kinspect_findings).");
  for (const auto& c : r.checks)
    if (!c.waived.empty()) p.sample("kinspect_waived_findings", {{"check", c.id}}, double(c.waived.size()));

  // An alert rule tells a check that could not run from a pass by this
  // series, with the cause.
  p.family("kinspect_check_not_checked",
           "1 for each check that could not run, labelled with the cause; the run is then incomplete.");
  for (const auto& c : r.checks)
    if (counts_as_not_checked(c))
      p.sample("kinspect_check_not_checked", {{"check", c.id}, {"cause", c.status == Status::Error ? "error" : c.cause}}, 1);
}

void run_metrics(MetricsPage& p, const Report& r, const Summary& s) {
  p.family("kinspect_waivers", "Waivers that did not apply, by state: expired, or matched no finding.");
  p.sample("kinspect_waivers", {{"state", "expired"}}, double(s.expired_waivers));
  p.sample("kinspect_waivers", {{"state", "unmatched"}}, double(s.unmatched_waivers));

  std::map<std::string_view, uint64_t> by_status;
  for (std::string_view st : kMetricStatuses) by_status[st] = 0;
  for (const auto& c : r.checks) ++by_status[metric_status(c)];
  p.family("kinspect_checks", "Checks by status (pass, fail, error, not_checked, skipped).");
  for (std::string_view st : kMetricStatuses) p.sample("kinspect_checks", {{"status", std::string(st)}}, double(by_status[st]));

  p.family("kinspect_run_incomplete", "1 if some selected check could not run, 0 if every one ran.");
  p.sample("kinspect_run_incomplete", {}, s.not_checked ? 1 : 0);

  // No sample when nothing produced a verdict: an absent score, never 100.
  const Scores scores = compute_scores(r);
  p.family("kinspect_score",
           "Health score 0-100 over the checks that ran, weighted by severity (docs/reports.md); without a "
           "category label for the whole cluster. Absent when nothing was checked.");
  if (scores.cluster.value) p.sample("kinspect_score", {}, double(*scores.cluster.value));
  for (const auto& k : scores.categories)
    if (k.score.value) p.sample("kinspect_score", {{"category", k.category}}, double(*k.score.value));

  if (!r.baseline.empty() || s.new_findings || s.resolved_findings) {
    p.family("kinspect_baseline_findings", "Findings compared with the baseline report, by change.");
    p.sample("kinspect_baseline_findings", {{"change", "new"}}, double(s.new_findings));
    p.sample("kinspect_baseline_findings", {{"change", "resolved"}}, double(s.resolved_findings));
  }

  p.family("kinspect_run_duration_seconds", "How long the inspection took.");
  p.sample("kinspect_run_duration_seconds", {}, r.duration_ms / 1000.0);
  if (auto t = parse_rfc3339(r.generated_at)) {
    p.family("kinspect_last_run_timestamp_seconds", "When the report was made (Unix time).");
    p.sample("kinspect_last_run_timestamp_seconds", {}, std::floor(*t));
  }
}

}  // namespace

std::string_view metric_status(const CheckResult& c) {
  switch (c.status) {
    case Status::Pass: return "pass";
    case Status::Fail: return "fail";
    case Status::Error: return "error";
    case Status::Skipped: return counts_as_not_checked(c) ? "not_checked" : "skipped";
  }
  return "error";
}

std::string render_prometheus(const Report& r) {
  MetricsPage p(r.cluster.name);
  p.family("kinspect_report_info", "The inspected cluster and the run; always 1.");
  p.sample("kinspect_report_info",
           {{"version", r.cluster.version},
            {"type", r.cluster.type},
            {"profile", r.profile},
            {"scenario", r.scenario},
            {"kinspect_version", r.kinspect_version}},
           1);
  check_metrics(p, r);
  run_metrics(p, r, r.summary());
  return p.take();
}

}  // namespace kinspect::report
