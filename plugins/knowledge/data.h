// The knowledge plugin's data: deprecated/removed API versions (Pluto's
// versions.yaml, embedded at build time) and the version skew policy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace knowledge {

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
  int max_controller_skew;    // kube-controller-manager, kube-scheduler, cloud-controller-manager
  int max_kubectl_skew;       // kubectl: within this many minors either way
};

// One row per minor from 1.10 to 1.40.
std::vector<SkewPolicy> skew_policy();

inline constexpr const char* kPlutoSource =
    "FairwindsOps/pluto versions.yaml @ dd5ec8cccce5e42dfe8054b8250baa35546056a0 (Apache-2.0)";
inline constexpr const char* kSkewSource = "https://kubernetes.io/releases/version-skew-policy/";

}  // namespace knowledge
