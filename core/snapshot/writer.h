// Captures tables into a snapshot (kinspect-snapshot/v1, see
// sdk/include/kinspect/snapshot_format.h and docs/kube-apiserver.md): one
// List file per table and a manifest, in a folder or a .tar.gz. Rows are
// copied as the driver produced them, batch by batch, so memory stays flat
// however large the cluster.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/report/report.h"

namespace kinspect {

struct SnapshotResult {
  struct Table {
    std::string table, file, error;
    std::string cause;  // when the source said the table is not available ("not served", "forbidden")
    std::string sha256;  // of the file as written, recorded in the manifest
    uint64_t rows = 0, bytes = 0;
  };
  std::vector<Table> tables;
  uint64_t bytes = 0;
};

// Another tool's output to carry in the snapshot (--with TOOL=PATH, or what
// --with TOOL read from the live cluster), so an offline run over the
// snapshot reproduces the report: PATH is a file or a folder of files,
// copied as they are (see snapshot_inputs in manifest.h). `settings` are
// the adapter settings that say how to read them (which annotation the
// files hold), or, with no PATH, why the live read found nothing.
struct SnapshotInput {
  std::string tool;
  std::string path;
  std::map<std::string, std::string> settings;
};

// Writes `tables` to `output`. A narrowed `scope` (the capture's -n, -l,
// --exclude-namespace) is recorded in the manifest, so runs over the
// snapshot say it holds only part of the cluster.
// (a folder, or a file ending in .tar.gz / .tgz).
// A table that cannot be read is recorded with its error and left out; the
// snapshot is still written. Fails only when the output cannot be written
// or an input cannot be read. `cluster_name` (the name a live run gives the
// cluster) goes into the manifest's cluster.name, for runs over the snapshot.
Expected<SnapshotResult> write_snapshot(PluginRegistry& registry, const std::vector<std::string>& tables,
                                        const std::string& output, double driver_timeout_seconds,
                                        const std::function<void(size_t done, size_t total, const std::string&)>& progress,
                                        const std::vector<SnapshotInput>& inputs = {},
                                        const std::string& cluster_name = {},
                                        const report::Scope& scope = {});

}  // namespace kinspect
