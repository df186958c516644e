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
           {"check", T::Text, "Polaris check id (\"privilegeEscalationAllowed\"); NULL where Polaris 0.4 wrote none"},
           {"message", T::Text, "Polaris's message"},
           {"success", T::Boolean, "The check passed"},
           {"severity", T::Text, "danger (\"error\" before Polaris 1.0), warning or ignore; NULL for a pass in Polaris up to 0.6"},
           {"category", T::Text, "Security, Reliability, Efficiency"},
           {"details", T::Json, "Details, where Polaris gives them"}},
          {},
          {"SELECT check, kind, namespace, name, container FROM polaris.results WHERE NOT success AND severity = 'danger'"}};
}

struct Owner {
  std::string source_name, kind, ns, name;
};

// One Polaris check on one object, whatever shape of output it came from.
struct Check {
  std::string id, message, severity, category;
  bool success = false;
  const json::value* details = nullptr;
};

// Polaris renamed severity "error" to "danger" in 1.0 (FairwindsOps/polaris
// #299); older outputs mean the same by it, so the table says danger.
std::string severity_of(std::string s) { return s == "error" ? "danger" : s; }

void add_row(const Owner& o, const char* level, const std::string& container, const Check& c, const std::string& file,
             Rows& out) {
  out.push_back(row([&](ks::JsonWriter& w) {
    w.field("file", file);
    text_or_null(w, "source_name", o.source_name);
    text_or_null(w, "kind", o.kind);
    text_or_null(w, "namespace", o.ns);
    text_or_null(w, "name", o.name);
    w.field("level", level);
    text_or_null(w, "container", container);
    text_or_null(w, "check", c.id);
    w.field("message", c.message).field("success", c.success);
    text_or_null(w, "severity", c.severity);
    text_or_null(w, "category", c.category);
    if (c.details) w.raw("details", json::serialize(*c.details));
    else w.null("details");
  }));
}

// Polaris 1.0 on: {"<id>": {"ID", "Message", "Success", "Severity", ...}}
// under "Results" ("Messages" in the January 2020 builds that first used it).
void add_check_map(const Fields& f, const char* key, const Owner& o, const char* level, const std::string& container,
                   const std::string& file, Rows& out) {
  const json::value* v = f.get(key);
  if (!v) return;
  if (!v->is_object()) f.wrong_type(key, "an object of check results by id");
  for (const auto& [id, result] : v->as_object()) {
    std::string where = f.at(key) + "." + std::string(id);
    if (!result.is_object()) throw std::runtime_error(where + ": expected an object, got " + json_kind(result));
    Fields r(result.as_object(), where);
    auto success = r.boolean("Success");
    if (!success) throw std::runtime_error(where + ".Success: missing; every Polaris result says whether it passed");
    std::string check = r.text("ID");
    if (check.empty()) check = std::string(id);  // some outputs name the check only by its key
    add_row(o, level, container,
            {check, r.text("Message"), severity_of(r.text("Severity")), r.text("Category"), *success, r.get("Details")},
            file, out);
  }
}

// Polaris up to 0.6: "Messages": [{"ID", "Message", "Type", "Category"}],
// where Type is success, warning or error (the check's severity when it
// failed); 0.4 wrote no ID.
void add_message_list(const Fields& f, const Owner& o, const char* level, const std::string& container,
                      const std::string& file, Rows& out) {
  const json::array* list = f.array("Messages");
  for (size_t i = 0; i < list->size(); ++i) {
    Fields m(object_at(*list, i, f.at("Messages")), f.at("Messages", i));
    const std::string type = m.text("Type");
    if (type != "success" && type != "warning" && type != "error")
      throw std::runtime_error(m.at("Type") + ": expected success, warning or error, got \"" + type + "\"");
    const bool success = type == "success";
    add_row(o, level, container,
            {m.text("ID"), m.text("Message"), success ? "" : severity_of(type), m.text("Category"), success, nullptr},
            file, out);
  }
}

// A pod spec's checks and its containers', in either shape.
void add_pod(const Fields& r, const Owner& o, const std::string& file, Rows& out) {
  const json::object* pod = r.object("PodResult");
  if (!pod) return;
  Fields p(*pod, r.at("PodResult"));
  auto add = [&](const Fields& f, const char* level, const std::string& container) {
    const json::value* messages = f.get("Messages");
    if (messages && messages->is_array()) add_message_list(f, o, level, container, file, out);
    else add_check_map(f, f.has("Results") ? "Results" : "Messages", o, level, container, file, out);
  };
  add(p, "pod", "");
  const json::array* containers = p.array("ContainerResults");
  for (size_t j = 0; containers && j < containers->size(); ++j) {
    Fields c(object_at(*containers, j, p.at("ContainerResults")), p.at("ContainerResults", j));
    add(c, "container", c.text("Name"));
  }
}

// Polaris up to 0.6: NamespacedResults.<namespace>.<Kind>Results[], each
// controller with its PodResult and no checks of its own.
void add_namespaced(const Fields& root, const std::string& file, Rows& out) {
  const json::object* namespaces = root.object("NamespacedResults");
  const std::string source = root.text("SourceName");
  for (const auto& [ns, v] : *namespaces) {
    std::string where = root.at("NamespacedResults") + "." + std::string(ns);
    if (!v.is_object()) throw std::runtime_error(where + ": expected an object, got " + json_kind(v));
    for (const auto& [key, list] : v.as_object()) {
      constexpr std::string_view suffix = "Results";
      if (!key.ends_with(suffix) || key.size() == suffix.size() || list.is_null()) continue;
      Fields n(v.as_object(), where);
      const json::array* controllers = n.array(key);
      if (!controllers) n.wrong_type(key, "an array of controller results");
      const std::string kind(key.substr(0, key.size() - suffix.size()));
      for (size_t i = 0; i < controllers->size(); ++i) {
        Fields c(object_at(*controllers, i, n.at(key)), n.at(key, i));
        add_pod(c, {source, kind, std::string(ns), c.text("Name")}, file, out);
      }
    }
  }
}

void add_results(const json::object& doc, const std::string& file, Rows& out) {
  Fields root(doc, file + ":");
  if (root.object("NamespacedResults")) return add_namespaced(root, file, out);
  const json::array* results = root.array("Results");
  if (!results)
    throw std::runtime_error(file + ": not Polaris audit JSON: no \"Results\" array (Polaris 1.0 on) "
                             "nor \"NamespacedResults\" object (up to 0.6)");
  const std::string source = root.text("SourceName");
  for (size_t i = 0; i < results->size(); ++i) {
    Fields r(object_at(*results, i, root.at("Results")), root.at("Results", i));
    Owner o{source, r.text("Kind"), r.text("Namespace"), r.text("Name")};
    add_check_map(r, r.has("Results") ? "Results" : "Messages", o, "controller", "", file, out);
    add_pod(r, o, file, out);
  }
}

void add_audit(const json::object& doc, const std::string& file, Rows& out) {
  Fields root(doc, file + ":");
  // Polaris up to 0.6 wrote ClusterSummary, with the score inside it.
  const json::object* info = root.has("ClusterInfo") ? root.object("ClusterInfo") : root.object("ClusterSummary");
  json::object empty;
  Fields ci(info ? *info : empty, root.at(root.has("ClusterInfo") ? "ClusterInfo" : "ClusterSummary"));
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
    int_or_null(w, "score", root.has("Score") ? root.integer("Score") : ci.integer("Score"));
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
