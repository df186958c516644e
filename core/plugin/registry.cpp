#include "core/plugin/registry.h"


#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/table/row_parser.h"
#include "core/util/log.h"

#ifndef KINSPECT_INSTALLED_PLUGIN_DIR
#define KINSPECT_INSTALLED_PLUGIN_DIR "/usr/local/lib/kinspect/plugins"
#endif

namespace kinspect {

namespace fs = std::filesystem;

std::vector<std::string> default_plugin_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("KINSPECT_PLUGIN_PATH")) {
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      size_t colon = s.find(':', start);
      std::string d = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!d.empty()) dirs.push_back(d);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = exe.parent_path() / "plugins";
    if (fs::is_directory(beside, ec)) dirs.push_back(beside.string());
    fs::path installed = exe.parent_path().parent_path() / "lib" / "kinspect" / "plugins";
    if (fs::is_directory(installed, ec)) dirs.push_back(installed.string());
  }
  dirs.push_back(KINSPECT_INSTALLED_PLUGIN_DIR);
  // The same folder reached twice loads once.
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& d : dirs) {
    std::string canon = fs::weakly_canonical(d, ec).string();
    if (seen.insert(ec ? d : canon).second) unique.push_back(d);
  }
  return unique;
}

PluginRegistry::~PluginRegistry() {
  tables_.clear();
  // Unload in reverse order of loading.
  while (!plugins_.empty()) plugins_.pop_back();
}

std::vector<LoadProblem> PluginRegistry::load(const RegistryOptions& options) {
  std::vector<LoadProblem> problems;
  std::vector<std::string> files = options.files;
  for (const auto& dir : options.dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".so") found.push_back(e.path().string());
    std::sort(found.begin(), found.end());  // load order must not depend on the file system
    files.insert(files.end(), found.begin(), found.end());
  }
  for (const auto& file : files) {
    // `only` filters by file name before loading, so a plugin left out costs
    // nothing (file kube_apiserver.so is plugin kube-apiserver).
    if (!options.only.empty()) {
      std::string stem = fs::path(file).stem().string();
      std::string dashed = stem;
      std::replace(dashed.begin(), dashed.end(), '_', '-');
      if (std::find(options.only.begin(), options.only.end(), dashed) == options.only.end() &&
          std::find(options.only.begin(), options.only.end(), stem) == options.only.end())
        continue;
    }
    auto config = [&](std::string_view name) {
      auto it = options.config.find(std::string(name));
      return it != options.config.end() ? it->second : std::string("{}");
    };
    std::unique_ptr<LoadedPlugin> p;
    if (options.isolate) {
      auto loaded = load_isolated(file, config, this, options.isolation);
      if (!loaded) {
        problems.push_back({file, loaded.error().message()});
        continue;
      }
      p = std::move(loaded.value());
    } else {
      auto loaded = InProcessPlugin::load(file, config, this);
      if (!loaded) {
        problems.push_back({file, loaded.error().message()});
        continue;
      }
      p = std::move(loaded.value());
    }
    if (const LoadedPlugin* prev = plugin(p->name())) {
      problems.push_back({file, "plugin '" + std::string(p->name()) + "' is already loaded from " + prev->path()});
      continue;
    }
    // All or nothing: check every table before registering any.
    std::string clash;
    for (const auto& t : p->description().tables) {
      auto it = tables_.find(t.name);
      if (it != tables_.end()) {
        clash = "plugin '" + std::string(p->name()) + "' declares table '" + t.name +
                "', which plugin '" + std::string(it->second.second->name()) + "' (" + it->second.second->path() +
                ") already declares; a table has one owner, so neither can be trusted to answer for it";
        break;
      }
    }
    if (clash.empty()) {
      std::set<std::string> ids;
      for (const auto* c : native_checks()) ids.insert(c->id);
      for (const auto& c : p->description().checks)
        if (ids.count(c.id)) {
          clash = "check '" + c.id + "' is already provided by another plugin";
          break;
        }
    }
    if (!clash.empty()) {
      problems.push_back({file, clash});
      continue;
    }
    for (const auto& t : p->description().tables) tables_.emplace(t.name, std::make_pair(&t, p.get()));
    log::debug("loader", "loaded plugin '" + std::string(p->name()) + "' " + std::string(p->version()) + " from " + file);
    plugins_.push_back(std::move(p));
  }
  return problems;
}

const LoadedPlugin* PluginRegistry::plugin(std::string_view name) const {
  for (const auto& p : plugins_)
    if (p->name() == name) return p.get();
  return nullptr;
}

LoadedPlugin* PluginRegistry::owner(std::string_view table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : it->second.second;
}

const TableSchema* PluginRegistry::find(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.first;
}

std::vector<std::string> PluginRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(tables_.size());
  for (const auto& [name, _] : tables_) out.push_back(name);
  return out;
}

std::vector<const NativeCheckSchema*> PluginRegistry::native_checks() const {
  std::vector<const NativeCheckSchema*> out;
  for (const auto& p : plugins_)
    for (const auto& c : p->description().checks) out.push_back(&c);
  return out;
}

Status PluginRegistry::scan_table(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel) {
  LoadedPlugin* p = owner(spec.table);
  if (!p) {
    std::string hint = closest_match(spec.table, names());
    return Error("no table '" + spec.table + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  return p->scan(spec, sink, cancel);
}

Expected<std::shared_ptr<const TableData>> PluginRegistry::fetch(const ScanSpec& spec) { return fetch(spec, nullptr); }

Expected<std::shared_ptr<const TableData>> PluginRegistry::fetch(const ScanSpec& spec, const CancelToken* cancel) {
  auto data = std::make_shared<TableData>();
  RowParser parser{Projection(spec.paths)};
  const std::string source = "table " + spec.table;
  Status st = scan_table(
      spec, [&](std::string_view batch) { return parser.feed(batch, *data, source); }, cancel);
  if (!st.ok()) return st.error();
  return std::shared_ptr<const TableData>(std::move(data));
}

}  // namespace kinspect
