// `kinspect run` over several clusters: --context repeated, or
// --all-contexts. Each cluster is inspected as a one-cluster run would
// inspect it (its own plugins, its own report and exit code), at most
// --parallel-clusters at a time; a cluster that fails (unreachable, TLS,
// 5xx, no matching profile) fails alone. The run writes every report and a
// fleet summary (core/report/fleet.h) and exits with the worst cluster's code.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/report/report.h"

namespace kinspect::cli {

// One cluster's inspection as a one-cluster run makes it (cmd_run.cpp).
struct ClusterRun {
  report::Report report;
  int exit_code = 0;
  std::string verdict;  // what the exit code means
};
// Inspects the cluster of `one_cluster` (the run's options with a single
// --context). Throws UsageError when the inspection cannot start.
using InspectCluster = std::function<ClusterRun(const boost::program_options::variables_map& one_cluster)>;

// The options the fleet adds to `kinspect run`.
void add_fleet_options(boost::program_options::options_description& desc);

// The contexts a fleet run inspects, in order: the --context values when
// there are several, every context of the kubeconfig with --all-contexts;
// empty for a run of one cluster. Throws UsageError for options that do not
// go with several clusters (--snapshot, --cluster-name, --baseline, a
// JUnit or Prometheus stdout) or a context the kubeconfig lacks.
std::vector<std::string> fleet_contexts(const boost::program_options::variables_map& vm);

// Inspects each context, writes the reports and the fleet summary to stdout
// (--format terminal, json or html), each --output FILE (.json .html .txt)
// and --output-dir, and returns the worst cluster's exit code. An error that
// every cluster hits alike (a bad option) is a UsageError.
int run_fleet(const boost::program_options::variables_map& vm, const std::vector<std::string>& contexts,
              const InspectCluster& inspect);

}  // namespace kinspect::cli
