// The plugins a long-running process serves, swappable while runs are in
// flight. snapshot() hands out the current registry; a run holds that
// shared_ptr from its start to its end, so it sees one set of plugins and
// schemas throughout. reload() builds a new registry beside the current one
// (unchanged files keep their loaded plugin and warm workers; a changed
// file loads beside the old version; one that fails keeps the old serving)
// and swaps it in with one pointer store. The old registry, and any plugin
// only it held, ends when the last run holding it finishes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/plugin/registry.h"

namespace kinspect {

class PluginSet {
 public:
  // Plugins always run isolated here: every worker of a pool loads the
  // pinned image its pool started from (image.h), whatever lands on disk.
  explicit PluginSet(RegistryOptions options);

  // The registry runs use now.
  std::shared_ptr<PluginRegistry> snapshot() const;
  // Rescans the plugin files and swaps in a new registry; the problems of
  // this reload (a file that did not load, a clash). Reloads take turns.
  std::vector<LoadProblem> reload();
  // How many registries have been swapped in (the first load is 1).
  uint64_t generation() const;
  // Settings or folders for the next reload (the daemon's configuration changed).
  void set_options(RegistryOptions options);

 private:
  mutable std::mutex swap_mutex_;  // guards current_ and generation_ only
  std::mutex reload_mutex_;        // one reload at a time
  RegistryOptions options_;
  std::shared_ptr<PluginRegistry> current_;
  uint64_t generation_ = 0;
};

}  // namespace kinspect
