// The run's first stage: everything decided before any table is fetched.
//
//   load_catalog  checks and profiles from disk (no plugin needed; the daemon
//                 loads a catalog on reload)
//   prepare_run   with the loaded plugins: validate parameters and profiles,
//                 choose the profile (detecting the cluster when needed), and
//                 bind each selected check into a Task
//
// What cannot be decided here (a table that fails, a check that errs) is
// decided by the later stages and lands in each Task's result.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/kcql/check.h"
#include "core/plugin/registry.h"
#include "core/profile/profile.h"
#include "core/report/report.h"
#include "core/run/detect.h"
#include "core/run/runner.h"

namespace kinspect {

// Checks and profiles as read from their files.
struct CheckCatalog {
  std::vector<kcql::CheckDef> checks;
  ProfileSet profiles;
};

// Every problem in every file at once (duplicate check ids included).
Expected<CheckCatalog> load_catalog(const std::vector<std::string>& check_paths,
                               const std::vector<std::string>& profile_paths);

// One selected check: a KCQL check bound against the registry, or a
// plugin's native check; `result` starts as pass and collects the verdict.
struct Task {
  std::shared_ptr<const kcql::CheckDef> def;
  std::optional<kcql::BoundCheck> bound;
  const NativeCheckSchema* native = nullptr;
  std::string native_params;
  std::optional<std::string> severity_override;  // the profile's, for the check and its findings
  report::CheckResult result;
  std::vector<ScanSpec> scans;

  // Still to run: not already skipped or failed while binding.
  bool runnable() const { return result.status == report::Status::Pass; }
};

// A data source that failed before the run began (its cluster did not
// answer /version): its tables are not asked for again, one by one.
struct SourceDown {
  std::string plugin;
  Error error;
};

// A table read before the checks were bound: k8s.nodes, which detection
// reads with the paths the checks read too, so that the run reads the
// nodes once. Execution takes it for the fetch it covers (ScanSpec::covers).
struct EarlyFetch {
  ScanSpec spec;
  std::shared_ptr<const TableData> data;
  double duration_ms = 0;
};

struct PreparedRun {
  // The bound plans and the rows fetched for them hold key ids of the
  // current key dictionary (core/table/packed.h): no new generation begins
  // while a run prepared in this one is alive.
  packed::GenerationPin key_generation;
  const Profile* profile = nullptr;
  double check_timeout_seconds = 30;
  double driver_timeout_seconds = 120;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();  // --timeout
  double timeout_seconds = 0;
  uint64_t check_output_budget = 64ull << 20;  // bytes of findings per check (--max-check-output)
  std::optional<SourceDown> source_down;
  double now = 0;  // epoch seconds the checks judge ages by
  // The report's header (cluster facts, profile, scenario) without results.
  report::Report report;
  std::vector<Task> tasks;
  std::vector<EarlyFetch> early_fetches;
};

// Configuration problems (unknown --param, bad profiles, no matching
// profile, --check selecting nothing) come back as an Error.
Expected<PreparedRun> prepare_run(const CheckCatalog& catalog, PluginRegistry& registry, const RunConfig& cfg);

}  // namespace kinspect
