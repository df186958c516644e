// Reading snapshots: a kinspect snapshot directory or .tar.gz, kubectl
// `get -o json|yaml` List files, or directories of manifests.
#pragma once

#include "rows.h"
#include "scope.h"

#include <kinspect/sdk.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kapi {

// What one scan wants from the objects.
struct Target {
  std::string table;          // requested table, e.g. "k8s.pods" or "k8s.resource"
  std::string kind;           // kind to match ("" for special tables)
  std::string group_version;  // for k8s.resource: apiVersion to match
  std::string resource;       // plural resource name (k8s.resource / discovered tables)
  enum Special { kNone, kVersion, kReadyz, kLivez, kApiResources, kDeprecatedApis, kHelmReleases, kObjects } special = kNone;
};

// Bounds on what reading a snapshot may cost (docs/kube-apiserver.md,
// "Limits"); each is a driver setting of the same name.
struct ReadLimits {
  uint64_t max_member_bytes = 4ull << 30;     // one file, or one archive member
  uint64_t max_snapshot_bytes = 16ull << 30;  // decompressed, in one scan
  uint64_t max_compression_ratio = 300;       // gzip: decompressed / compressed
  uint64_t ratio_after_bytes = 64u << 20;     // ... checked past this many bytes
};

class Snapshot {
 public:
  Snapshot(std::string path, RowOptions opts, const kinspect::sdk::Host& host, ReadLimits limits = {});
  // `scoped` false: every object, whatever the run's scope (the Helm
  // release Secrets, whose labels are Helm's, not the release objects').
  std::unique_ptr<kinspect::sdk::Scan> scan(const Target& t, CancelCheck cancel, RowOptions opts, bool scoped = true);
  const std::string& path() const { return path_; }
  // Tables listed in a directory snapshot's manifest (empty otherwise).
  const std::vector<std::string>& manifest_tables() const { return manifest_tables_; }
  // Namespaced objects out of the scope are left out of every scan.
  void set_scope(const Scope& scope) {
    scope_ = scope.active() ? std::make_shared<const Scope>(scope) : nullptr;
  }

 private:
  std::string path_;
  RowOptions opts_;
  ReadLimits limits_;
  const kinspect::sdk::Host& host_;
  enum class Kind { kDir, kArchive, kJson, kYaml } kind_;
  // Directory snapshots with a manifest: table -> files.
  std::vector<std::pair<std::string, std::string>> manifest_files_;
  struct NotCaptured {
    std::string table, why, cause;  // cause as the capture recorded it ("not served"), may be ""
  };
  std::vector<NotCaptured> manifest_failed_;
  bool has_manifest_ = false;
  std::map<std::string, uint64_t> manifest_counts_;  // file -> the manifest's "count"
  std::map<std::string, std::string> manifest_digests_;  // file -> the manifest's "sha256"
  std::vector<std::string> manifest_tables_;
  std::string manifest_version_;  // raw JSON of manifest.cluster.version, if any
  std::shared_ptr<const Scope> scope_;
};

// Whether a tar member path is safe (relative, no "..").
bool safe_member_path(const std::string& p);

}  // namespace kapi
