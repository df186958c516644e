#include "data.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
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

const DataFile& data_file(const DataFileSpec& spec) {
  static std::mutex m;
  static std::map<std::string, DataFile> parsed;
  std::lock_guard lock(m);
  auto it = parsed.find(spec.table);
  if (it == parsed.end()) it = parsed.emplace(spec.table, parse_data_file(embedded_file(spec.file), spec)).first;
  return it->second;
}

namespace {

struct Rule {
  int from, to, max_older;
};

// The rule of `component` for kube-apiserver minor m; throws when none.
int max_older(const std::vector<Rule>& rules, const std::string& component, int m) {
  for (const auto& r : rules)
    if (m >= r.from && m <= r.to) return r.max_older;
  throw std::runtime_error("skew-policy.yaml: no rule for " + component + " at 1." + std::to_string(m));
}

}  // namespace

std::vector<SkewPolicy> expand_skew_policy(const DataFile& rules) {
  std::map<std::string, std::vector<Rule>> by_component;
  int first = 1000, newest_start = 0;
  for (const auto& e : rules.entries) {
    Rule r;
    r.from = *parse_minor(e.at("since"));
    r.to = e.count("until") ? *parse_minor(e.at("until")) : 1000;
    r.max_older = std::stoi(e.at("max_older"));
    by_component[e.at("component")].push_back(r);
    first = std::min(first, r.from);
    newest_start = std::max(newest_start, r.from);
  }
  auto rules_of = [&](const char* c) -> const std::vector<Rule>& {
    auto it = by_component.find(c);
    if (it == by_component.end()) throw std::runtime_error(std::string("skew-policy.yaml: no rule for ") + c);
    return it->second;
  };
  std::vector<SkewPolicy> v;
  for (int m = first; m <= newest_start + 12; ++m) {
    SkewPolicy s;
    s.minor = m;
    s.max_kubelet_skew = max_older(rules_of("kubelet"), "kubelet", m);
    s.max_kube_proxy_skew = max_older(rules_of("kube-proxy"), "kube-proxy", m);
    s.max_controller_skew = max_older(rules_of("kube-controller-manager"), "kube-controller-manager", m);
    s.max_scheduler_skew = max_older(rules_of("kube-scheduler"), "kube-scheduler", m);
    s.max_kubectl_skew = max_older(rules_of("kubectl"), "kubectl", m);
    v.push_back(s);
  }
  return v;
}

std::vector<SkewPolicy> skew_policy() {
  const DataFileSpec* spec = find_spec("k8s.skew_rules");
  return expand_skew_policy(data_file(*spec));
}

}  // namespace knowledge
