// Plugins in worker processes. The executor runs every plugin in processes of
// its own (`kinspect __plugin-worker`), so a plugin that crashes, aborts or
// hangs costs only the tables it serves: the worker is killed or reaped, the
// scans it owed end in an error naming the signal, and the run goes on.
//
// Each plugin gets a small pool of workers (one per core at most), each with
// its own instance, so scans of one plugin's tables run in parallel whatever
// the plugin's own thread safety. The rows still cross as the same JSON
// batches; the parent parses them.
#pragma once

#include <memory>
#include <string>

#include "core/plugin/plugin.h"

namespace kinspect {

struct IsolationOptions {
  std::string worker_exe;  // the kinspect executable; "" = /proc/self/exe
  unsigned max_workers_per_plugin = 0;  // 0 = the number of cores
};

// Loads `path` in a new worker and returns the plugin, or the reason it did
// not load (including "crashed while loading (signal 11: Segmentation fault)").
Expected<std::unique_ptr<LoadedPlugin>> load_isolated(const std::string& path, const ConfigLookup& config,
                                                      HostServices* services, const IsolationOptions& options);

// The worker's main loop, serving requests on file descriptor `fd`.
int run_plugin_worker(int fd);

// The hidden subcommand that starts a worker.
inline constexpr const char* kWorkerCommand = "__plugin-worker";
inline constexpr int kWorkerFd = 3;

}  // namespace kinspect
