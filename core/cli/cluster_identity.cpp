#include "core/cli/cluster_identity.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>

#include "core/cli/cli.h"
#include "core/cli/kube_contexts.h"
#include "core/snapshot/manifest.h"
#include "core/util/log.h"

namespace kinspect::cli {

namespace fs = std::filesystem;

std::vector<std::string> context_options(const po::variables_map& vm) {
  std::vector<std::string> out;
  if (!vm.count("context")) return out;
  for (const auto& c : vm["context"].as<std::vector<std::string>>())
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

std::string single_context(const po::variables_map& vm) {
  auto contexts = context_options(vm);
  if (contexts.size() > 1)
    throw UsageError("--context is given " + std::to_string(contexts.size()) +
                     " times; only 'kinspect run' inspects several clusters in one go");
  return contexts.empty() ? std::string() : contexts[0];
}

ClusterIdentity snapshot_identity(const std::string& path) {
  if (auto name = snapshot_cluster_name(path)) return {*name, {}, "recorded in snapshot " + path};
  std::string stem = fs::path(path).lexically_normal().filename().string();
  if (stem.empty()) stem = fs::path(path).lexically_normal().parent_path().filename().string();  // "snap/"
  for (std::string_view ext : {".tar.gz", ".tgz"})
    if (stem.size() > ext.size() && stem.ends_with(ext)) stem.resize(stem.size() - ext.size());
  return {stem, {}, "the name of snapshot " + path};
}

namespace {

// The context a live run uses and the kubeconfig's cluster behind it.
ClusterIdentity live_identity(const po::variables_map& vm) {
  const std::string given = single_context(vm);
  const std::string kubeconfig = vm.count("kubeconfig") ? vm["kubeconfig"].as<std::string>() : std::string();
  auto kc = read_kube_contexts(kubeconfig);
  if (!kc) {
    log::debug("run", "naming the cluster: " + kc.error().message());
    return {given, given, "--context"};
  }
  if (!kc->has_value()) {
    if (!given.empty()) return {given, given, "--context"};
    if (in_cluster_environment()) return {"in-cluster", {}, "the in-cluster service account"};
    return {};
  }
  const KubeContexts& contexts = **kc;
  const std::string name = given.empty() ? contexts.current : given;
  if (name.empty()) return {};
  std::string files;
  for (const auto& f : contexts.files) files += (files.empty() ? "" : ":") + f;
  std::string source = "kubeconfig context " + name;
  if (const KubeContext* c = contexts.find(name); c && !c->cluster.empty()) source += " (cluster " + c->cluster + ")";
  source += given.empty() ? ", the current-context of " + files : " in " + files;
  return {name, name, source};
}

}  // namespace

ClusterIdentity cluster_identity(const po::variables_map& vm) {
  ClusterIdentity id = vm.count("snapshot") ? snapshot_identity(vm["snapshot"].as<std::string>()) : live_identity(vm);
  if (!vm.count("cluster-name")) return id;
  const std::string given = vm["cluster-name"].as<std::string>();
  std::string source = "--cluster-name";
  if (!id.name.empty() && id.name != given) source += " (instead of " + id.name + ", from " + id.source + ")";
  return {given, id.context, source};
}

}  // namespace kinspect::cli
