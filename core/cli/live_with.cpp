// --with TOOL alone: the tool's results from the live cluster, where its
// adapter says they are (settings declared as data; the core names no tool):
//   `live_pods`  the label selector of the pods whose logs are the tool's
//                output: read here through k8s.pod_logs and handed to the
//                adapter as a folder of per-node files (its `input`);
//   `live_annotation`  with `live_pods`: that annotation of those pods (a
//                GET of the pod list, k8s.pods), one <namespace>_<pod>.json
//                file each (sonobuoy's aggregator status);
//   `live`       the adapter reads the cluster itself (NPD's /metrics);
//   neither      a usage error saying how to give the results as a file.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/cli/cli.h"
#include "core/snapshot/manifest.h"
#include "core/table/row_parser.h"
#include "core/util/log.h"

namespace kinspect::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPodLogs = "k8s.pod_logs";
constexpr double kPodLogSeconds = 300;  // the whole read, every pod's log included

const SettingSchema* find_setting(const LoadedPlugin& p, std::string_view name) {
  for (const auto& s : p.description().settings)
    if (s.name == name) return &s;
  return nullptr;
}

std::string text_of(const json::object& row, const char* key) {
  const json::value* v = row.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A text setting: --set TOOL.<name>=... if given, else the adapter's default
// (the pod selector, the annotation).
std::string text_setting(const json::object& settings, const SettingSchema& declared) {
  if (const json::value* v = settings.if_contains(declared.name); v && v->is_string()) return std::string(v->as_string());
  json::error_code ec;
  json::value d = json::parse(declared.default_json, ec);
  return !ec && d.is_string() ? std::string(d.as_string()) : std::string();
}

// Each node's log: the newest pod's on that node (an older Job's pods may
// still be there), its first container with a log. Pods whose log could
// not be read are logged, naming the pod, and counted in `problems`.
std::map<std::string, std::string> logs_by_node(const std::vector<json::object>& rows, std::vector<std::string>& problems) {
  std::map<std::string, std::pair<std::string, std::string>> best;  // node -> (created, log)
  for (const auto& r : rows) {
    if (!text_of(r, "error").empty()) {
      problems.push_back(text_of(r, "error"));
      continue;
    }
    std::string log = text_of(r, "log");
    if (log.find_first_not_of(" \t\r\n") == std::string::npos) continue;  // not started, or wrote nothing
    std::string node = text_of(r, "node");
    if (node.empty()) node = text_of(r, "pod");
    std::string created = text_of(r, "created");
    auto it = best.find(node);
    if (it == best.end() || created > it->second.first) best[node] = {created, std::move(log)};
  }
  std::map<std::string, std::string> out;
  for (auto& [node, v] : best) out[node] = std::move(v.second);
  return out;
}

// The rows of k8s.pod_logs(selector), or the reason they cannot be had.
Expected<std::vector<json::object>> read_pod_logs(PluginRegistry& reg, const std::string& selector) {
  if (!reg.find(kPodLogs)) return Error("no loaded plugin serves k8s.pod_logs (the kube-apiserver plugin)");
  std::vector<json::object> rows;
  CancelToken budget;
  budget.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(static_cast<int>(kPodLogSeconds));
  Status st = reg.scan_table(
      ScanSpec{kPodLogs, {json::value(selector)}, {}},
      [&](std::string_view batch) {
        bool whole = for_each_row_text(batch, [&](std::string_view row) {
          json::error_code ec;
          json::value v = json::parse(row, ec);
          if (!ec && v.is_object()) rows.push_back(std::move(v.as_object()));
        });
        return whole ? Status::Ok() : Status(Error("k8s.pod_logs: a batch ended inside a row"));
      },
      &budget);
  if (!st.ok()) return st.error();
  return rows;
}

void save_output(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

// Fills `settings` for a tool whose results are pod logs: `input`, a private
// folder of <node>.log files, or `live_unavailable` saying why there are none.
void settle_pod_logs(const std::string& tool, PluginRegistry& reg, const std::string& selector, json::object& settings) {
  settings.erase("live");
  std::string where = "k8s.pod_logs('" + selector + "')";
  auto rows = read_pod_logs(reg, selector);
  if (!rows) {
    settings["live_unavailable"] = where + ": " + rows.error().message();
    return;
  }
  std::vector<std::string> problems;
  auto logs = logs_by_node(*rows, problems);
  for (const auto& p : problems) log::warn("with", tool + ": " + p);
  if (logs.empty()) {
    std::string why = "no pod matching the label selector '" + selector + "' (any namespace) has a log to read";
    if (!problems.empty()) why += " (" + problems.front() + (problems.size() > 1 ? ", ..." : "") + ")";
    settings["live_unavailable"] = why + "; run " + tool + " in the cluster (its pods labelled " + selector +
                                   "), or pass --with " + tool + "=PATH";
    return;
  }
  fs::path dir = private_temp_folder();
  for (const auto& [node, text] : logs) {
    // A node name is a DNS subdomain, but keep any other text inside the folder.
    std::string name = node;
    std::replace(name.begin(), name.end(), '/', '_');
    if (name == "." || name == "..") name = "_";
    save_output(dir / (name + ".log"), text);
  }
  log::info("with", tool + ": read " + std::to_string(logs.size()) + " node(s)' results from " + where);
  settings["input"] = dir.string();
}

constexpr std::string_view kLabelPath = "metadata.labels.";

// "a=b,c=d" as k8s.pods constraints on metadata.labels (pushed down to the
// API server as a labelSelector); only equality requirements are taken.
Expected<std::vector<ScanConstraint>> label_constraints(const std::string& selector) {
  std::map<std::string, std::string> req;
  for (size_t at = 0; at <= selector.size();) {
    size_t comma = std::min(selector.find(',', at), selector.size());
    std::string part = selector.substr(at, comma - at);
    size_t eq = part.find('=');
    if (eq == 0 || eq == std::string::npos || part.find_first_of("!=", eq + 1) != std::string::npos)
      return Error("label selector '" + selector + "': only key=value requirements are read here, not '" + part + "'");
    req[part.substr(0, eq)] = part.substr(eq + 1);
    at = comma + 1;
  }
  std::vector<ScanConstraint> out;
  for (const auto& [k, v] : req) out.push_back({std::string(kLabelPath) + k, {v}});
  return out;
}

// The API server selected the pods already; a provider that ignores the
// pushed-down selector (a snapshot) is filtered here.
bool labels_match(const json::object& pod, const std::vector<ScanConstraint>& constraints) {
  const json::value* labels = pod.if_contains("metadata") && pod.at("metadata").is_object()
                                  ? pod.at("metadata").as_object().if_contains("labels") : nullptr;
  for (const auto& c : constraints) {
    const json::value* v = labels && labels->is_object() ? labels->as_object().if_contains(c.path.substr(kLabelPath.size())) : nullptr;
    if (!v || !v->is_string() || v->as_string() != c.values[0]) return false;
  }
  return true;
}

// The pods matching `selector` that carry `annotation`: "<ns>_<name>" -> value.
Expected<std::map<std::string, std::string>> read_annotations(PluginRegistry& reg, const std::string& selector,
                                                              const std::string& annotation) {
  if (!reg.find("k8s.pods")) return Error("no loaded plugin serves k8s.pods (the kube-apiserver plugin)");
  auto constraints = label_constraints(selector);
  if (!constraints) return constraints.error();
  std::map<std::string, std::string> out;
  CancelToken budget;
  budget.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(static_cast<int>(kPodLogSeconds));
  Status st = reg.scan_table(
      ScanSpec{"k8s.pods", {}, {}, *constraints},
      [&](std::string_view batch) {
        bool whole = for_each_row_text(batch, [&](std::string_view row) {
          json::error_code ec;
          json::value v = json::parse(row, ec);
          if (ec || !v.is_object() || !labels_match(v.as_object(), *constraints)) return;
          const json::object& meta = v.at("metadata").as_object();
          const json::value* a = meta.if_contains("annotations");
          const json::value* value = a && a->is_object() ? a->as_object().if_contains(annotation) : nullptr;
          if (!value || !value->is_string()) return;
          out[text_of(meta, "namespace") + "_" + text_of(meta, "name")] = std::string(value->as_string());
        });
        return whole ? Status::Ok() : Status(Error("k8s.pods: a batch ended inside a row"));
      },
      &budget);
  if (!st.ok()) return st.error();
  return out;
}

// Fills `settings` for a tool whose results are an annotation of its pods:
// `input`, a private folder of <namespace>_<pod>.json files, and
// `live_annotation`; or `live_unavailable` saying why there are none.
void settle_annotation(const std::string& tool, PluginRegistry& reg, const std::string& selector,
                       const std::string& annotation, json::object& settings) {
  settings.erase("live");
  std::string where = "annotation " + annotation + " of the pods labelled " + selector;
  auto found = read_annotations(reg, selector, annotation);
  if (!found) {
    settings["live_unavailable"] = where + ": " + found.error().message();
    return;
  }
  if (found->empty()) {
    settings["live_unavailable"] = "no pod labelled " + selector + " (any namespace) has the annotation " + annotation +
                                   "; run " + tool + " in the cluster, or pass --with " + tool + "=PATH";
    return;
  }
  fs::path dir = private_temp_folder();
  for (const auto& [pod, value] : *found) {
    std::string name = pod;
    std::replace(name.begin(), name.end(), '/', '_');
    save_output(dir / (name + ".json"), value);
  }
  log::info("with", tool + ": read the " + where + " (" + std::to_string(found->size()) + " pod(s))");
  settings["input"] = dir.string();
  settings["live_annotation"] = annotation;
}

}  // namespace

bool settle_live_with(const std::vector<std::string>& live_tools, PluginRegistry& reg,
                      std::map<std::string, std::string>& config) {
  bool changed = false;
  for (const auto& tool : live_tools) {
    const LoadedPlugin* p = reg.plugin(tool);
    if (!p || find_setting(*p, "live") || !p->description().declares_settings) continue;
    const SettingSchema* pods = find_setting(*p, "live_pods");
    if (!pods) {
      const SettingSchema* input = find_setting(*p, "input");
      throw UsageError("--with " + tool + ": " + tool + "'s results cannot be read from the live cluster; pass them as --with " +
                       tool + "=PATH" + (input && !input->doc.empty() ? ", PATH being " + input->doc : std::string()));
    }
    json::object settings;
    if (auto it = config.find(tool); it != config.end()) {
      json::error_code ec;
      json::value v = json::parse(it->second, ec);
      if (!ec && v.is_object()) settings = std::move(v.as_object());
    }
    if (const SettingSchema* annotation = find_setting(*p, "live_annotation"))
      settle_annotation(tool, reg, text_setting(settings, *pods), text_setting(settings, *annotation), settings);
    else
      settle_pod_logs(tool, reg, text_setting(settings, *pods), settings);
    config[tool] = json::serialize(settings);
    changed = true;
  }
  return changed;
}

}  // namespace kinspect::cli
