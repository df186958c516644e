// Several clusters inspected in one run (kinspect run --context a --context b,
// --all-contexts): each cluster's report with the exit code it earns, and a
// fleet summary. Rendered as terminal text (each report, then a table), JSON
// (schema kinspect.fleet/v1, docs/fleet-schema.json) and one HTML page.
// Like the other renderers: pure functions, no I/O, no clock.
#pragma once

#include <string>
#include <vector>

#include "core/report/render.h"
#include "core/report/report.h"

namespace kinspect::report {

inline constexpr const char* kFleetSchemaVersion = "kinspect.fleet/v1";

struct FleetMember {
  Report report;        // cluster.name set even when the inspection could not start
  std::string context;  // the kubeconfig context inspected
  int exit_code = 0;    // as a one-cluster run would exit: 0, 1 or 3
  std::string verdict;  // what the exit code means ("incomplete: 12 checks could not run")
  // Why no inspection could be made at all (no profile matches the cluster's
  // version, a plugin failed for this cluster): the report then has no checks.
  std::string error;
};

struct Fleet {
  std::string kinspect_version;
  std::string generated_at;  // RFC 3339 UTC
  std::vector<FleetMember> clusters;  // in the order the contexts were given
};

// The worst member's exit code: 3 (incomplete) over 1 (findings at
// --fail-on) over 0; 3 for a fleet without members.
int fleet_exit_code(const Fleet& fleet);

// Each cluster's report (or the error that kept it from being made), then a
// table: cluster, version, profile, checks passed / failed / not checked,
// critical and warning findings, exit code; and the fleet's exit code.
// `options.exit_code`/`exit_meaning` are ignored: each report shows its own.
std::string render_fleet_terminal(const Fleet& fleet, const TerminalOptions& options = {});
// Just the table and the fleet's verdict.
std::string render_fleet_table(const Fleet& fleet, bool colour = false);

// {"schema":"kinspect.fleet/v1", "kinspect_version", "generated_at",
//  "summary":{"clusters":N, "exit_code", "members":[row...], "totals"},
//  "clusters":[<kinspect.report/v1 report>, ...]}: summary.members[i]
// (the table's row, with exit code, verdict and error) describes
// clusters[i]. Each report is render_json's, byte for byte but indented.
std::string render_fleet_json(const Fleet& fleet);

// One self-contained page: the fleet table at the top, linking to each
// cluster's report below it, each in its own frame (the report page as
// render_html makes it, so its styles and scripts cannot clash).
std::string render_fleet_html(const Fleet& fleet);

}  // namespace kinspect::report
