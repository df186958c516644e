// knowledge: reference data about Kubernetes as tables, so checks can join
// cluster objects against it.
//
//   k8s.deprecated_apis  one row per deprecated/removed API group/version and
//                        kind (Pluto's versions.yaml, see SOURCES.md)
//   k8s.skew_policy      one row per Kubernetes minor: how far each component
//                        may lag the API server
#include <kinspect/sdk.hpp>

#include "data.h"

namespace ks = kinspect::sdk;

namespace {

using T = ks::Type;

class Knowledge : public ks::Plugin {
 public:
  Knowledge(const ks::Host&, std::string_view /*config*/) {}

  std::vector<ks::TableSpec> tables() const override {
    return {
        {"k8s.deprecated_apis",
         "Kubernetes (and cert-manager/istio) API group/versions that are deprecated or removed, per kind, "
         "with the API to move to. Bundled from FairwindsOps/pluto versions.yaml (Apache-2.0).",
         {{"api_version", T::Text, "The deprecated group/version, e.g. \"extensions/v1beta1\""},
          {"group_version", T::Text, "Same as api_version"},
          {"group", T::Text, "API group, \"\" for core"},
          {"version", T::Text, "Version within the group, e.g. \"v1beta1\""},
          {"kind", T::Text, "Kind, e.g. \"Deployment\" (\"\" for every kind of the group/version)"},
          {"deprecated_in", T::Text, "Release that deprecated it, e.g. \"v1.9.0\" (\"\" if not deprecated)"},
          {"removed_in", T::Text, "Release that stops serving it, e.g. \"v1.16.0\" (\"\" if not removed yet)"},
          {"deprecated_minor", T::Integer, "Kubernetes minor of deprecated_in (9); NULL if none or not a k8s row"},
          {"removed_minor", T::Integer, "Kubernetes minor of removed_in (16); NULL if not removed yet or not a k8s row"},
          {"replacement_api", T::Text, "The group/version to move to, e.g. \"apps/v1\""},
          {"replacement_available_in", T::Text, "Release that first serves the replacement"},
          {"component", T::Text, "k8s, cert-manager or istio"},
          {"source", T::Text, "Where the row comes from"}},
         {},
         {"SELECT kind, api_version, replacement_api FROM k8s.deprecated_apis WHERE removed_minor <= 25"}},
        {"k8s.skew_policy",
         "The Kubernetes version skew policy per API server minor: how many minors older each component may be.",
         {{"minor", T::Integer, "kube-apiserver minor version, e.g. 28 for 1.28"},
          {"version", T::Text, "\"1.28\""},
          {"max_kubelet_skew", T::Integer, "kubelet may be up to this many minors older (3 since 1.28, 2 before)"},
          {"max_kube_proxy_skew", T::Integer, "kube-proxy may be up to this many minors older"},
          {"max_controller_skew", T::Integer, "kube-controller-manager/kube-scheduler may be this many minors older"},
          {"max_kubectl_skew", T::Integer, "kubectl may differ by this many minors"},
          {"source", T::Text, "The policy page"}},
         {},
         {"SELECT max_kubelet_skew FROM k8s.skew_policy WHERE minor = 29"}},
    };
  }

  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    std::string table(ctx.table());
    if (table == "k8s.deprecated_apis") {
      return ks::rows([](ks::BatchWriter& out) {
        for (const auto& d : knowledge::deprecated_apis()) {
          auto r = out.row();
          r.field("api_version", d.api_version)
              .field("group_version", d.api_version)
              .field("group", d.group)
              .field("version", d.version)
              .field("kind", d.kind)
              .field("deprecated_in", d.deprecated_in)
              .field("removed_in", d.removed_in);
          if (d.deprecated_minor >= 0) r.field("deprecated_minor", d.deprecated_minor);
          else r.null("deprecated_minor");
          if (d.removed_minor >= 0) r.field("removed_minor", d.removed_minor);
          else r.null("removed_minor");
          r.field("replacement_api", d.replacement_api)
              .field("replacement_available_in", d.replacement_available_in)
              .field("component", d.component)
              .field("source", knowledge::kPlutoSource);
        }
      });
    }
    if (table == "k8s.skew_policy") {
      return ks::rows([](ks::BatchWriter& out) {
        for (const auto& s : knowledge::skew_policy())
          out.row()
              .field("minor", s.minor)
              .field("version", "1." + std::to_string(s.minor))
              .field("max_kubelet_skew", s.max_kubelet_skew)
              .field("max_kube_proxy_skew", s.max_kube_proxy_skew)
              .field("max_controller_skew", s.max_controller_skew)
              .field("max_kubectl_skew", s.max_kubectl_skew)
              .field("source", knowledge::kSkewSource);
      });
    }
    throw std::runtime_error("knowledge has no table " + table);
  }
};

}  // namespace

KINSPECT_PLUGIN(Knowledge, "knowledge", "1.0.0",
                "Reference data: deprecated/removed Kubernetes APIs (Pluto) and the version skew policy", KI_KIND_DRIVER)
