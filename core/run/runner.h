// `kinspect run`: inspect a cluster with a profile's checks and build the
// report. The run goes in stages, each in its own file:
//   prepare   (prepare.h)   checks and profiles, parameters, the profile
//                           (detecting the cluster when needed), binding;
//   schedule  (schedule.h)  which tables to fetch, in what order, and which
//                           checks walk a table together;
//   execute   (execute.h)   fetch each table once and run each check as soon
//                           as its tables are in, in parallel with limits;
//   findings  (findings.h)  rows and native results into report findings.
// A check that could not run is skipped (the data is not there) or error
// (reading or evaluating failed), never passed; the report counts them.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/report/report.h"

namespace kinspect {

struct RunProgress {
  std::string phase;  // "tables" or "checks"
  size_t done = 0;
  size_t total = 0;
  std::string current;  // the table or check that just finished
};

struct RunConfig {
  std::vector<std::string> check_paths;    // *.kcql files or folders
  // False when check_paths replace the bundled catalog (--no-bundled-checks):
  // the profiles may then name checks that are not loaded.
  bool bundled_checks = true;
  std::vector<std::string> profile_paths;  // *.yaml files or folders
  std::string profile;                     // a name: skip matching
  std::string scenario = "inspection";
  std::string target_version;              // for upgrade scenarios
  std::vector<std::string> cluster_types;  // override detection
  std::vector<std::string> checks;         // only these ids/globs/tag:/category: (after the profile's selection)
  std::map<std::string, boost::json::value> params;  // CHECK.PARAM or PARAM, beat the profile's
  std::vector<std::string> inputs;         // tools whose results were given (--with TOOL): their adapter checks run
  unsigned parallelism = 0;                // 0: one thread per core
  double check_timeout_seconds = 0;        // 0: the profile's
  double driver_timeout_seconds = 0;       // 0: the profile's
  // The whole run (--timeout): what is not done by then is not checked
  // (cause "run timeout"), never passed. max: no limit.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  double timeout_seconds = 0;              // as given, for messages
  uint64_t check_output_budget = 64ull << 20;  // bytes of findings one check may produce
  double now = 0;                          // epoch seconds for now(); 0: the clock
  std::string now_source;                  // where `now` came from, for the report ("--now", "snapshot capture time")
  std::string kinspect_version;
  std::string cluster_name;
  std::string cluster_name_why;            // "name prod: kubeconfig context prod ...", first of the detected facts
  std::function<void(const RunProgress&)> progress;
  // Kubernetes object tables (rows of one kind, no arguments) that the run
  // reads whole are read with these paths too, and handed to
  // on_object_table when their last check is done, before they are freed:
  // what reads objects after the checks (the waivers) then needs no second
  // read of every table.
  std::vector<std::string> object_paths;
  std::function<void(const std::string& table, std::shared_ptr<const TableData> rows)> on_object_table;
};

// Whether the run is complete is the report's to say: report.summary().not_checked.
struct RunOutcome {
  report::Report report;
};

struct CheckCatalog;  // prepare.h

// Configuration errors (bad checks, bad profiles, no matching profile)
// come back as an Error; everything that goes wrong while inspecting is in
// the report.
Expected<RunOutcome> run_inspection(PluginRegistry& registry, const RunConfig& config);
// The same with checks and profiles already loaded (config's paths unused).
Expected<RunOutcome> run_inspection(PluginRegistry& registry, const CheckCatalog& catalog, const RunConfig& config);

// The folders searched for checks and profiles when none are given:
// $KINSPECT_CHECKS_PATH / $KINSPECT_PROFILES_PATH, the installed data folder,
// and the source tree this binary was built from.
std::vector<std::string> default_check_paths();
std::vector<std::string> default_profile_paths();

}  // namespace kinspect
