// Polaris adapter: `polaris audit --format json` output as tables. Polaris
// reports each check on a controller, its pod spec and each container; a row
// of polaris.results is one check on one of them. See docs/adapters.md.
#include "adapter.h"

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace kinspect::adapters::polaris {

namespace {

using T = ks::Type;

const char* const kInputDoc = "the output of polaris audit --format json, or a folder of such files";

ks::TableSpec audits_table() {
  return {"polaris.audits",
          "One row per Polaris audit file: what was audited and its score.",
          {{"file", T::Text, "The Polaris output"},
           {"output_version", T::Text, "PolarisOutputVersion (\"1.0\")"},
           {"audit_time", T::Text, "AuditTime"},
           {"source_type", T::Text, "Cluster, Path, ..."},
           {"source_name", T::Text, "The cluster or the manifest path audited"},
           {"display_name", T::Text, "DisplayName"},
           {"cluster_version", T::Text, "ClusterInfo.Version"},
           {"nodes", T::Integer, "ClusterInfo.Nodes"},
           {"pods", T::Integer, "ClusterInfo.Pods"},
           {"namespaces", T::Integer, "ClusterInfo.Namespaces"},
           {"controllers", T::Integer, "ClusterInfo.Controllers"},
           {"score", T::Integer, "Score (NULL when the file has none)"}},
          {},
          {"SELECT source_name, score FROM polaris.audits"}};
}

ks::TableSpec results_table() {
  return {"polaris.results",
          "One row per Polaris check on a controller, its pod spec or one of its containers.",
          {{"file", T::Text, "The Polaris output"},
           {"source_name", T::Text, "The cluster or manifest path audited"},
           {"kind", T::Text, "Kind of the controller (Deployment, ...)"},
           {"namespace", T::Text, "Namespace of the controller"},
           {"name", T::Text, "Name of the controller"},
           {"level", T::Text, "controller, pod or container: where Polaris applied the check"},
           {"container", T::Text, "The container, for container-level checks"},
           {"check", T::Text, "Polaris check id (\"privilegeEscalationAllowed\")"},
           {"message", T::Text, "Polaris's message"},
           {"success", T::Boolean, "The check passed"},
           {"severity", T::Text, "danger, warning or ignore"},
           {"category", T::Text, "Security, Reliability, Efficiency"},
           {"details", T::Json, "Details, where Polaris gives them"}},
          {},
          {"SELECT check, kind, namespace, name, container FROM polaris.results WHERE NOT success AND severity = 'danger'"}};
}

struct Owner {
  std::string source_name, kind, ns, name;
};

void add_checks(const Fields& f, const char* key, const Owner& o, const char* level, const std::string& container,
                const std::string& file, Rows& out) {
  const json::value* v = f.get(key);
  if (!v) return;
  if (!v->is_object()) f.wrong_type(key, "an object of check results by id");
  for (const auto& [id, result] : v->as_object()) {
    std::string where = f.at(key) + "." + std::string(id);
    if (!result.is_object()) throw std::runtime_error(where + ": expected an object, got " + json_kind(result));
    Fields r(result.as_object(), where);
    std::string check = r.text("ID");
    if (check.empty()) check = std::string(id);  // older outputs name the check only by its key
    auto success = r.boolean("Success");
    if (!success) throw std::runtime_error(where + ".Success: missing; every Polaris result says whether it passed");
    out.push_back(row([&](ks::JsonWriter& w) {
      w.field("file", file);
      text_or_null(w, "source_name", o.source_name);
      text_or_null(w, "kind", o.kind);
      text_or_null(w, "namespace", o.ns);
      text_or_null(w, "name", o.name);
      w.field("level", level);
      text_or_null(w, "container", container);
      w.field("check", check);
      w.field("message", r.text("Message")).field("success", *success);
      text_or_null(w, "severity", r.text("Severity"));
      text_or_null(w, "category", r.text("Category"));
      if (const json::value* d = r.get("Details")) w.raw("details", json::serialize(*d));
      else w.null("details");
    }));
  }
}

void add_results(const json::object& doc, const std::string& file, Rows& out) {
  Fields root(doc, file + ":");
  const json::array* results = root.array("Results");
  if (!results) throw std::runtime_error(file + ": not Polaris audit JSON: no \"Results\" array");
  const std::string source = root.text("SourceName");
  for (size_t i = 0; i < results->size(); ++i) {
    Fields r(object_at(*results, i, root.at("Results")), root.at("Results", i));
    Owner o{source, r.text("Kind"), r.text("Namespace"), r.text("Name")};
    add_checks(r, "Results", o, "controller", "", file, out);
    const json::object* pod = r.object("PodResult");
    if (!pod) continue;
    Fields p(*pod, r.at("PodResult"));
    add_checks(p, "Results", o, "pod", "", file, out);
    const json::array* containers = p.array("ContainerResults");
    for (size_t j = 0; containers && j < containers->size(); ++j) {
      Fields c(object_at(*containers, j, p.at("ContainerResults")), p.at("ContainerResults", j));
      add_checks(c, "Results", o, "container", c.text("Name"), file, out);
    }
  }
}

void add_audit(const json::object& doc, const std::string& file, Rows& out) {
  Fields root(doc, file + ":");
  const json::object* info = root.object("ClusterInfo");
  json::object empty;
  Fields ci(info ? *info : empty, root.at("ClusterInfo"));
  out.push_back(row([&](ks::JsonWriter& w) {
    w.field("file", file);
    for (auto [col, key] : {std::pair{"output_version", "PolarisOutputVersion"}, {"audit_time", "AuditTime"},
                            {"source_type", "SourceType"}, {"source_name", "SourceName"}, {"display_name", "DisplayName"}})
      text_or_null(w, col, root.text(key));
    text_or_null(w, "cluster_version", ci.text("Version"));
    int_or_null(w, "nodes", ci.integer("Nodes"));
    int_or_null(w, "pods", ci.integer("Pods"));
    int_or_null(w, "namespaces", ci.integer("Namespaces"));
    int_or_null(w, "controllers", ci.integer("Controllers"));
    int_or_null(w, "score", root.integer("Score"));
  }));
}

class Polaris final : public AdapterPlugin {
 public:
  Polaris(const ks::Host&, std::string_view config) : AdapterPlugin("polaris", config, kInputDoc) {}
  std::vector<ks::TableSpec> tables() const override { return {audits_table(), results_table()}; }

 protected:
  Rows rows(std::string_view table) override {
    Rows out;
    for (const auto& file : input_files(config().input)) {
      json::value doc = parse_json(read_file(file, config().max_input_bytes), file);
      if (!doc.is_object()) throw std::runtime_error(file + ": not Polaris audit JSON: expected an object, got " + json_kind(doc));
      if (table == "polaris.audits") add_audit(doc.as_object(), file, out);
      else add_results(doc.as_object(), file, out);
    }
    return out;
  }
};

}  // namespace

}  // namespace kinspect::adapters::polaris

KINSPECT_PLUGIN(kinspect::adapters::polaris::Polaris, "polaris", "1.0.0",
                "Polaris audit results (--with polaris=PATH) as polaris.* tables", KI_KIND_DRIVER)
