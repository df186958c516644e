// The report of one inspection: what was detected about the cluster, which
// profile ran, and every check's result with its findings. Renderers turn it
// into terminal text, JSON (versioned schema, docs/report-schema.json), HTML,
// JUnit XML, Prometheus text and SARIF; JSON reads back for baselines and diffs.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace kinspect::report {

// The JSON schema's identifier: the major on incompatible changes, the minor
// when members are added (v1.1: a check's cause and optional, the summary's
// not_checked and causes; v1.2: a check's same_as and merged, a finding's
// target, tool_id and also_reported_by; v1.3: the report's score, per
// cluster and category, see score.h; a check's waived findings, the run's
// scope and waivers, the summary's waived counts).
inline constexpr const char* kSchemaVersion = "kinspect.report/v1.3";

enum class Severity { Critical, Warning, Info };
enum class Status { Pass, Fail, Error, Skipped };
// Relative to a baseline report (--baseline): absent when there is none.
enum class Change { None, New, Unchanged, Resolved };

std::string_view to_string(Severity s);
std::string_view to_string(Status s);
std::string_view to_string(Change c);
bool parse_severity(std::string_view s, Severity& out);
bool parse_status(std::string_view s, Status& out);
bool parse_change(std::string_view s, Change& out);
// Critical > Warning > Info.
inline int rank(Severity s) { return s == Severity::Critical ? 2 : s == Severity::Warning ? 1 : 0; }

// An adapter check's finding shown with the equivalent finding of another
// check (SAME_AS) instead of on its own: kept whole, so its tool's id is
// still in the report.
struct AlsoReported {
  std::string check_id;  // the adapter check ("polaris-danger")
  std::string tool_id;   // "polaris:runAsPrivileged"
  std::string object;
  std::string message;
  Severity severity = Severity::Warning;
};

struct Finding {
  std::string object;   // what it is about: "node/worker-2", "pod/kube-system/coredns-5d7f"
  std::string message;  // the check's message with the row's values
  Severity severity = Severity::Warning;
  boost::json::value details;  // the row's values, for machines; may be null
  Change change = Change::None;
  // The Kubernetes object, "<namespace>/<kind>/<name>[/<container>]", when
  // the check says (TARGET); an adapter finding's tool id (TOOL_ID).
  std::string target;
  std::string tool_id;
  // The same problem on the same object as other checks reported it.
  std::vector<AlsoReported> also;
  // Identity across runs: check id + object + message. Timestamps inside a
  // message make a finding "new" each time, so checks keep them out of
  // messages where they change every run.
  std::string fingerprint(std::string_view check_id) const;
};

// The waiver that took a finding out of the failures (docs/waivers.md).
struct WaiverRef {
  std::string reason;
  std::string owner;    // "" for an annotation waiver
  std::string expires;  // as written ("2027-01-31"); "" when it never expires
  // Where it was given: "waivers.yaml:12:5", or
  // "annotation kinspect.io/waive on pod/shop/checkout-1".
  std::string origin;
};

// A finding a waiver accepts: reported with the waiver, never counted as a
// failure (SARIF shows it as a suppression).
struct WaivedFinding {
  Finding finding;
  WaiverRef waiver;
};

// A waiver of a file that did not apply: it expired, or it matched no finding.
struct WaiverNote {
  std::string check;   // as written: an id or a glob
  std::string object;  // the object selector as text ("pod/shop/checkout-*", "any")
  WaiverRef waiver;
};

// What the run looked at: all namespaces unless narrowed. Cluster-scoped
// tables are never narrowed by namespace.
struct Scope {
  std::vector<std::string> namespaces;          // empty: all
  std::vector<std::string> exclude_namespaces;
  std::string label_selector;                   // "" : every object
  bool whole_cluster() const { return namespaces.empty() && exclude_namespaces.empty() && label_selector.empty(); }
};
// "all namespaces", or "namespaces shop, web; label selector app=x".
std::string describe(const Scope& s);

struct CheckResult {
  std::string id;
  std::string title;
  std::string category;   // nodes, control-plane, addons, network, workloads, storage, security, upgrade, node-host
  std::string component;  // groups results inside a category: "kube-proxy", "coredns", "kubelet"
  Severity severity = Severity::Warning;
  std::string remedy;
  std::string doc;        // link to the concept's documentation
  std::string source;     // "checks/nodes.kcql:12" or "plugin:foo"
  Status status = Status::Pass;
  std::string reason;     // why it is error or skipped
  // Why a check was skipped, in a few words reports group by: "not served",
  // "forbidden", "not captured", "not provided", "no input", "not
  // applicable"; an error's cause is "error". Empty for pass and fail.
  std::string cause;
  // The profile accepts that this check may not run: its skip or error does
  // not make the run incomplete.
  bool optional = false;
  std::vector<Finding> findings;
  // Findings a waiver accepts: out of `findings`, so they do not fail the
  // check, but never dropped.
  std::vector<WaivedFinding> waived;
  // Other tools' check ids this check detects too ("polaris:runAsPrivileged").
  std::vector<std::string> same_as;
  // Findings of this check shown with an equivalent finding of another check
  // (in that finding's `also`), so not in `findings` and not counted twice.
  uint64_t merged = 0;
  std::vector<std::string> tables;  // tables it read
  double duration_ms = 0;
};

// A table the run fetched.
struct TableFetch {
  std::string name;
  std::string plugin;
  uint64_t rows = 0;
  double duration_ms = 0;
  std::string error;  // empty when it worked
  std::string cause;  // for a table that is not available ("not served"); "" for a failure
};

struct ClusterFacts {
  std::string name;           // context or snapshot name
  std::string version;        // "v1.29.4"
  std::string type;           // managed, self-hosted, serverless, edge, gpu
  std::vector<std::string> detected;  // "version v1.29.4 from /version", "type self-hosted: 3 control-plane nodes visible"
  uint64_t nodes = 0;
  uint64_t pods = 0;
};

// A cause that kept checks from running ("not served": 12 checks).
struct CauseCount {
  std::string cause;
  uint64_t checks = 0;
  std::string example;  // one check's reason, to show what it means
};

// Skips that say nothing about the cluster: the profile excludes the check's
// plugin, or marks the check optional. Every other skip, and every error, is
// a check the run could not do: the run is incomplete.
inline constexpr std::string_view kNotApplicable = "not applicable";
bool counts_as_not_checked(const CheckResult& c);


struct Summary {
  uint64_t checks = 0, passed = 0, failed = 0, errors = 0, skipped = 0;
  uint64_t not_checked = 0;  // errors and skips that make the run incomplete (counts_as_not_checked)
  std::vector<CauseCount> causes;  // not_checked by cause, most checks first
  uint64_t findings = 0, critical = 0, warning = 0, info = 0;
  uint64_t new_findings = 0, resolved_findings = 0;  // with a baseline
  uint64_t waived = 0;                                // findings waivers accept
  uint64_t expired_waivers = 0, unmatched_waivers = 0;
};

struct Report {
  std::string schema = kSchemaVersion;
  std::string kinspect_version;
  std::string generated_at;  // RFC 3339 UTC
  double duration_ms = 0;
  ClusterFacts cluster;
  std::string profile;
  std::string scenario;        // inspection, pre-upgrade, post-upgrade, ...
  std::string target_version;  // for upgrade scenarios
  std::string baseline;        // path of the baseline report, if any
  std::vector<CheckResult> checks;
  std::vector<TableFetch> tables;
  Scope scope;
  // The waiver files read (docs/waivers.md), and those of their waivers that
  // did not apply: each is reported, never silently ignored.
  std::vector<std::string> waiver_files;
  std::vector<WaiverNote> expired_waivers;
  std::vector<WaiverNote> unmatched_waivers;
  // Findings of the baseline that are gone now, per check id.
  std::map<std::string, std::vector<Finding>> resolved;

  Summary summary() const;
};

// Shows each adapter finding (one with a tool_id and a target) with the
// finding of a check that lists its tool_id in same_as on the same target,
// rather than twice: the adapter finding moves into that finding's `also`
// (which takes the higher severity of the two) and its check counts it in
// `merged`. A finding no other check matches stays where it is.
void merge_equivalent_findings(Report& report);

}  // namespace kinspect::report
