#include <boost/json/parse.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "adapter.h"
#include "results.h"

namespace kinspect::adapters::sonobuoy {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (size_t slash; (slash = path.find('/', pos)) != std::string::npos; pos = slash + 1) parts.push_back(path.substr(pos, slash - pos));
  parts.push_back(path.substr(pos));
  return parts;
}

// What the tarball holds, member by member, before it is made into items.
struct Members {
  std::map<std::string, std::string> read;  // path -> content, for the members worth reading
  std::set<std::string> plugins;
  std::map<std::string, std::vector<std::string>> raw_results;  // plugin -> result files not read
};

bool is_meta_member(const std::string& path) {
  return path == "serverversion.json" || path == "serverversion/serverversion.json" || path == "meta/config.json" ||
         path == "meta/info.json" || path == "resources/cluster/Nodes.json" || path == "resources/cluster/core_v1_nodes.json";
}

// A manual-format plugin's result file (sonobuoy's result-format "manual":
// the plugin writes its own item tree, per node).
bool is_yaml(const std::string& path) { return ends_with(path, ".yaml") || ends_with(path, ".yml"); }

// plugins/<p>/... : the members of a plugin worth reading.
bool wanted_plugin_member(const std::vector<std::string>& parts, const std::string& path) {
  if (parts.size() == 3)
    return parts[2] == "sonobuoy_results.yaml" || parts[2] == "defintion.json" || parts[2] == "definition.json";
  if (parts[2] == "errors") return ends_with(path, ".json");
  return parts[2] == "results" && (ends_with(path, ".xml") || is_yaml(path));
}

void note_plugin(Members& m, const std::vector<std::string>& parts) {
  if (parts.size() >= 2 && parts[0] == "plugins" && !parts[1].empty() && parts[1][0] != '.') m.plugins.insert(parts[1]);
}

Members scan_members(const std::string& tarball, const ArchiveLimits& limits, std::vector<ArchiveNote>& notes) {
  Members m;
  auto wanted = [&](const std::string& path) {
    if (is_meta_member(path)) return true;
    std::vector<std::string> parts = split(path);
    if (parts.size() < 3 || parts[0] != "plugins" || parts[1].empty() || parts[1][0] == '.') return false;
    note_plugin(m, parts);
    // Result files are listed for a raw plugin, whether read or not.
    if (parts[2] == "results" && parts.size() > 3 && !ends_with(path, ".xml")) m.raw_results[parts[1]].push_back(path);
    return wanted_plugin_member(parts, path);
  };
  auto take = [&](const std::string& path, std::string data) { m.read[path] = std::move(data); };
  auto directory = [&](const std::string& path) { note_plugin(m, split(path)); };
  read_tarball(tarball, limits, wanted, take, notes, directory);
  return m;
}

// The node a result file belongs to: plugins/<p>/results/<node>/... (not "global"),
// or plugins/<p>/results/<node> itself for v0.10 DaemonSet plugins, whose
// per-node files are named after the node (ip-10-0-9-16.us-west-2.compute.internal).
std::string node_of(const std::string& path) {
  std::vector<std::string> parts = split(path);
  if (parts.size() > 4 && parts[3] != "global") return parts[3];
  if (parts.size() != 4) return {};
  size_t dot = parts[3].rfind('.');
  static const std::set<std::string> kResultExtensions = {"xml", "log", "txt", "json", "yaml", "yml", "gz", "tar", "tgz"};
  if (dot != std::string::npos && kResultExtensions.count(parts[3].substr(dot + 1))) return {};
  return parts[3];
}

json::object json_member(const Members& m, const std::string& tarball, const std::string& path) {
  auto it = m.read.find(path);
  if (it == m.read.end()) return {};
  json::value v = parse_json(it->second, tarball + ": member " + path);
  if (!v.is_object()) throw std::runtime_error(tarball + ": member " + path + ": expected a JSON object, got " + json_kind(v));
  return v.as_object();
}

void read_run_facts(Results& r, const Members& m) {
  json::object config = json_member(m, r.file, "meta/config.json");
  r.sonobuoy_version = Fields(config, r.file + ": meta/config.json:").text("Version");
  for (const char* p : {"serverversion.json", "serverversion/serverversion.json"}) {
    json::object v = json_member(m, r.file, p);
    if (!v.empty()) r.server_version = Fields(v, r.file + ": " + p + ":").text("gitVersion");
  }
  // A List object in v0.9/v0.10 (Nodes.json), a bare array in v0.5x (core_v1_nodes.json).
  for (const char* p : {"resources/cluster/Nodes.json", "resources/cluster/core_v1_nodes.json"}) {
    auto it = m.read.find(p);
    if (it == m.read.end()) continue;
    const std::string where = r.file + ": member " + p;
    json::value nodes = parse_json(it->second, where);
    const json::array* items = nullptr;
    if (nodes.is_array()) items = &nodes.as_array();
    else if (!nodes.is_object()) throw std::runtime_error(where + ": expected a list of nodes, got " + json_kind(nodes));
    else items = Fields(nodes.as_object(), where + ":").array("items");
    if (!items) continue;
    r.nodes = static_cast<int64_t>(items->size());
    for (const auto& n : *items)
      if (const json::value* name = n.is_object() ? n.as_object().if_contains("metadata") : nullptr; name && name->is_object())
        if (const json::value* v = name->as_object().if_contains("name"); v && v->is_string()) r.node_names.emplace_back(v->as_string());
  }
}

// The plugin's errors/*.json, except those its item tree already holds
// (sonobuoy 0.5x aggregates them into sonobuoy_results.yaml as failed items
// naming the file): one error, one row.
void add_errors(Results& r, const Members& m, const std::string& plugin) {
  const std::string prefix = "plugins/" + plugin + "/errors/";
  for (auto it = m.read.lower_bound(prefix); it != m.read.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    const std::string file = it->first.substr(("plugins/" + plugin + "/").size());
    if (std::any_of(r.items.begin(), r.items.end(), [&](const Item& i) { return i.plugin == plugin && i.file == file; }))
      continue;
    json::object err = json_member(m, r.file, it->first);
    Fields f(err, r.file + ": member " + it->first + ":");
    Item item;
    item.plugin = plugin;
    item.file = it->first.substr(("plugins/" + plugin + "/").size());
    item.name = "plugin error";
    item.status = "error";
    item.message = f.text("error");
    if (item.message.empty()) item.message = "sonobuoy recorded an error for this plugin (" + item.file + ")";
    if (const json::object* pod = f.object("pod"))
      if (const json::object* spec = Fields(*pod, f.at("pod")).object("spec"))
        item.node = Fields(*spec, f.at("pod") + ".spec").text("nodeName");
    item.source = "errors";
    r.items.push_back(std::move(item));
  }
}


// The plugin's driver and result format, from its definition where the tarball has one.
void read_definition(PluginInfo& p, const Members& m, const std::string& tarball) {
  const std::string base = "plugins/" + p.name + "/";
  for (const char* def : {"defintion.json", "definition.json"}) {
    json::object d = json_member(m, tarball, base + def);
    if (const json::object* defn = Fields(d, tarball + ": " + base + def + ":").object("Definition"))
      if (const json::object* cfg = Fields(*defn, "Definition").object("sonobuoy-config")) {
        p.driver = Fields(*cfg, "sonobuoy-config").text("driver");
        p.result_format = Fields(*cfg, "sonobuoy-config").text("result-format");
      }
  }
}

// A manual-format plugin's own item trees (results/<node>/*.yaml), read as
// sonobuoy reads them. Without a definition saying "manual", only files
// that are item trees (a name and a status at the top) are taken so; a raw
// plugin's other YAML stays a raw result file. False when none was read.
bool add_manual_items(Results& r, PluginInfo& p, const Members& m) {
  const std::string base = "plugins/" + p.name + "/";
  const bool declared = p.result_format == "manual";
  std::vector<Item> found;
  for (auto it = m.read.lower_bound(base + "results/"); it != m.read.end() && it->first.rfind(base + "results/", 0) == 0; ++it) {
    if (!is_yaml(it->first)) continue;
    if (!declared) {
      YAML::Node top;
      try {
        top = YAML::Load(it->second);
      } catch (const YAML::Exception&) {
        continue;
      }
      if (!top.IsMap() || !top["name"] || !top["status"]) continue;
    }
    auto items = items_from_yaml(it->second, r.file + ": member " + it->first, p.name, nullptr);
    for (auto& i : items) {
      i.node = node_of(it->first);
      if (i.file.empty()) i.file = it->first.substr(base.size());
      i.source = "manual";
    }
    found.insert(found.end(), items.begin(), items.end());
  }
  if (found.empty()) return false;
  r.items.insert(r.items.end(), found.begin(), found.end());
  p.source = "manual";
  return true;
}

// A plugin's items: its item tree, else its JUnit files, else (raw plugins)
// its result files, else one error row saying its results are missing.
void add_plugin_items(Results& r, PluginInfo& p, const Members& m) {
  const std::string& name = p.name;
  const std::string base = "plugins/" + name + "/";
  if (auto y = m.read.find(base + "sonobuoy_results.yaml"); y != m.read.end()) {
    auto items = items_from_yaml(y->second, r.file + ": member " + y->first, name, &p.status);
    r.items.insert(r.items.end(), items.begin(), items.end());
    p.source = "sonobuoy_results.yaml";
    return;
  }
  for (auto it = m.read.lower_bound(base + "results/"); it != m.read.end() && it->first.rfind(base + "results/", 0) == 0; ++it) {
    if (!ends_with(it->first, ".xml")) continue;
    auto items = items_from_junit(it->second, r.file + ": member " + it->first, name);
    for (auto& i : items) i.node = node_of(it->first), i.file = it->first.substr(base.size());
    r.items.insert(r.items.end(), items.begin(), items.end());
    p.source = "junit";
  }
  if (!p.source.empty()) return;
  const bool junit_expected = p.result_format == "junit" || (p.result_format.empty() && name == "e2e");
  if (!junit_expected && add_manual_items(r, p, m)) return;
  if (!junit_expected && m.raw_results.count(name)) {
    for (const auto& path : m.raw_results.at(name))
      r.items.push_back({name, node_of(path), path.substr(base.size()), "", path.substr(base.size() + 8), "passed", "", {}, "raw"});
    p.source = "raw";
    return;
  }
  r.items.push_back({name, "", "", "", "(no results)", "error",
                     "the tarball has no results for plugin " + name + " (expected " + base + "sonobuoy_results.yaml" +
                         (junit_expected ? " or JUnit XML under " + base + "results/" : " or files under " + base + "results/") + ")",
                     {}, "missing"});
  p.source = "missing";
}

// A DaemonSet plugin runs on every node: a node of the cluster with no result
// at all is a pod that never reported (partial results), said as an error row.
void add_missing_nodes(Results& r, const PluginInfo& p, size_t first) {
  if (p.driver != "DaemonSet" || p.source == "missing") return;
  std::set<std::string> reported;
  for (size_t i = first; i < r.items.size(); ++i) reported.insert(r.items[i].node);
  for (const auto& node : r.node_names)
    if (!reported.count(node))
      r.items.push_back({p.name, node, "", "", "(no results from this node)", "error",
                         "DaemonSet plugin " + p.name + " has no results from node " + node +
                             ": its pod there did not report (partial results)",
                         {}, "missing"});
}

}  // namespace

Results read_results(const std::string& tarball, const ArchiveLimits& limits) {
  Results r;
  r.file = tarball;
  Members m = scan_members(tarball, limits, r.notes);
  read_run_facts(r, m);
  json::object info = json_member(m, tarball, "meta/info.json");
  if (const json::array* listed = Fields(info, tarball + ": meta/info.json:").array("plugins"))
    for (const auto& p : *listed)
      if (p.is_string()) m.plugins.insert(std::string(p.as_string()));
  if (m.plugins.empty())
    throw std::runtime_error(tarball + ": no plugin results in the tarball (no plugins/<name>/ folder): is this what `sonobuoy retrieve` wrote?");
  for (const auto& name : m.plugins) {
    PluginInfo p;
    p.name = name;
    read_definition(p, m, tarball);
    const size_t first = r.items.size();
    add_plugin_items(r, p, m);
    add_missing_nodes(r, p, first);
    add_errors(r, m, name);
    if (p.status.empty()) {
      bool failed = false;
      for (size_t i = first; i < r.items.size(); ++i) failed = failed || r.items[i].status == "failed" || r.items[i].status == "error";
      p.status = failed ? "failed" : "passed";
    }
    r.plugins.push_back(std::move(p));
  }
  return r;
}

}  // namespace kinspect::adapters::sonobuoy
