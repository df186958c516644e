// The fleet's renderers: each cluster's report, and the table that compares
// them. The reports are rendered as a one-cluster run renders them.
#include <algorithm>

#include "core/report/detail.h"
#include "core/report/fleet.h"
#include "core/util/terminal.h"

namespace kinspect::report {
namespace {

// One row of the fleet table, the same numbers in every format.
struct Row {
  std::string name, context, version, profile;
  uint64_t checks = 0, passed = 0, failed = 0, not_checked = 0;
  uint64_t critical = 0, warning = 0, info = 0;  // findings by severity
  int exit_code = 0;
  std::string verdict, error;
};

Row row_of(const FleetMember& m) {
  const Report& r = m.report;
  Summary s = r.summary();
  Row row;
  row.name = r.cluster.name, row.context = m.context, row.version = r.cluster.version, row.profile = r.profile;
  row.checks = s.checks, row.passed = s.passed, row.failed = s.failed, row.not_checked = s.not_checked;
  for (const auto& c : r.checks)
    for (const auto& f : c.findings) {
      if (f.severity == Severity::Critical) ++row.critical;
      else if (f.severity == Severity::Warning) ++row.warning;
      else ++row.info;
    }
  row.exit_code = m.exit_code;
  row.verdict = m.verdict;
  row.error = m.error;
  return row;
}

// 3 is worse than 1, which is worse than 0.
int severity_of_exit(int code) { return code == 3 ? 2 : code == 1 ? 1 : code == 0 ? 0 : 3; }

const char* const kHeaders[] = {"CLUSTER", "VERSION", "PROFILE", "PASSED", "FAILED", "NOT CHECKED", "CRITICAL", "WARNING", "EXIT"};

std::vector<std::string> cells(const Row& r) {
  auto n = [](uint64_t v) { return std::to_string(v); };
  return {r.name.empty() ? "(unnamed)" : r.name, r.version.empty() ? "-" : r.version, r.profile.empty() ? "-" : r.profile,
          n(r.passed), n(r.failed), n(r.not_checked), n(r.critical), n(r.warning), std::to_string(r.exit_code)};
}

size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string worst_text(const Fleet& fleet) {
  const int code = fleet_exit_code(fleet);
  std::string names;
  for (const auto& m : fleet.clusters)
    if (m.exit_code == code) names += (names.empty() ? "" : ", ") + m.report.cluster.name;
  std::string what = code == 3 ? "incomplete" : code == 1 ? "findings at --fail-on" : "no findings at --fail-on";
  return "exit " + std::to_string(code) + " (" + what + (code == 0 || names.empty() ? "" : ": " + names) + ")";
}

// ------------------------------------------------------------------ HTML

using detail::esc;

constexpr const char* kFleetStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}"
    "header,main{max-width:1200px;margin:0 auto;padding:16px 24px}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:24px 0 8px}"
    "table{border-collapse:collapse;background:#fff;width:100%}"
    "th,td{border:1px solid #d0d7de;padding:6px 10px;text-align:left}td.n{text-align:right}"
    "tr.exit-3 td.exit{background:#fff1c2}tr.exit-1 td.exit{background:#ffd8d3}tr.exit-0 td.exit{background:#dafbe1}"
    ".verdict{color:#57606a}.error{color:#a40e26}"
    "iframe{width:100%;height:85vh;border:1px solid #d0d7de;background:#fff}";

}  // namespace

int fleet_exit_code(const Fleet& fleet) {
  if (fleet.clusters.empty()) return 3;
  int worst = fleet.clusters.front().exit_code;
  for (const auto& m : fleet.clusters)
    if (severity_of_exit(m.exit_code) > severity_of_exit(worst)) worst = m.exit_code;
  return worst;
}

std::string render_fleet_table(const Fleet& fleet, bool colour) {
  std::vector<std::vector<std::string>> rows{{std::begin(kHeaders), std::end(kHeaders)}};
  for (const auto& m : fleet.clusters) rows.push_back(cells(row_of(m)));
  std::vector<size_t> w(rows[0].size());
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  std::string out = colour ? std::string(term::kBold) + "Fleet" + term::kReset + "\n" : "Fleet\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string line = "  ";
    for (size_t c = 0; c < rows[i].size(); ++c) {
      line += term::printable(rows[i][c]);
      if (c + 1 < rows[i].size()) line += std::string(w[c] - width(rows[i][c]) + 2, ' ');
    }
    while (line.back() == ' ') line.pop_back();
    out += (i == 0 && colour ? std::string(term::kBold) + line + term::kReset : line) + "\n";
  }
  for (const auto& m : fleet.clusters)
    if (!m.error.empty()) out += "  " + term::printable(m.report.cluster.name) + ": not inspected: " + term::printable(m.error) + "\n";
  out += "  " + std::to_string(fleet.clusters.size()) + (fleet.clusters.size() == 1 ? " cluster, " : " clusters, ") +
         worst_text(fleet) + "\n";
  return out;
}

std::string render_fleet_terminal(const Fleet& fleet, const TerminalOptions& options) {
  std::string out;
  const std::string rule(72, '=');
  for (size_t i = 0; i < fleet.clusters.size(); ++i) {
    const FleetMember& m = fleet.clusters[i];
    out += rule + "\n";
    if (!m.error.empty()) {
      out += "Cluster " + term::printable(m.report.cluster.name) + "\n  not inspected: " + term::printable(m.error) +
             "\n  exit " + std::to_string(m.exit_code) + "\n";
      continue;
    }
    TerminalOptions o = options;
    o.exit_code = m.exit_code;
    o.exit_meaning = m.verdict;
    out += render_terminal(m.report, o);
  }
  out += rule + "\n";
  return out + render_fleet_table(fleet, options.colour);
}

std::string render_fleet_json(const Fleet& fleet) {
  std::string out = "{\n  \"schema\": ";
  detail::append_json_string(out, kFleetSchemaVersion);
  out += ",\n  \"kinspect_version\": ";
  detail::append_json_string(out, fleet.kinspect_version);
  out += ",\n  \"generated_at\": ";
  detail::append_json_string(out, fleet.generated_at);
  out += ",\n  \"summary\": {\n    \"clusters\": " + std::to_string(fleet.clusters.size()) +
         ",\n    \"exit_code\": " + std::to_string(fleet_exit_code(fleet));
  Row total;
  out += ",\n    \"members\": [";
  for (size_t i = 0; i < fleet.clusters.size(); ++i) {
    Row r = row_of(fleet.clusters[i]);
    total.checks += r.checks, total.passed += r.passed, total.failed += r.failed, total.not_checked += r.not_checked;
    total.critical += r.critical, total.warning += r.warning, total.info += r.info;
    out += std::string(i ? "," : "") + "\n      {\"name\": ";
    detail::append_json_string(out, r.name);
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"context", &r.context},
                                     {"version", &r.version}, {"profile", &r.profile}}) {
      out += ", \"" + std::string(key) + "\": ";
      detail::append_json_string(out, *value);
    }
    out += ", \"checks\": " + std::to_string(r.checks) + ", \"passed\": " + std::to_string(r.passed) +
           ", \"failed\": " + std::to_string(r.failed) + ", \"not_checked\": " + std::to_string(r.not_checked) +
           ", \"critical\": " + std::to_string(r.critical) + ", \"warning\": " + std::to_string(r.warning) +
           ", \"info\": " + std::to_string(r.info) + ", \"exit_code\": " + std::to_string(r.exit_code) + ", \"verdict\": ";
    detail::append_json_string(out, r.verdict);
    out += ", \"error\": ";
    detail::append_json_string(out, r.error);
    out += "}";
  }
  out += fleet.clusters.empty() ? "]" : "\n    ]";
  out += ",\n    \"totals\": {\"checks\": " + std::to_string(total.checks) + ", \"passed\": " + std::to_string(total.passed) +
         ", \"failed\": " + std::to_string(total.failed) + ", \"not_checked\": " + std::to_string(total.not_checked) +
         ", \"critical\": " + std::to_string(total.critical) + ", \"warning\": " + std::to_string(total.warning) +
         ", \"info\": " + std::to_string(total.info) + "}\n  },\n  \"clusters\": [";
  for (size_t i = 0; i < fleet.clusters.size(); ++i) {
    // Each report exactly as render_json writes it, indented two levels:
    // JSON strings hold no raw line breaks, so every '\n' is between tokens.
    std::string report = render_json(fleet.clusters[i].report);
    if (!report.empty() && report.back() == '\n') report.pop_back();
    std::string indented;
    for (char c : report) indented += c == '\n' ? std::string("\n    ") : std::string(1, c);
    out += std::string(i ? "," : "") + "\n    " + indented;
  }
  out += fleet.clusters.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string render_fleet_html(const Fleet& fleet) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // The frames' documents are inline (srcdoc): nothing is fetched.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:; frame-src 'self' about:\">\n"
      "<meta name=\"generator\" content=\"kinspect " + esc(fleet.kinspect_version) + "\">\n"
      "<title>kinspect fleet report</title>\n<style>" + kFleetStyle + "</style>\n</head>\n"
      "<body data-schema=\"" + std::string(kFleetSchemaVersion) + "\">\n<header>\n<div>kinspect fleet report</div>\n"
      "<h1 id=\"fleet\">" + std::to_string(fleet.clusters.size()) +
      (fleet.clusters.size() == 1 ? " cluster" : " clusters") + ": " + esc(worst_text(fleet)) + "</h1>\n<div class=\"verdict\">" +
      esc(fleet.generated_at) + (fleet.kinspect_version.empty() ? "" : ", kinspect " + esc(fleet.kinspect_version)) +
      "</div>\n</header>\n<main>\n<table id=\"fleet-table\">\n<thead><tr>";
  for (const char* h : kHeaders) out += "<th>" + esc(h) + "</th>";
  out += "<th>VERDICT</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < fleet.clusters.size(); ++i) {
    Row r = row_of(fleet.clusters[i]);
    std::vector<std::string> c = cells(r);
    out += "<tr class=\"exit-" + std::to_string(r.exit_code) + "\" data-cluster=\"" + esc(r.name) + "\"><td><a href=\"#cluster-" +
           std::to_string(i + 1) + "\">" + esc(c[0]) + "</a></td>";
    for (size_t k = 1; k < c.size(); ++k)
      out += std::string(k >= 3 && k + 1 < c.size() ? "<td class=\"n\">" : k + 1 == c.size() ? "<td class=\"exit\">" : "<td>") +
             esc(c[k]) + "</td>";
    out += "<td>" + esc(r.error.empty() ? r.verdict : "not inspected: " + r.error) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
  for (size_t i = 0; i < fleet.clusters.size(); ++i) {
    const FleetMember& m = fleet.clusters[i];
    out += "<section id=\"cluster-" + std::to_string(i + 1) + "\">\n<h2>" + esc(m.report.cluster.name) + "</h2>\n";
    if (!m.error.empty()) {
      out += "<p class=\"error\">not inspected: " + esc(m.error) + "</p>\n</section>\n";
      continue;
    }
    // Its own document in a sandboxed frame: the report's ids, styles and
    // script stay its own.
    out += "<iframe title=\"" + esc("kinspect report of " + m.report.cluster.name) + "\" sandbox=\"allow-scripts\" srcdoc=\"" +
           esc(render_html(m.report)) + "\"></iframe>\n</section>\n";
  }
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace kinspect::report
