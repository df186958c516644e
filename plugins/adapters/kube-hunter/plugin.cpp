// kube-hunter adapter: `kube-hunter --report json` output as tables: the
// nodes and services it found and the vulnerabilities it proved, with their
// KHV ids. See docs/adapters.md.
#include "adapter.h"

#include <stdexcept>

namespace kinspect::adapters::kubehunter {

namespace {

using T = ks::Type;

const char* const kInputDoc = "the output of kube-hunter --report json, or a folder of such files";

ks::TableSpec vulnerabilities_table() {
  return {"kubehunter.vulnerabilities",
          "One row per vulnerability kube-hunter reported.",
          {{"file", T::Text, "The kube-hunter output"},
           {"location", T::Text, "Where: host:port, or \"Local to Pod (...)\""},
           {"vid", T::Text, "kube-hunter's id (\"KHV044\"); NULL where kube-hunter gives none (\"None\")"},
           {"category", T::Text, "Attack category (\"Privilege Escalation // Privileged container\")"},
           {"severity", T::Text, "high, medium or low"},
           {"vulnerability", T::Text, "Title"},
           {"description", T::Text, "Description"},
           {"evidence", T::Text, "What kube-hunter saw"},
           {"avd_reference", T::Text, "Link to the vulnerability's description"},
           {"hunter", T::Text, "The hunter that found it"}},
          {},
          {"SELECT vid, severity, location, vulnerability FROM kubehunter.vulnerabilities"}};
}

ks::TableSpec nodes_table() {
  return {"kubehunter.nodes",
          "The nodes kube-hunter found.",
          {{"file", T::Text, "The kube-hunter output"}, {"type", T::Text, "Node/Master, ..."}, {"location", T::Text, "Address"}},
          {},
          {"SELECT type, location FROM kubehunter.nodes"}};
}

ks::TableSpec services_table() {
  return {"kubehunter.services",
          "The services kube-hunter found open.",
          {{"file", T::Text, "The kube-hunter output"}, {"service", T::Text, "Kubelet API, API Server, ..."},
           {"location", T::Text, "host:port"}},
          {},
          {"SELECT service, location FROM kubehunter.services"}};
}

// The member `key` of kube-hunter's report: an array of objects (required).
const json::array& section(const Fields& root, const char* key) {
  const json::array* a = root.array(key);
  if (!a)
    throw std::runtime_error(root.at(key) + ": missing; kube-hunter's JSON report has nodes, services and vulnerabilities");
  return *a;
}

void add_rows(const Fields& root, const char* key, const std::vector<std::pair<const char*, const char*>>& columns,
              const std::string& file, Rows& out) {
  const json::array& items = section(root, key);
  for (size_t i = 0; i < items.size(); ++i) {
    Fields f(object_at(items, i, root.at(key)), root.at(key, i));
    out.push_back(row([&](ks::JsonWriter& w) {
      w.field("file", file);
      for (const auto& [column, member] : columns) {
        std::string v = f.text(member);
        if (std::string_view(column) == "vid" && v == "None") v.clear();
        text_or_null(w, column, v);
      }
    }));
  }
}

class KubeHunter final : public AdapterPlugin {
 public:
  KubeHunter(const ks::Host&, std::string_view config) : AdapterPlugin("kube-hunter", config, kInputDoc) {}
  std::vector<ks::TableSpec> tables() const override { return {vulnerabilities_table(), nodes_table(), services_table()}; }

 protected:
  Rows rows(std::string_view table) override {
    Rows out;
    for (const auto& file : input_files(config().input)) {
      json::value doc = parse_json(read_file(file, config().max_input_bytes), file);
      if (!doc.is_object()) throw std::runtime_error(file + ": not kube-hunter JSON: expected an object, got " + json_kind(doc));
      Fields root(doc.as_object(), file + ":");
      if (table == "kubehunter.nodes") add_rows(root, "nodes", {{"type", "type"}, {"location", "location"}}, file, out);
      else if (table == "kubehunter.services")
        add_rows(root, "services", {{"service", "service"}, {"location", "location"}}, file, out);
      else
        add_rows(root, "vulnerabilities",
                 {{"location", "location"}, {"vid", "vid"}, {"category", "category"}, {"severity", "severity"},
                  {"vulnerability", "vulnerability"}, {"description", "description"}, {"evidence", "evidence"},
                  {"avd_reference", "avd_reference"}, {"hunter", "hunter"}},
                 file, out);
    }
    return out;
  }
};

}  // namespace

}  // namespace kinspect::adapters::kubehunter

KINSPECT_PLUGIN(kinspect::adapters::kubehunter::KubeHunter, "kube-hunter", "1.0.0",
                "kube-hunter's findings (--with kube-hunter=PATH) as kubehunter.* tables", KI_KIND_DRIVER)
