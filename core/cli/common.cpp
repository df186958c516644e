// What several commands share: loading plugins from the command line's
// options, and text tables.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

#include "core/cli/cli.h"
#include "core/run/runner.h"
#include "core/cli/cluster_identity.h"
#include "core/snapshot/manifest.h"
#include "core/util/log.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

void add_source_options(po::options_description& desc) {
  desc.add_options()
      ("plugin-dir", po::value<std::vector<std::string>>()->composing(),
       "load plugins from this folder (repeatable); default: $KINSPECT_PLUGIN_PATH, the build tree, the install folder")
      ("plugin", po::value<std::vector<std::string>>()->composing(), "load this plugin .so file too (repeatable)")
      ("kubeconfig", po::value<std::string>(), "kubeconfig file(s), ':'-separated like $KUBECONFIG")
      ("context", po::value<std::vector<std::string>>()->composing(),
       "kubeconfig context to use (default: its current-context); 'kinspect run' takes several, one inspection each")
      ("snapshot", po::value<std::string>(),
       "read the cluster from a snapshot (folder, .tar.gz, or kubectl -o json/yaml List files) instead of a live API server")
      ("qps", po::value<double>(), "API server requests per second (default 20, like client-go)")
      ("burst", po::value<int>(), "API server request burst (default 40)")
      ("request-timeout", po::value<double>(), "seconds per API server request (default 30)")
      ("consistent-read", "read from etcd rather than the API server's watch cache (slower, heavier on the server)")
      ("include-secret-data", "read Secret values too (off by default: only keys and metadata)")
      ("set", po::value<std::vector<std::string>>()->composing(),
       "a plugin setting PLUGIN.KEY=VALUE (VALUE is JSON, or else text), e.g. --set kube-apiserver.qps=50")
      ("with", po::value<std::vector<std::string>>()->composing(),
       "bring another tool's results into the report: TOOL=PATH (repeatable), e.g. --with kube-bench=kb.json "
       "--with sonobuoy=results.tar.gz; TOOL is an adapter plugin ('kinspect plugins list'), "
       "PATH its output file, a folder of per-node outputs or a tarball; TOOL alone reads the results from "
       "the live cluster where the adapter says they are (--with kube-bench: the logs of its Job's pods, "
       "app=kube-bench, read with GETs of pods/log; tools with no live source say what to pass instead); "
       "TOOL=run runs the tool on this machine and reads what it prints (--with kube-bench=run: kube-bench "
       "--json, kube-bench on PATH). Only then do that tool's checks run (docs/adapters.md)");
}

void add_check_options(po::options_description& desc) {
  desc.add_options()
      ("checks", po::value<std::vector<std::string>>()->composing(),
       "more check files or folders, added to the bundled catalog (repeatable)")
      ("no-bundled-checks", "leave the bundled catalog out: only the --checks files run");
}

bool bundled_checks(const po::variables_map& vm) { return !vm.count("no-bundled-checks"); }

std::vector<std::string> check_paths(const po::variables_map& vm) {
  if (!bundled_checks(vm) && !vm.count("checks"))
    throw po::error("--no-bundled-checks leaves no checks: give the checks to run with --checks DIR");
  std::vector<std::string> paths;
  if (bundled_checks(vm)) paths = default_check_paths();
  if (vm.count("checks"))
    for (const auto& p : vm["checks"].as<std::vector<std::string>>()) paths.push_back(p);
  std::vector<std::string> unique;
  std::set<std::filesystem::path> seen;
  for (const auto& p : paths) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(p, ec);
    if (seen.insert(ec ? std::filesystem::path(p) : canonical).second) unique.push_back(p);
  }
  return unique;
}

void add_scope_options(po::options_description& desc) {
  desc.add_options()
      ("namespace,n", po::value<std::vector<std::string>>()->composing(),
       "read the namespaced objects of this namespace only (repeatable, or comma-separated); live, one LIST per "
       "namespace. Cluster-scoped tables (nodes, namespaces, CRDs, cluster roles, ...) are read whole")
      ("all-namespaces,A", "every namespace: the default")
      ("exclude-namespace", po::value<std::vector<std::string>>()->composing(),
       "leave out this namespace's objects (repeatable, or comma-separated); live, fieldSelector metadata.namespace!=NAME")
      ("selector,l", po::value<std::string>(),
       "read only the namespaced objects with these labels: a label selector such as 'app=shop,tier!=cache' or "
       "'env in (prod,staging)'; live, labelSelector=. Cluster-scoped tables are read whole");
}

namespace {
std::vector<std::string> comma_list(const po::variables_map& vm, const char* option) {
  std::vector<std::string> out;
  if (!vm.count(option)) return out;
  for (const auto& v : vm[option].as<std::vector<std::string>>())
    for (size_t start = 0; start <= v.size();) {
      size_t comma = std::min(v.find(',', start), v.size());
      std::string name = v.substr(start, comma - start);
      if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
      start = comma + 1;
    }
  return out;
}
}  // namespace

report::Scope scope_of(const po::variables_map& vm) {
  report::Scope s;
  s.namespaces = comma_list(vm, "namespace");
  s.exclude_namespaces = comma_list(vm, "exclude-namespace");
  if (vm.count("selector")) s.label_selector = vm["selector"].as<std::string>();
  if (vm.count("all-namespaces") && !s.namespaces.empty())
    throw UsageError("-A/--all-namespaces and -n/--namespace contradict each other: give one");
  for (const auto& ns : s.exclude_namespaces)
    if (std::find(s.namespaces.begin(), s.namespaces.end(), ns) != s.namespaces.end())
      throw UsageError("namespace '" + ns + "' is given to both --namespace and --exclude-namespace");
  return s;
}

// --with TOOL=PATH is the adapter plugin TOOL's setting `input` (an absolute
// path, since plugin workers may not share our working folder); --with TOOL
// alone is its setting `live`. The core knows nothing else of adapters.
static std::vector<std::pair<std::string, std::string>> parse_with(const po::variables_map& vm) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!vm.count("with")) return out;
  for (const auto& s : vm["with"].as<std::vector<std::string>>()) {
    size_t eq = s.find('=');
    std::string tool = s.substr(0, eq);
    if (tool.empty() || (eq != std::string::npos && eq + 1 == s.size()))
      throw po::error("--with takes TOOL=PATH or TOOL, got '" + s + "'");
    out.emplace_back(tool, eq == std::string::npos ? std::string() : s.substr(eq + 1));
  }
  return out;
}

// --with TOOL=run: run the tool here, unless a file named "run" is meant.
static bool run_here(const std::string& path) {
  std::error_code ec;
  return path == "run" && !std::filesystem::exists(path, ec);
}

std::vector<SnapshotInput> with_inputs(const po::variables_map& vm) {
  std::vector<SnapshotInput> out;
  for (const auto& [tool, path] : parse_with(vm))
    if (!path.empty() && !run_here(path))
      out.push_back({tool, std::filesystem::absolute(path).lexically_normal().string(), {}});
  return out;
}

std::vector<std::string> with_tools(const po::variables_map& vm) {
  std::vector<std::string> tools;
  for (const auto& [tool, _] : parse_with(vm))
    if (std::find(tools.begin(), tools.end(), tool) == tools.end()) tools.push_back(tool);
  // A snapshot taken with --with carries those outputs: they count as given.
  if (vm.count("snapshot"))
    for (const auto& tool : snapshot_input_tools(vm["snapshot"].as<std::string>()))
      if (std::find(tools.begin(), tools.end(), tool) == tools.end()) tools.push_back(tool);
  return tools;
}

// The tools given as --with TOOL alone, to be read from the live cluster.
static std::vector<std::string> live_with_tools(const po::variables_map& vm) {
  std::vector<std::string> tools;
  for (const auto& [tool, path] : parse_with(vm))
    if (path.empty()) tools.push_back(tool);
  return tools;
}

static void add_with_settings(const po::variables_map& vm, std::map<std::string, json::object>& config) {
  std::set<std::string> seen;
  for (const auto& [tool, path] : parse_with(vm)) {
    if (!seen.insert(tool).second) throw po::error("--with " + tool + " is given twice; pass one PATH per tool");
    json::object& settings = config[tool];
    if (path.empty()) settings["live"] = true;
    else if (run_here(path)) settings["run"] = true;  // the adapter runs it (and says so when it cannot)
    else settings["input"] = std::filesystem::absolute(path).lexically_normal().string();
  }
  // --with on the command line wins over what the snapshot carries.
  if (!vm.count("snapshot") || snapshot_input_tools(vm["snapshot"].as<std::string>()).empty()) return;
  const std::string snapshot = vm["snapshot"].as<std::string>();
  for (const auto& [tool, path] : snapshot_inputs(snapshot))
    if (!seen.count(tool)) config[tool]["input"] = path;
  for (const auto& [tool, settings] : snapshot_input_settings(snapshot))
    if (!seen.count(tool))
      for (const auto& [key, value] : settings) config[tool][key] = value;
}

// A --with naming no loaded plugin is a typo or a missing adapter: say which.
static void require_with_plugins(const po::variables_map& vm, const PluginRegistry& reg) {
  for (const auto& tool : with_tools(vm)) {
    if (reg.plugin(tool)) continue;
    std::vector<std::string> names;
    for (const auto& p : reg.plugins()) names.emplace_back(p->name());
    std::string hint = closest_match(tool, names);
    throw po::error("--with " + tool + ": no plugin named '" + tool + "' is loaded" +
                    (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)") +
                    "; 'kinspect plugins list' shows them");
  }
}

namespace {

std::string problems_text(const std::vector<LoadProblem>& problems) {
  std::string text = problems.size() == 1 ? "a plugin could not be loaded: " : "plugins could not be loaded:";
  for (const auto& p : problems) text += (problems.size() == 1 ? "" : "\n  ") + p.format();
  return text;
}

// --with TOOL alone: where the adapter reads the live results from the
// cluster through the registry (live_with.cpp), the adapter is loaded again
// with them as its input; every other plugin is kept as it is.
// What each live read settled, for `snapshot` to carry: the folder of
// outputs read and how to read them, or why there were none.
std::vector<SnapshotInput> settled_inputs(const std::vector<std::string>& live_tools, const RegistryOptions& opts) {
  std::vector<SnapshotInput> out;
  for (const auto& tool : live_tools) {
    auto it = opts.config.find(tool);
    json::error_code ec;
    json::value v = it == opts.config.end() ? json::value() : json::parse(it->second, ec);
    if (ec || !v.is_object()) continue;
    auto text = [&](const char* key) {
      const json::value* x = v.as_object().if_contains(key);
      return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    SnapshotInput in{tool, text("input"), {}};
    for (const char* key : kCarriedWithSettings)
      if (!text(key).empty()) in.settings[key] = text(key);
    if (!in.path.empty() || !in.settings.empty()) out.push_back(std::move(in));
  }
  return out;
}

std::unique_ptr<PluginRegistry> with_live_results(const po::variables_map& vm, std::unique_ptr<PluginRegistry> reg,
                                                  RegistryOptions& opts, std::vector<SnapshotInput>* settled) {
  const std::vector<std::string> live_tools = live_with_tools(vm);
  if (!settle_live_with(live_tools, *reg, opts.config)) return reg;
  if (settled) *settled = settled_inputs(live_tools, opts);
  auto next = std::make_unique<PluginRegistry>();
  auto problems = next->load(opts, reg.get());
  if (!problems.empty()) throw UsageError(problems_text(problems));
  return next;
}

// Plugin names a --set may use: the loaded ones, and those the run left out
// (`only`), named as the loader names them by file (kube_apiserver.so ->
// kube-apiserver).
std::vector<std::string> plugin_names(const PluginRegistry& reg, const RegistryOptions& opts) {
  std::vector<std::string> names;
  for (const auto& p : reg.plugins()) names.emplace_back(p->name());
  for (const auto& dir : opts.dirs) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() != ".so") continue;
      std::string stem = e.path().stem().string();
      std::replace(stem.begin(), stem.end(), '_', '-');
      names.push_back(stem);
    }
  }
  return names;
}

// Each --set must name a plugin and, for a plugin that declares its settings
// (ABI 1.1), one of them: a typo is a usage error, never a setting silently
// ignored. Settings of plugins this run leaves out (`only`) are not checked.
void check_settings(const PluginRegistry& reg, const std::vector<std::pair<std::string, std::string>>& user_settings,
                    const RegistryOptions& opts) {
  std::vector<std::string> loaded = plugin_names(reg, opts);
  for (const auto& [plugin, key] : user_settings) {
    const LoadedPlugin* p = reg.plugin(plugin);
    if (!p) {
      bool left_out = !opts.only.empty() && std::find(loaded.begin(), loaded.end(), plugin) != loaded.end();
      if (left_out) continue;  // a plugin this run does not use (the node profile loads only node)
      std::string hint = closest_match(plugin, loaded);
      throw UsageError("--set " + plugin + "." + key + ": no plugin '" + plugin + "' is loaded" +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; 'kinspect plugins list' shows them");
    }
    const PluginDescription& d = p->description();
    if (!d.declares_settings) continue;
    std::vector<std::string> names;
    for (const auto& s : d.settings) names.push_back(s.name);
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::string hint = closest_match(key, names);
    throw UsageError("--set " + plugin + "." + key + ": plugin '" + plugin + "' has no setting '" + key + "'" +
                     (hint.empty() ? "" : " (did you mean '" + plugin + "." + hint + "'?)") +
                     "; 'kinspect plugins list' shows each plugin's settings");
  }
}

}  // namespace

std::unique_ptr<PluginRegistry> load_plugins(const po::variables_map& vm, bool discover,
                                             std::vector<LoadProblem>* problems_out, bool isolate,
                                             const std::vector<std::string>& only, std::vector<SnapshotInput>* settled) {
  RegistryOptions opts;
  opts.isolate = isolate;
  opts.isolation.keep_loading_worker = true;  // every command here scans right after loading
  opts.only = only;
  if (!opts.only.empty())
    for (const auto& tool : with_tools(vm)) opts.only.push_back(tool);
  if (vm.count("plugin-dir")) opts.dirs = vm["plugin-dir"].as<std::vector<std::string>>();
  else opts.dirs = default_plugin_dirs();
  if (vm.count("plugin")) opts.files = vm["plugin"].as<std::vector<std::string>>();

  std::map<std::string, json::object> config;
  std::vector<std::pair<std::string, std::string>> user_settings;  // (plugin, key) of each --set
  json::object& kube = config["kube-apiserver"];
  if (vm.count("kubeconfig")) kube["kubeconfig"] = vm["kubeconfig"].as<std::string>();
  if (vm.count("context")) kube["context"] = single_context(vm);
  if (vm.count("snapshot")) {
    const std::string path = vm["snapshot"].as<std::string>();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw UsageError("--snapshot " + path + ": no such file or folder (a snapshot folder, a .tar.gz, or kubectl -o json/yaml output)");
    kube["snapshot"] = path;
  }
  if (vm.count("qps")) kube["qps"] = vm["qps"].as<double>();
  if (vm.count("burst")) kube["burst"] = vm["burst"].as<int>();
  if (vm.count("request-timeout")) kube["timeout_seconds"] = vm["request-timeout"].as<double>();
  if (vm.count("consistent-read")) kube["consistent_read"] = true;
  if (vm.count("include-secret-data")) kube["include_secret_data"] = true;
  // The run's scope, pushed to the API server or applied to the snapshot by the driver.
  const report::Scope scope = scope_of(vm);
  if (!scope.namespaces.empty()) kube["namespaces"] = json::value_from(scope.namespaces);
  if (!scope.exclude_namespaces.empty()) kube["exclude_namespaces"] = json::value_from(scope.exclude_namespaces);
  if (!scope.label_selector.empty()) kube["label_selector"] = scope.label_selector;
  kube["discover"] = discover;
  add_with_settings(vm, config);
  if (vm.count("set")) {
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) {
      size_t eq = s.find('=');
      size_t dot = s.find('.');
      if (eq == std::string::npos || dot == std::string::npos || dot > eq)
        throw po::error("--set takes PLUGIN.KEY=VALUE, got '" + s + "'");
      config[s.substr(0, dot)][s.substr(dot + 1, eq - dot - 1)] = json_or_text(s.substr(eq + 1));
      user_settings.emplace_back(s.substr(0, dot), s.substr(dot + 1, eq - dot - 1));
    }
  }
  for (auto& [name, obj] : config) opts.config[name] = json::serialize(obj);

  auto reg = std::make_unique<PluginRegistry>();
  auto problems = reg->load(opts);
  if (problems_out) {
    for (const auto& p : problems) log::error("loader", p.format());
    *problems_out = std::move(problems);
    require_with_plugins(vm, *reg);
    return with_live_results(vm, std::move(reg), opts, settled);
  }
  if (!problems.empty()) throw UsageError(problems_text(problems));
  check_settings(*reg, user_settings, opts);
  require_with_plugins(vm, *reg);
  return with_live_results(vm, std::move(reg), opts, settled);
}

json::value json_or_text(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

std::map<std::string, json::value> parse_assignments(const po::variables_map& vm, const char* option) {
  std::map<std::string, json::value> out;
  if (!vm.count(option)) return out;
  for (const auto& s : vm[option].as<std::vector<std::string>>()) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw po::error(std::string("--") + option + " takes NAME=VALUE, got '" + s + "'");
    out[s.substr(0, eq)] = json_or_text(s.substr(eq + 1));
  }
  return out;
}

static size_t display_width(const std::string& s) {
  // Count UTF-8 code points, not bytes, so names with accents line up.
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string json_cell(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return boost::json::serialize(v);
}

std::string TextTable::render(bool colour) const {
  std::vector<size_t> w(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) w[i] = display_width(headers_[i]);
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], display_width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string l;
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string& c = i < cells.size() ? cells[i] : std::string();
      l += c;
      if (i + 1 < w.size()) l += std::string(w[i] - display_width(c) + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    if (header && colour) out += std::string(term::kBold) + l + term::kReset;
    else out += l;
    out += '\n';
  };
  line(headers_, true);
  for (const auto& r : rows_) line(r, false);
  return out;
}

}  // namespace kinspect::cli
