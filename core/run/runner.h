// The report builder and executor behind `kinspect run`:
//   1. detect the cluster (version, type) from k8s.version and k8s.nodes;
//   2. choose the profile (or take --profile) and say why;
//   3. bind the profile's checks with its parameters;
//   4. fetch every table the checks read, once, in parallel, each with the
//      driver time limit;
//   5. run the checks in parallel, each with its own time and row budget;
//      a failed table marks only the checks that read it;
//   6. assemble the report.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <map>
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
  double now = 0;                          // epoch seconds for now(); 0: the clock
  std::string now_source;                  // where `now` came from, for the report ("--now", "snapshot capture time")
  std::string kinspect_version;
  std::string cluster_name;
  std::function<void(const RunProgress&)> progress;
};

struct RunOutcome {
  report::Report report;
  bool incomplete = false;  // a table a selected check needed could not be fetched
};

// Configuration errors (bad checks, bad profiles, no matching profile)
// come back as an Error; everything that goes wrong while inspecting is in
// the report.
Expected<RunOutcome> run_inspection(PluginRegistry& registry, const RunConfig& config);

// The folders searched for checks and profiles when none are given:
// $KINSPECT_CHECKS_PATH / $KINSPECT_PROFILES_PATH, the installed data folder,
// and the source tree this binary was built from.
std::vector<std::string> default_check_paths();
std::vector<std::string> default_profile_paths();

}  // namespace kinspect
