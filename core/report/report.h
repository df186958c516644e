// The report of one inspection: what was detected about the cluster, which
// profile ran, and every check's result with its findings. Renderers turn it
// into terminal text, JSON (versioned schema, docs/report-schema.json), HTML,
// JUnit XML and Prometheus text; JSON reads back for baselines and diffs.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace kinspect::report {

// The JSON schema's identifier; bump the suffix on incompatible changes.
inline constexpr const char* kSchemaVersion = "kinspect.report/v1";

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

struct Finding {
  std::string object;   // what it is about: "node/worker-2", "pod/kube-system/coredns-5d7f"
  std::string message;  // the check's message with the row's values
  Severity severity = Severity::Warning;
  boost::json::value details;  // the row's values, for machines; may be null
  Change change = Change::None;
  // Identity across runs: check id + object + message. Timestamps inside a
  // message make a finding "new" each time, so checks keep them out of
  // messages where they change every run.
  std::string fingerprint(std::string_view check_id) const;
};

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
  std::vector<Finding> findings;
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
};

struct ClusterFacts {
  std::string name;           // context or snapshot name
  std::string version;        // "v1.29.4"
  std::string type;           // managed, self-hosted, serverless, edge, gpu
  std::vector<std::string> detected;  // "version v1.29.4 from /version", "type self-hosted: 3 control-plane nodes visible"
  uint64_t nodes = 0;
  uint64_t pods = 0;
};

struct Summary {
  uint64_t checks = 0, passed = 0, failed = 0, errors = 0, skipped = 0;
  uint64_t findings = 0, critical = 0, warning = 0, info = 0;
  uint64_t new_findings = 0, resolved_findings = 0;  // with a baseline
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
  // Findings of the baseline that are gone now, per check id.
  std::map<std::string, std::vector<Finding>> resolved;

  Summary summary() const;
};

}  // namespace kinspect::report
