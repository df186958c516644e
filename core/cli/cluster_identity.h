// What a run calls the cluster it inspects, so every report (terminal, JSON
// cluster.name, HTML, JUnit, Prometheus' cluster label) and every fleet row
// says which cluster it is about.
//
//   --cluster-name NAME      NAME, whatever the source;
//   a live run (kubeconfig)  the context in use: --context, else the
//                            kubeconfig's current-context ("prod-ctx"); the
//                            kubeconfig's cluster of that context goes into
//                            the report's detected facts, not the name, so
//                            the name stays what --context takes back;
//   in-cluster               "in-cluster" (the pod's service account);
//   --snapshot               the name the snapshot's manifest records (the
//                            live name it was taken under), else its file or
//                            folder name without .tar.gz ("prod" for
//                            snapshots/prod.tar.gz).
#pragma once

#include <boost/program_options/variables_map.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kinspect::cli {

struct ClusterIdentity {
  std::string name;     // "" when nothing names it (no kubeconfig, no snapshot)
  std::string context;  // the kubeconfig context of a live run; "" otherwise
  std::string source;   // where the name comes from: "kubeconfig context prod (cluster eu-1) in ~/.kube/config"
  // One line for the report's detected facts: "name prod: <source>".
  std::string why() const { return name.empty() ? std::string() : "name " + name + ": " + source; }
};

// The --context values in the order given, each once.
std::vector<std::string> context_options(const boost::program_options::variables_map& vm);
// The one --context of a command that inspects one cluster ("" when none);
// throws UsageError when several are given.
std::string single_context(const boost::program_options::variables_map& vm);

// The identity of the cluster the options name (--cluster-name, --snapshot,
// --kubeconfig, one --context). A kubeconfig that cannot be read leaves the
// name to --context: the plugin then says what is wrong with the file.
ClusterIdentity cluster_identity(const boost::program_options::variables_map& vm);

// The name of a snapshot at `path`: its manifest's, else the file or folder
// name without .tar.gz / .tgz.
ClusterIdentity snapshot_identity(const std::string& path);

}  // namespace kinspect::cli
