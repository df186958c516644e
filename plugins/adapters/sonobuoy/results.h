// Sonobuoy's results, read from the tarball `sonobuoy retrieve` writes
// (layouts of v0.9/v0.10 through v0.5x; docs/adapters.md lists what differs):
//   plugins/<p>/sonobuoy_results.yaml   the item tree sonobuoy built (v0.1x on)
//   plugins/<p>/results/**.xml          JUnit, when there is no item tree
//   plugins/<p>/results/<node>/...      per-node results of DaemonSet plugins
//   plugins/<p>/errors/**.json          the plugin's errors (timeouts, pods that died)
//   plugins/<p>/defintion.json          its definition (sonobuoy's own spelling; driver, result-format)
//   serverversion.json, meta/config.json, meta/info.json, resources/cluster/{Nodes,core_v1_nodes}.json
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tarball.h"

namespace kinspect::adapters::sonobuoy {

struct Item {
  std::string plugin, node, file, suite, name;
  std::string status;   // passed, failed, skipped, error, ... as sonobuoy or JUnit says
  std::string message;  // the failure message
  std::optional<double> duration_seconds;
  std::string source;   // sonobuoy_results.yaml, junit, raw, errors, missing
};

struct PluginInfo {
  std::string name;
  std::string status;  // the item tree's root status, else derived from the items
  std::string driver, result_format;
  std::string source;  // where the items came from
};

struct Results {
  std::string file;
  std::string sonobuoy_version, server_version;
  std::optional<int64_t> nodes;
  std::vector<std::string> node_names;  // from resources/cluster, to find DaemonSet plugins' missing nodes
  std::vector<PluginInfo> plugins;
  std::vector<Item> items;
  std::vector<ArchiveNote> notes;
};

Results read_results(const std::string& tarball, const ArchiveLimits& limits);

// The leaves of a sonobuoy item tree (sonobuoy_results.yaml); `where` names it in errors.
std::vector<Item> items_from_yaml(const std::string& text, const std::string& where, const std::string& plugin,
                                  std::string* root_status);
// The test cases of a JUnit XML file (one or several <testsuite>, under <testsuites> or not).
std::vector<Item> items_from_junit(const std::string& text, const std::string& where, const std::string& plugin);

}  // namespace kinspect::adapters::sonobuoy
