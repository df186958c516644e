#include "data.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <stdexcept>

namespace knowledge {

int minor_of(std::string_view v) {
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  if (v.size() < 3 || v[0] != '1' || v[1] != '.') return -1;
  v.remove_prefix(2);
  int m = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), m);
  if (ec != std::errc() || p == v.data()) return -1;
  return m;
}

std::vector<DeprecatedApi> parse_pluto(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("deprecated API data: ") + e.what());
  }
  YAML::Node list = root["deprecated-versions"];
  if (!list || !list.IsSequence()) throw std::runtime_error("deprecated API data: no 'deprecated-versions' list");
  auto text = [](const YAML::Node& n, const char* key) -> std::string {
    YAML::Node v = n[key];
    return v && v.IsScalar() ? v.as<std::string>() : std::string();
  };
  std::vector<DeprecatedApi> out;
  for (const auto& n : list) {
    DeprecatedApi d;
    d.api_version = text(n, "version");
    d.kind = text(n, "kind");
    // An empty kind (istio's authentication.istio.io/v1alpha1) means every kind.
    if (d.api_version.empty()) throw std::runtime_error("deprecated API data: an entry lacks its version");
    size_t slash = d.api_version.find('/');
    if (slash == std::string::npos) {
      d.version = d.api_version;
    } else {
      d.group = d.api_version.substr(0, slash);
      d.version = d.api_version.substr(slash + 1);
    }
    d.deprecated_in = text(n, "deprecated-in");
    d.removed_in = text(n, "removed-in");
    d.replacement_api = text(n, "replacement-api");
    d.replacement_available_in = text(n, "replacement-available-in");
    d.component = text(n, "component");
    // Releases of add-ons (cert-manager v0.11, istio v1.6) are not Kubernetes
    // minors: only k8s rows get them.
    if (d.component == "k8s") {
      d.deprecated_minor = minor_of(d.deprecated_in);
      d.removed_minor = minor_of(d.removed_in);
    }
    out.push_back(std::move(d));
  }
  return out;
}

const std::vector<DeprecatedApi>& deprecated_apis() {
  static const std::vector<DeprecatedApi> v = parse_pluto(pluto_versions_yaml());
  return v;
}

std::vector<SkewPolicy> skew_policy() {
  std::vector<SkewPolicy> v;
  for (int m = 10; m <= 40; ++m) {
    SkewPolicy s;
    s.minor = m;
    // Kubernetes 1.28 widened the node skew from n-2 to n-3 (KEP-3935).
    s.max_kubelet_skew = m >= 28 ? 3 : 2;
    // kube-proxy follows the kubelet rule since 1.25 docs; before, it had to
    // match the kubelet minor (and thus shares its n-2 bound).
    s.max_kube_proxy_skew = m >= 28 ? 3 : 2;
    s.max_controller_skew = 1;
    s.max_kubectl_skew = 1;
    v.push_back(s);
  }
  return v;
}

}  // namespace knowledge
