// The plugin registry: finds plugin shared objects, loads each one in
// isolation from the others' failures, and serves the tables they declare.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/image.h"
#include "core/plugin/isolated.h"
#include "core/plugin/plugin.h"
#include "core/table/table.h"

namespace kinspect {

struct RegistryOptions {
  // Folders searched for *.so, in order; a plugin name seen twice keeps the
  // first. Files listed in `files` load too.
  std::vector<std::string> dirs;
  std::vector<std::string> files;
  // Settings per plugin name, as a JSON object text ("{}" when absent).
  std::map<std::string, std::string> config;
  // Load only these plugins (by name), when not empty.
  std::vector<std::string> only;
  // Run each plugin in worker processes (see isolated.h) rather than in
  // this one. The report executor does; listing and tests may not.
  bool isolate = false;
  IsolationOptions isolation;
};

// Why one plugin file was not loaded. format(): "<path>: <reason>".
struct LoadProblem {
  std::string path;
  std::string reason;
  std::string format() const { return path + ": " + reason; }
};

// The folders kinspect searches when no --plugin-dir is given:
// $KINSPECT_PLUGIN_PATH (colon-separated), the folder "plugins" beside the
// executable (the build tree) and ../lib/kinspect/plugins from it (an
// installed or unpacked tree), else the configured install folder.
std::vector<std::string> default_plugin_dirs();

// One immutable set of loaded plugins and the tables they serve. A run takes
// a snapshot (a shared_ptr) at its start and holds it to its end; a reload
// builds a new registry, keeping the plugins whose files did not change,
// and swaps it in (PluginSet, plugin_set.h). A plugin is shared by every
// snapshot that holds it and ends (its workers stopped, its library
// unloaded) only when the last of them goes, so no code of a library runs
// after it is unloaded.
class PluginRegistry final : public Catalog, public TableProvider, public HostServices {
 public:
  PluginRegistry() = default;
  ~PluginRegistry() override;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every plugin it can; each failure becomes a LoadProblem and the
  // rest still load. A plugin whose tables clash with an already loaded one
  // is refused whole (its other tables are not registered either). Called
  // once, on a new registry.
  std::vector<LoadProblem> load(const RegistryOptions& options);
  // The same, reusing from `previous` each plugin whose file is unchanged
  // (same stamp and settings), and keeping the previous version of a plugin
  // whose new file fails to load: a broken replacement never takes away a
  // plugin that works. A file no longer there is dropped.
  std::vector<LoadProblem> load(const RegistryOptions& options, const PluginRegistry* previous);

  const std::vector<std::shared_ptr<LoadedPlugin>>& plugins() const { return plugins_; }
  const LoadedPlugin* plugin(std::string_view name) const;
  // The plugin that declares table `name`.
  LoadedPlugin* owner(std::string_view table) const;

  // Catalog
  const TableSchema* find(std::string_view name) const override;
  std::vector<std::string> names() const override;

  // TableProvider: scans the table and parses the rows, keeping the
  // projected paths only.
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override;
  // The same with a cancellation token (time budget).
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec, const CancelToken* cancel);

  // HostServices: raw batches of a table.
  Status scan_table(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel) override;

  std::vector<const NativeCheckSchema*> native_checks() const;

 private:
  // Where a plugin came from, to tell on reload whether its file changed.
  struct Origin {
    FileStamp stamp;
    std::string config;
    std::shared_ptr<LoadedPlugin> plugin;
  };
  // Each file's plugin (null where none loaded and none is kept).
  static std::vector<Origin> load_files(const std::vector<std::string>& files, const RegistryOptions& options,
                                        const PluginRegistry* previous, std::vector<LoadProblem>& problems);
  // Registers the plugin loaded from `file` unless its name, a table or a
  // check clashes with one already registered; the clash, or "".
  std::string add(const std::string& file, Origin origin);

  std::vector<std::shared_ptr<LoadedPlugin>> plugins_;
  std::map<std::string, std::pair<const TableSchema*, LoadedPlugin*>, std::less<>> tables_;
  std::map<std::string, Origin> origins_;  // by file path
};

}  // namespace kinspect
