// kube-bench's outputs, read into one model: its JSON (`--json`: the wrapped
// {"Controls": [...], "Totals": {...}} form, the bare array of controls,
// controls with or without total_* fields, CIS 1.5 "(Scored)" wording) and
// its plain-text console output ([PASS]/[FAIL]/[WARN]/[INFO] lines,
// "== Remediations <type> ==" and "== Summary <type> ==" blocks), and
// Starboard's CISKubeBenchReport resources (`kubectl get ciskubebenchreports
// -o json`: one report, or a List, each report.sections being kube-bench's
// controls and metadata.name the node).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kinspect::adapters::kubebench {

struct Result {
  size_t control = 0;  // index into Output::controls
  std::string section, section_desc;
  std::string id, text, status;  // status: PASS, FAIL, WARN or INFO
  std::optional<bool> scored;
  std::string remediation, audit, audit_config, expected, actual, reason, type;
};

struct Counts {
  int64_t pass = 0, fail = 0, warn = 0, info = 0;
  void add(std::string_view status);
};

struct Section {
  size_t control = 0;
  std::string id, desc;
  std::optional<Counts> stated;  // pass/fail/warn/info as the file states them
  Counts counted;                // from the results the file lists
};

struct Control {
  std::string node;  // the node it describes ("" when unknown)
  std::string id, version, text, node_type;
  std::optional<Counts> stated;  // total_* when the file has them
  Counts counted;
};

struct Output {
  std::string file, node;
  std::string format;  // "json-wrapped", "json-array", "text", "starboard"
  std::vector<Control> controls;
  std::vector<Section> sections;
  std::vector<Result> results;
};

// Reads one kube-bench output, telling JSON from console text by its first
// character. `node` is the node it describes ("" when unknown). Errors name
// the file and the line, column or field.
Output parse(std::string_view text, const std::string& file, const std::string& node);

Output read_json(std::string_view text, const std::string& file, const std::string& node);
Output read_text(std::string_view text, const std::string& file, const std::string& node);

// The command-line argument a recommendation is about, without its dashes:
// "Ensure that the --anonymous-auth argument is set to false" and CIS 1.5's
// "Ensure that the anonymous-auth argument ..." both give "anonymous-auth";
// "" when the title names none. The id of one recommendation moves between
// benchmarks (kubelet anonymous auth is 4.2.1 in CIS, 3.2.1 in EKS/AKS, 4.2.2
// in OpenShift's), the argument does not.
std::string argument_named(std::string_view title);

// "(Scored)"/"(Automated)" -> true, "(Not Scored)"/"(Manual)" -> false, at the end of a title.
std::optional<bool> scored_from_title(std::string_view title);

}  // namespace kinspect::adapters::kubebench
