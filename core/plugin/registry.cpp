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
  bool own = false;  // found from the executable's own place
  if (!ec) {
    fs::path beside = exe.parent_path() / "plugins";
    if (fs::is_directory(beside, ec)) dirs.push_back(beside.string()), own = true;
    fs::path installed = exe.parent_path().parent_path() / "lib" / "kinspect" / "plugins";
    if (fs::is_directory(installed, ec)) dirs.push_back(installed.string()), own = true;
  }
  // The configured prefix only as a fallback: an unpacked package must not
  // also load another installation's plugins.
  if (!own) dirs.push_back(KINSPECT_INSTALLED_PLUGIN_DIR);
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
  origins_.clear();
  // Release in reverse order of loading (a plugin another snapshot still
  // holds lives on there).
  while (!plugins_.empty()) plugins_.pop_back();
}

namespace {

// The plugin files `options` names, in load order.
std::vector<std::string> plugin_files(const RegistryOptions& options) {
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
  if (options.only.empty()) return files;
  // `only` filters by file name before loading, so a plugin left out costs
  // nothing (file kube_apiserver.so is plugin kube-apiserver).
  std::vector<std::string> kept;
  for (const auto& file : files) {
    std::string stem = fs::path(file).stem().string();
    std::string dashed = stem;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    auto listed = [&](const std::string& n) { return std::find(options.only.begin(), options.only.end(), n) != options.only.end(); };
    if (listed(dashed) || listed(stem)) kept.push_back(file);
  }
  return kept;
}

std::string config_for(const RegistryOptions& options, std::string_view name) {
  auto it = options.config.find(std::string(name));
  return it != options.config.end() ? it->second : std::string("{}");
}

}  // namespace

std::vector<LoadProblem> PluginRegistry::load(const RegistryOptions& options) { return load(options, nullptr); }

std::vector<LoadProblem> PluginRegistry::load(const RegistryOptions& options, const PluginRegistry* previous) {
  std::vector<LoadProblem> problems;
  const std::vector<std::string> files = plugin_files(options);
  std::vector<Origin> loaded = load_files(files, options, previous, problems);
  for (size_t i = 0; i < files.size(); ++i) {
    if (!loaded[i].plugin) continue;
    std::string clash = add(files[i], std::move(loaded[i]));
    if (!clash.empty()) problems.push_back({files[i], clash});
  }
  return problems;
}

std::vector<PluginRegistry::Origin> PluginRegistry::load_files(const std::vector<std::string>& files,
                                                               const RegistryOptions& options,
                                                               const PluginRegistry* previous,
                                                               std::vector<LoadProblem>& problems) {
  auto config = [&](std::string_view name) { return config_for(options, name); };
  std::vector<Origin> out(files.size());
  std::vector<std::shared_ptr<const PluginImage>> images;
  std::vector<size_t> image_of;  // which file each image is
  for (size_t i = 0; i < files.size(); ++i) {
    auto stamp = stamp_of(files[i]);
    const Origin* before = nullptr;
    if (previous)
      if (auto it = previous->origins_.find(files[i]); it != previous->origins_.end()) before = &it->second;
    if (before && stamp && *stamp == before->stamp && config(before->plugin->name()) == before->config) {
      out[i] = *before;  // unchanged: the same plugin, workers and all
      continue;
    }
    if (before) out[i] = *before;  // kept should the new version not load
    if (!stamp) {
      problems.push_back({files[i], stamp.error().message()});
      continue;
    }
    if (options.isolate) {
      auto image = PluginImage::pin(files[i]);
      if (!image) {
        problems.push_back({files[i], image.error().message()});
        continue;
      }
      images.push_back(std::move(image.value()));
      image_of.push_back(i);
      continue;
    }
    auto p = InProcessPlugin::load(files[i], config);
    if (!p) problems.push_back({files[i], p.error().message()});
    else out[i] = {*stamp, config(p.value()->name()), std::shared_ptr<LoadedPlugin>(std::move(p.value()))};
  }
  auto results = load_isolated(images, config, options.isolation);
  for (size_t k = 0; k < results.size(); ++k) {
    const size_t i = image_of[k];
    if (!results[k]) {
      problems.push_back({files[i], results[k].error().message() +
                                        (out[i].plugin ? "; version " + std::string(out[i].plugin->version()) +
                                                             " loaded before keeps serving" : "")});
      continue;
    }
    std::shared_ptr<LoadedPlugin> p = std::move(results[k].value());
    out[i] = {images[k]->stamp(), config(p->name()), std::move(p)};
  }
  return out;
}

std::string PluginRegistry::add(const std::string& file, Origin origin) {
  LoadedPlugin& p = *origin.plugin;
  if (const LoadedPlugin* prev = plugin(p.name()))
    return "plugin '" + std::string(p.name()) + "' is already loaded from " + prev->path();
  // All or nothing: check every table before registering any.
  for (const auto& t : p.description().tables) {
    auto it = tables_.find(t.name);
    if (it != tables_.end())
      return "plugin '" + std::string(p.name()) + "' declares table '" + t.name + "', which plugin '" +
             std::string(it->second.second->name()) + "' (" + it->second.second->path() +
             ") already declares; a table has one owner, so neither can be trusted to answer for it";
  }
  std::set<std::string> ids;
  for (const auto* c : native_checks()) ids.insert(c->id);
  for (const auto& c : p.description().checks)
    if (ids.count(c.id)) return "check '" + c.id + "' is already provided by another plugin";
  for (const auto& t : p.description().tables) tables_.emplace(t.name, std::make_pair(&t, &p));
  log::debug("loader", "loaded plugin '" + std::string(p.name()) + "' " + std::string(p.version()) + " from " + file);
  plugins_.push_back(origin.plugin);
  origins_[file] = std::move(origin);
  return "";
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
  return p->scan(spec, sink, cancel, this);
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
