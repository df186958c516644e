// The schemas of the bundled data files, and so of the tables that serve them.
#include "data_file.h"

namespace knowledge {

namespace {

using K = FieldKind;

DataFileSpec feature_gates() {
  return {"k8s.removed_feature_gates",
          "feature-gates.yaml",
          "Kubernetes feature gates that a minor version removes: from removed_in on, a component whose "
          "--feature-gates flag or featureGates setting names the gate fails to start.",
          {{"gate", K::Text, true, "Feature gate name, e.g. \"DynamicKubeletConfig\""},
           {"stage", K::Text, true, "Its last stage before removal: GA, Deprecated, Beta or Alpha"},
           {"default", K::Boolean, false, "Its default in that stage (locked for GA gates); NULL when the table gives none"},
           {"stage_since", K::Minor, true, "The release that last stage began, e.g. \"1.24\" (for GA: the graduation)"},
           {"last_usable", K::Minor, true, "The last release that still accepts the gate"},
           {"removed_in", K::Minor, true, "The first release that rejects it"}},
          {"SELECT gate, stage, removed_in FROM k8s.removed_feature_gates WHERE removed_in_minor <= 27"}};
}

DataFileSpec kubelet_flags() {
  return {"k8s.removed_kubelet_flags",
          "kubelet-flags.yaml",
          "kubelet command-line flags that a minor version removes: a kubelet of removed_in or later fails to start "
          "with \"unknown flag\".",
          {{"flag", K::Text, true, "The flag, e.g. \"--network-plugin\""},
           {"deprecated_in", K::Minor, false, "The release that deprecated it"},
           {"removed_in", K::Minor, true, "The first release without it"},
           {"replacement", K::Text, false, "What to use instead"}},
          {"SELECT flag, removed_in, replacement FROM k8s.removed_kubelet_flags"}};
}

DataFileSpec kube_proxy_modes() {
  return {"k8s.kube_proxy_modes",
          "kube-proxy.yaml",
          "kube-proxy proxy modes that a minor version deprecates or removes.",
          {{"mode", K::Text, true, "The mode (kube-proxy --proxy-mode, KubeProxyConfiguration mode), e.g. \"ipvs\""},
           {"deprecated_in", K::Minor, false, "The release that deprecated it"},
           {"removed_in", K::Minor, false, "The first release without it; NULL while it still works"},
           {"replacement", K::Text, true, "The mode to move to"},
           {"note", K::Text, true, "What happens"}},
          {"SELECT mode, deprecated_in, removed_in, replacement FROM k8s.kube_proxy_modes"}};
}

DataFileSpec component_minimums() {
  return {"k8s.component_minimums",
          "component-minimums.yaml",
          "What a Kubernetes minor needs beneath it: etcd versions kubeadm installs, the oldest container runtime "
          "supported, the cgroup version the kubelet starts on. Each row covers target minors since..until.",
          {{"component", K::Text, true, "etcd, containerd or cgroup"},
           {"since", K::Minor, true, "First Kubernetes minor the row applies to"},
           {"until", K::Minor, false, "Last Kubernetes minor the row applies to; NULL: every later one"},
           {"min_version", K::Version, false, "The oldest version that works (NULL: no floor)"},
           {"recommended_version", K::Version, false, "The version recommended or installed by kubeadm"},
           {"note", K::Text, true, "What the row means"}},
          {"SELECT component, min_version, note FROM k8s.component_minimums WHERE since_minor <= 36 "
           "AND (until_minor IS NULL OR until_minor >= 36)"}};
}

DataFileSpec skew_rules() {
  return {"k8s.skew_rules",
          "skew-policy.yaml",
          "The version skew policy as written: per component and range of kube-apiserver minors, how many minors "
          "older (max_older) or newer (max_newer) the component may be. k8s.skew_policy expands it per minor.",
          {{"component", K::Text, true, "kubelet, kube-proxy, kube-controller-manager, kube-scheduler, "
                                        "cloud-controller-manager, kubectl or kube-apiserver (between HA instances)"},
           {"since", K::Minor, true, "First kube-apiserver minor the rule applies to"},
           {"until", K::Minor, false, "Last kube-apiserver minor the rule applies to; NULL: every later one"},
           {"max_older", K::Integer, true, "Minors the component may lag kube-apiserver"},
           {"max_newer", K::Integer, true, "Minors the component may lead kube-apiserver"}},
          {"SELECT component, since, until, max_older FROM k8s.skew_rules"}};
}

}  // namespace

const std::vector<DataFileSpec>& data_file_specs() {
  static const std::vector<DataFileSpec> v = {feature_gates(), kubelet_flags(), kube_proxy_modes(), component_minimums(),
                                              skew_rules()};
  return v;
}

const DataFileSpec* find_spec(std::string_view table) {
  for (const auto& s : data_file_specs())
    if (s.table == table) return &s;
  return nullptr;
}

}  // namespace knowledge
