// Plugins in worker processes. The executor runs every plugin in processes of
// its own (`kinspect __plugin-worker`), so a plugin that crashes, aborts or
// hangs costs only the tables it serves: the worker is killed or reaped, the
// scans it owed end in an error naming the signal, and the run goes on.
//
// Each plugin gets a small pool of workers (one per core at most), each with
// its own instance, so scans of one plugin's tables run in parallel whatever
// the plugin's own thread safety. The rows still cross as the same JSON
// batches; the parent parses them. Batches travel through two slots of
// memory shared with the worker, the socket carrying only which slot is
// full and when it is free again, so 1.2 GB of pods is not copied twice
// through the kernel.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/image.h"
#include "core/plugin/plugin.h"

namespace kinspect {

struct IsolationOptions {
  std::string worker_exe;  // the kinspect executable; "" = /proc/self/exe
  unsigned max_workers_per_plugin = 0;  // 0 = the number of cores
  // Per plugin name, overriding max_workers_per_plugin: 1 for a plugin that
  // keeps state between scans (kube-apiserver's watched tables), so every
  // scan of it meets the same instance.
  std::map<std::string, unsigned> max_workers_for;
  // Size of each of the two shared batch slots; a larger batch, or 0 here,
  // goes through the socket.
  size_t shared_batch_bytes = size_t(8) << 20;
  // Keep the worker that loaded a plugin alone as its pool's first worker
  // (one process fewer for a run that reads one plugin, such as the node
  // profile), for commands that scan right after loading. Off for
  // long-lived sets (the daemon), where a plugin no run reads must cost no
  // process.
  bool keep_loading_worker = false;
};

// Loads each pinned image (image.h) and returns the plugins in the same
// order, or for each the reason it did not load (including "crashed while
// loading (signal 11: Segmentation fault)"). One worker describes them all,
// one after another, then ends (unless keep_loading_worker): a plugin's pool
// starts its own workers at its first scan, so a plugin the run never reads
// costs no process. Every
// worker a pool starts loads the same pinned image, and its describe() must
// match the first one's or the worker is refused.
std::vector<Expected<std::unique_ptr<LoadedPlugin>>> load_isolated(
    const std::vector<std::shared_ptr<const PluginImage>>& images, const ConfigLookup& config,
    const IsolationOptions& options);

// The worker's main loop, serving requests on file descriptor `fd`.
int run_plugin_worker(int fd);

// The environment a worker starts with: `parent`'s, with glibc's malloc
// told to back its arenas with transparent huge pages (GLIBC_TUNABLES
// glibc.malloc.hugetlb=1, glibc 2.35 on) where the system allows them. A
// worker builds large tables in fresh memory; in 4 KiB pages every first
// touch is a fault, about 10 us on a virtual machine, and those faults were
// half the CPU of reading a 100,000-rule ruleset. A hugetlb tunable the user
// set is kept as set; an older glibc ignores the name.
// It also carries kWorkerMarker, so a worker that would start workers of its
// own (a program that is not kinspect started as one) refuses instead of
// multiplying.
std::vector<std::string> worker_environment(char** parent);
inline constexpr const char* kWorkerMarker = "KINSPECT_PLUGIN_WORKER";

// The hidden subcommand that starts a worker.
inline constexpr const char* kWorkerCommand = "__plugin-worker";
inline constexpr int kWorkerFd = 3;
inline constexpr int kWorkerSharedFd = 4;  // the shared batch slots (a memfd), when there are any
inline constexpr int kWorkerImageFd = 5;   // the first pinned plugin image; a loading worker gets several
inline constexpr int kFirstSpareFd = 64;   // descriptors from here up are free while a worker is set up
inline constexpr size_t kMaxImagesPerWorker = size_t(kFirstSpareFd - kWorkerImageFd - 1);

}  // namespace kinspect
