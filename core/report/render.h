// Renderers of a Report: terminal text, JSON (docs/report-schema.json), HTML,
// JUnit XML, Prometheus text exposition and SARIF; and reading a JSON report back.
// Every renderer is a pure function of the report: no I/O, no clock, so the
// same report renders to the same bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/report/report.h"
#include "core/util/error.h"

namespace kinspect::report {

struct TerminalOptions {
  // ANSI colours; the caller decides (a TTY, no NO_COLOR, --color=...).
  bool colour = false;
  // Status symbols: Auto picks Unicode (✓ ✗ ! –) with colour, ASCII words
  // (ok FAIL ERR skip) without; the caller can force either (e.g. a UTF-8
  // locale without colour).
  enum class Symbols { Auto, Unicode, Ascii };
  Symbols symbols = Symbols::Auto;
  // List passing checks one by one under their category (--show-passed)
  // instead of a count per category.
  bool show_passed = false;
  // Everything: passing checks, every info finding, every not-checked check
  // on its own line, every resolved finding.
  bool verbose = false;
  // Findings shown per check before "... and N more"; 0 shows all.
  std::size_t max_findings = 20;
  // The exit code the run ends with and what it means, for the verdict at
  // the top and the bottom of the page; -1 leaves it out.
  int exit_code = -1;
  std::string exit_meaning;
};

// A cluster-health page for people: a header with the cluster's facts, then per
// category and component a status line, failures first (critical, warning,
// info, error, skipped, pass), each finding with object and message, the
// check's remedy once, and a final summary line.
std::string render_terminal(const Report& report, const TerminalOptions& options = {});

// The versioned JSON form ("schema": "kinspect.report/v1", always: this writer
// produces v1 whatever report.schema says): every field, keys in
// a fixed order, two-space indentation, summary included, newline at the end.
std::string render_json(const Report& report);
// The same text, handed to `sink` in pieces of about 1 MiB as it is written:
// a report of 150,000 findings (100 MB) is never whole in memory, and no
// fresh pages are faulted in and zeroed for a string that doubles.
void write_json(const Report& report, const std::function<void(std::string_view)>& sink);

// Reads render_json's output back. Errors name the file and the field
// ("checks[2].findings[0].severity"); a report of another major schema version
// is refused. The summary and fingerprints in the file are ignored (they are
// recomputed), unknown fields are ignored (minor versions add fields).
Expected<Report> parse_report_json(std::string_view text, std::string_view file);

// One self-contained HTML page (inline CSS and JS, no network requests) with
// summary cards, groups by category and component, filters and a search. With
// JavaScript disabled everything is visible.
std::string render_html(const Report& report);

// JUnit XML: one testsuite per category, one testcase per check
// (classname = category.component); failures carry the findings as text.
std::string render_junit(const Report& report);

// Prometheus text exposition format (version 0.0.4), for node_exporter's
// textfile collector or a Pushgateway: every sample carries the cluster label
// (docs/reports.md lists the metrics).
std::string render_prometheus(const Report& report);

// A check's status in metrics: pass, fail, error, not_checked (a skip that
// makes the run incomplete) or skipped (not applicable, optional).
inline constexpr std::string_view kMetricStatuses[] = {"pass", "fail", "error", "not_checked", "skipped"};
std::string_view metric_status(const CheckResult& c);

// Where kinspect is described: SARIF's tool.driver.informationUri.
inline constexpr const char* kProjectUri = "https://github.com/kinspect/kinspect";

// SARIF 2.1.0: one run; rules are the checks, results the findings (a
// logical location per object, partialFingerprints from the fingerprint);
// checks without a verdict are the invocation's toolExecutionNotifications,
// and executionSuccessful is false when the run is incomplete.
std::string render_sarif(const Report& report);

}  // namespace kinspect::report
