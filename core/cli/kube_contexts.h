// The contexts of the kubeconfig, read by the core for what only it needs:
// a name for the cluster a live run inspects, and the list --all-contexts
// walks. The kube-apiserver plugin still resolves the connection itself
// (servers, credentials, exec plugins); the core reads only the names, with
// the same rules of finding and merging the files as kubectl and the plugin.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace kinspect::cli {

struct KubeContext {
  std::string name;
  std::string cluster;  // the context's `cluster`: the kubeconfig's name of the cluster
};

struct KubeContexts {
  std::vector<std::string> files;     // the files read, "~/..." under $HOME, in order
  std::string current;                // current-context (the first file that sets it wins)
  std::vector<KubeContext> contexts;  // in file order; the first file to name a context wins
  const KubeContext* find(const std::string& name) const;
};

// `kubeconfig` is --kubeconfig (':'-separated) or empty: then $KUBECONFIG,
// then ~/.kube/config. nullopt when there is no kubeconfig at all (the
// plugin may then use the in-cluster service account). An Error names the
// file and, for bad YAML, its line and column, or the field.
Expected<std::optional<KubeContexts>> read_kube_contexts(const std::string& kubeconfig);

// Whether the in-cluster service account would be used: no kubeconfig and
// $KUBERNETES_SERVICE_HOST set, as the plugin decides.
bool in_cluster_environment();

}  // namespace kinspect::cli
