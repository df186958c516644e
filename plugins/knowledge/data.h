// The knowledge plugin's data: deprecated/removed API versions (Pluto's
// versions.yaml) and the files of data_file.h (skew policy, removed feature
// gates, ...), all embedded at build time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "data_file.h"

namespace knowledge {

// data/<name>, verbatim; throws std::runtime_error for a name not embedded.
std::string_view embedded_file(std::string_view name);
// The embedded file of a data_file_specs() table, parsed once per process.
const DataFile& data_file(const DataFileSpec& spec);

// data/pluto-versions.yaml, verbatim.
std::string_view pluto_versions_yaml();

struct DeprecatedApi {
  std::string api_version;  // "extensions/v1beta1"
  std::string group;        // "extensions" ("" for core)
  std::string version;      // "v1beta1"
  std::string kind;
  std::string deprecated_in;  // "v1.9.0" or ""
  std::string removed_in;     // "v1.16.0" or "" (not removed yet)
  std::string replacement_api;
  std::string replacement_available_in;
  std::string component;  // k8s, cert-manager, istio
  int deprecated_minor = -1;  // 9; -1 when not deprecated
  int removed_minor = -1;     // 16; -1 when not removed
};

// Parses Pluto's versions.yaml; throws std::runtime_error on malformed input.
std::vector<DeprecatedApi> parse_pluto(std::string_view yaml);
// The embedded table, parsed once.
const std::vector<DeprecatedApi>& deprecated_apis();

// Minor of "v1.16.0" / "1.16" -> 16; -1 when absent or not 1.x.
int minor_of(std::string_view version);

struct SkewPolicy {
  int minor;                  // kube-apiserver minor, e.g. 28 for 1.28
  int max_kubelet_skew;       // kubelet may be this many minors older
  int max_kube_proxy_skew;    // kube-proxy may be this many minors older
  int max_controller_skew;    // kube-controller-manager (and cloud-controller-manager)
  int max_scheduler_skew;     // kube-scheduler
  int max_kubectl_skew;       // kubectl: within this many minors either way
};

// One row per kube-apiserver minor that data/skew-policy.yaml covers, from the
// first `since` to twelve minors past the newest rule's start (1.10 .. 1.40).
std::vector<SkewPolicy> skew_policy();
// The same from a parsed skew-policy.yaml; throws when a component has no rule
// for a minor in the range.
std::vector<SkewPolicy> expand_skew_policy(const DataFile& rules);

inline constexpr const char* kPlutoSource =
    "FairwindsOps/pluto versions.yaml @ dd5ec8cccce5e42dfe8054b8250baa35546056a0 (Apache-2.0)";

}  // namespace knowledge
