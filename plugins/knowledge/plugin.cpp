// knowledge: reference data about Kubernetes as tables, so checks can join
// cluster objects against it.
//
//   k8s.deprecated_apis  one row per deprecated/removed API group/version and
//                        kind (Pluto's versions.yaml, see SOURCES.md)
//   k8s.skew_policy      one row per Kubernetes minor: how far each component
//                        may lag the API server (expanded from k8s.skew_rules)
//   k8s.skew_rules, k8s.removed_feature_gates, k8s.removed_kubelet_flags,
//   k8s.kube_proxy_modes, k8s.component_minimums
//                        the data files of specs.cpp, one row per entry
#include <kinspect/sdk.hpp>

#include "data.h"

namespace ks = kinspect::sdk;

namespace {

using T = ks::Type;

// A data file's table: one column per field (a Kubernetes minor also as an
// integer <field>_minor), then where the row comes from.
ks::TableSpec table_of(const knowledge::DataFileSpec& spec) {
  ks::TableSpec t{spec.table, spec.description + " From data/" + spec.file + " (see SOURCES.md).", {}, {}, spec.examples};
  for (const auto& f : spec.fields) {
    switch (f.kind) {
      case knowledge::FieldKind::Integer: t.columns.push_back({f.name, T::Integer, f.doc}); break;
      case knowledge::FieldKind::Boolean: t.columns.push_back({f.name, T::Boolean, f.doc}); break;
      case knowledge::FieldKind::Minor:
        t.columns.push_back({f.name, T::Text, f.doc});
        t.columns.push_back({f.name + "_minor", T::Integer, "The minor of " + f.name + " as a number (28 for \"1.28\")"});
        break;
      default: t.columns.push_back({f.name, T::Text, f.doc});
    }
  }
  t.columns.push_back({"source", T::Text, "Where the row comes from"});
  t.columns.push_back({"retrieved", T::Text, "When the data file was last checked against its source (YYYY-MM-DD)"});
  return t;
}

void write_entry(ks::BatchWriter& out, const knowledge::DataFileSpec& spec, const knowledge::DataFile& d,
                 const knowledge::Entry& e) {
  auto r = out.row();
  for (const auto& f : spec.fields) {
    auto it = e.find(f.name);
    bool absent = it == e.end();
    switch (f.kind) {
      case knowledge::FieldKind::Integer:
        if (absent) r.null(f.name);
        else r.field(f.name, std::stoll(it->second));
        break;
      case knowledge::FieldKind::Boolean:
        if (absent) r.null(f.name);
        else r.field(f.name, it->second == "true");
        break;
      case knowledge::FieldKind::Minor:
        if (absent) r.null(f.name).null(f.name + "_minor");
        else r.field(f.name, it->second).field(f.name + "_minor", *knowledge::parse_minor(it->second));
        break;
      default:
        if (absent) r.null(f.name);
        else r.field(f.name, it->second);
    }
  }
  r.field("source", e.at("source")).field("retrieved", d.retrieved);
}

class Knowledge : public ks::Plugin {
 public:
  Knowledge(const ks::Host&, std::string_view /*config*/) {}

  std::vector<ks::TableSpec> tables() const override {
    std::vector<ks::TableSpec> out = {
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
          {"max_controller_skew", T::Integer, "kube-controller-manager/cloud-controller-manager may be this many minors older"},
          {"max_scheduler_skew", T::Integer, "kube-scheduler may be this many minors older"},
          {"max_kubectl_skew", T::Integer, "kubectl may differ by this many minors"},
          {"source", T::Text, "The policy page, as recorded in data/skew-policy.yaml"},
          {"retrieved", T::Text, "When data/skew-policy.yaml was last checked against it (YYYY-MM-DD)"}},
         {},
         {"SELECT max_kubelet_skew FROM k8s.skew_policy WHERE minor = 29"}},
    };
    for (const auto& spec : knowledge::data_file_specs()) out.push_back(table_of(spec));
    return out;
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
        const auto& rules = knowledge::data_file(*knowledge::find_spec("k8s.skew_rules"));
        for (const auto& s : knowledge::skew_policy())
          out.row()
              .field("minor", s.minor)
              .field("version", "1." + std::to_string(s.minor))
              .field("max_kubelet_skew", s.max_kubelet_skew)
              .field("max_kube_proxy_skew", s.max_kube_proxy_skew)
              .field("max_controller_skew", s.max_controller_skew)
              .field("max_scheduler_skew", s.max_scheduler_skew)
              .field("max_kubectl_skew", s.max_kubectl_skew)
              .field("source", rules.source)
              .field("retrieved", rules.retrieved);
      });
    }
    if (const auto* spec = knowledge::find_spec(table)) {
      return ks::rows([spec](ks::BatchWriter& out) {
        const auto& d = knowledge::data_file(*spec);
        for (const auto& e : d.entries) write_entry(out, *spec, d, e);
      });
    }
    throw std::runtime_error("knowledge has no table " + table);
  }
};

}  // namespace

KINSPECT_PLUGIN(Knowledge, "knowledge", "1.0.0",
                "Reference data: deprecated/removed Kubernetes APIs (Pluto), the version skew policy, removed feature gates, kubelet flags and kube-proxy modes, component minimums", KI_KIND_DRIVER)
